"""Small clause libraries written into tmp_path, one rule at a time."""

from __future__ import annotations

from typing import Any

import yaml

LIBRARY_YAML = """\
id: test-library
title: Test Library
version: 2026.1
license: CC-BY-4.0
languages: [en]
sections:
  general: {title: General}
  data: {title: Data}
  commercial: {title: Commercial}
  disputes: {title: Disputes}
  unused: {title: Unused}
documents:
  call-off:
    title: Call-Off Contract
    sections: [general, data, commercial, disputes]
  framework:
    title: Framework Agreement
    sections: [general, commercial]
"""


def clause(clause_id: str, section: str, body: str, **front: Any) -> tuple[str, str]:
    """A clause file (path, text) with sensible front matter defaults."""
    meta: dict[str, Any] = {
        "id": clause_id,
        "title": clause_id.replace("-", " ").capitalize(),
        "version": "1.0.0",
        "status": "approved",
        "section": section,
        "documents": ["call-off"],
        "source": "Written for the tests.",
    }
    meta.update(front)
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body
    return f"lib/{section}/{clause_id}.md", text


def base_library() -> dict[str, str]:
    """A library exercising every selection rule; the spec in tests.specs assembles from it."""
    files = dict(
        [
            clause(
                "definitions",
                "general",
                "In this Call-Off Contract the following terms have these meanings.\n",
                order=10,
                mandatory=True,
                documents=["call-off", "framework"],
                defines={
                    "Buyer": "means {{ buyer.name }}.",
                    "Supplier": "means {{ supplier.name }}, the supplier to the [[Buyer]].",
                    "Deliverable": "means anything the [[Supplier]] delivers.",
                },
            ),
            clause(
                "scope",
                "general",
                "The [[Supplier]] shall deliver {{ software.name }} to the [[Buyer]] under "
                "[[#payment]].\n",
                order=20,
                requires=["payment"],
            ),
            clause(
                "data-processing",
                "data",
                "The [[Supplier]] processes [[Personal Data]] of these categories: "
                "{{ data.categories | and_list }}.\n",
                when="data.personal_data",
                defines={"Personal Data": "has the meaning given in Article 4(1) of the GDPR."},
            ),
            clause(
                "payment",
                "commercial",
                "The [[Buyer]] pays {{ value.amount | money }} within {{ value.payment_days }} "
                "days.\n\n1. Invoices name the reference {{ agreement.reference }}.\n"
                "2. Each invoice lists the [[Deliverable|Deliverables]].\n",
                order=10,
            ),
            clause(
                "liability-cap-buyer",
                "commercial",
                "The [[Supplier]]'s liability is unlimited.\n",
                order=20,
                slot="liability-cap",
            ),
            clause(
                "liability-cap-mutual",
                "commercial",
                "Each party's liability is capped at {{ liability.cap_percent_of_value | number }} "
                "per cent of the price.\n",
                order=20,
                slot="liability-cap",
                default=True,
            ),
            clause(
                "source-code-escrow",
                "commercial",
                "The [[Supplier]] deposits the source code with an escrow agent.\n",
                order=30,
                optional=True,
            ),
            clause(
                "price-review",
                "commercial",
                "Prices are reviewed each year.\n",
                order=40,
                status="draft",
            ),
            clause(
                "old-terms",
                "commercial",
                "Superseded terms.\n",
                order=50,
                status="deprecated",
            ),
            clause(
                "disputes-courts",
                "disputes",
                "Disputes go to {{ law.venue }}.\n",
                slot="disputes",
                when="law.disputes == 'courts'",
                default=True,
            ),
            clause(
                "disputes-arbitration",
                "disputes",
                "Disputes are finally resolved by arbitration at {{ law.venue }}.\n",
                slot="disputes",
                when="law.disputes == 'arbitration'",
            ),
            clause(
                "framework-scope",
                "general",
                "This Framework Agreement covers {{ services | and_list }}.\n",
                order=30,
                documents=["framework"],
            ),
        ]
    )
    files["lib/library.yaml"] = LIBRARY_YAML
    return files
