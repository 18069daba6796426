"""Signable agreements: clauses follow what was bought, every schedule mentioned exists,
every spec value appears or is warned about.

A matrix of generated specs (every service alone and in combination, every pricing model,
personal data on and off, every slot position) is assembled and read as text; the examples
are drafted and their PDF text read with poppler.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from procuregen.agreement import Agreement
from procuregen.api import build
from procuregen.library import library_path, load_library
from tests.conftest import EXAMPLES, Drafted, Run, agreement_text

SERVICES = ("development", "maintenance", "support", "hosting", "training")
PRICING = ("fixed", "time_and_materials", "capped_time_and_materials", "subscription")

# A reviewer's reading of the bundled library, independent of the clauses' own `when`:
# each clause that is about a service, and the services of which one must be bought.
SERVICE_CLAUSES: dict[str, set[str]] = {
    "development": {"development"},
    "acceptance": {"development"},
    "publication": {"development", "maintenance"},
    "maintenance": {"maintenance"},
    "support": {"support"},
    "hosting": {"hosting"},
    "training": {"training"},
    "service-levels": {"support", "hosting"},
    "business-continuity": {"hosting"},
    "availability-recovery": {"hosting"},
    "service-level-targets": {"support", "hosting"},
    "service-credits": {"support", "hosting"},
    "open-standards": {"development", "maintenance", "hosting"},
    "accessibility": {"development", "maintenance", "training"},
}
# Defined terms that presuppose a service: printed only when one of these is bought.
SERVICE_WORDS: dict[str, set[str]] = {
    "Acceptance Tests": {"development"},
    "Public Repository": {"development", "maintenance"},
    "Recovery Point Objective": {"hosting"},
    "Recovery Time Objective": {"hosting"},
    "Fix Time": {"maintenance"},
}
# "Schedule 3 (Price Schedule)", "bilaga 3 (Prisbilaga)": a reference to a schedule.
SCHEDULE_MENTION = {
    "en": re.compile(r"Schedule (\d+) \(((?:[A-Z][\w-]*)(?: (?:[A-Z][\w-]*|and|of))*)\)"),
    "sv": re.compile(r"[Bb]ilaga (\d+) \(([A-ZÅÄÖ][\w-]*(?: [\wåäö-]+)*)\)"),
}
# The defined terms that rely on a schedule, and the schedule, in each language.
SCHEDULE_TERMS = {
    "en": (("Price Schedule", "Price Schedule"), ("Specification", "Contract Documents")),
    "sv": (("Prisbilagan", "Prisbilaga"), ("Kravspecifikationen", "Avtalshandlingar")),
}
GLOSSARY = yaml.safe_load(
    (EXAMPLES[0].parent.parent / "clauses" / "oss-framework" / "glossary.sv.yaml").read_text(
        "utf-8"
    )
)


def base_spec() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES[0].parent / "exampleby-caseflow.yaml").read_text("utf-8"))
    assert isinstance(data, dict)
    data["language"] = "en"  # the checks below read English text
    return data


def positions() -> dict[str, list[str]]:
    library = load_library(library_path(None, None))
    slots: dict[str, list[str]] = {}
    for clause in library.clauses.values():
        if clause.meta.slot and "call-off" in clause.meta.documents:
            slots.setdefault(clause.meta.slot, []).append(clause.id)
    return slots


def matrix() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every service alone and in combination, under every pricing model; personal data on
    and off and every slot position, in rotation."""
    slots = positions()
    combos = [c for r in range(1, 6) for c in itertools.combinations(SERVICES, r)]
    for index, (services, pricing) in enumerate(itertools.product(combos, PRICING)):
        spec = base_spec()
        spec["services"] = list(services)
        value = spec["value"]
        value["pricing"] = pricing
        if pricing == "fixed":
            value["items"] = [
                {"description": "Delivery", "quantity": 1, "unit": "lot", "unit_price": 4000000},
                {
                    "description": "Service",
                    "quantity": 20,
                    "unit": "month",
                    "unit_price": 40000,
                    "recurrence": "monthly",
                },
            ]
        personal = index % 2 == 0
        spec["data"] = (
            base_spec()["data"]
            if personal
            else {"personal_data": False, "storage_locations": ["eea"]}
        )
        spec["service_levels"] = {
            "availability_percent": 99.5,
            "support_hours": "business",
            "response_hours": {"critical": 4, "high": 8, "normal": 24},
        }
        spec["clauses"] = {
            "choose": {slot: ids[index % len(ids)] for slot, ids in sorted(slots.items())}
        }
        spec["law"]["disputes"] = ("courts", "arbitration")[index % 2]
        yield f"{'+'.join(services)}-{pricing}", spec


MATRIX = list(matrix())


def assembled(tmp_path: Path, spec: dict[str, Any]) -> tuple[Agreement, tuple[Any, ...]]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    _, _, agreement, trace = build(path)
    return agreement, trace.warnings


def schedule_problems(agreement: Agreement, text: str) -> list[str]:
    """Every 'Schedule N (Title)' the text mentions that the agreement does not have."""
    present = {(s.number, s.title) for s in agreement.schedules}
    problems = [
        f"mentions Schedule {n} ({title}), which is not in it"
        for n, title in set(SCHEDULE_MENTION[agreement.language].findall(text))
        if (n, title) not in present
    ]
    terms = SCHEDULE_TERMS[agreement.language]
    needs = [terms[0]]
    if agreement.document == "call-off":
        needs.append(terms[1])
    for term, schedule in needs:
        if term in text and schedule not in {s.title for s in agreement.schedules}:
            problems.append(f"uses {term!r} but has no {schedule} schedule")
    return problems


def service_problems(agreement: Agreement, text: str, services: set[str]) -> list[str]:
    problems = [
        f"clause {c.id} presupposes {' or '.join(sorted(SERVICE_CLAUSES[c.id]))}"
        for c in agreement.clauses
        if c.id in SERVICE_CLAUSES
        and not SERVICE_CLAUSES[c.id] & services
        and not c.number.startswith("S1/")  # a framework's call-off terms cover all services
    ]
    words = SERVICE_WORDS.items()
    if agreement.language == "sv":
        words = {GLOSSARY[word]: needed for word, needed in SERVICE_WORDS.items()}.items()
    problems += [
        f"says {word!r} although {' or '.join(sorted(needed))} is not bought"
        for word, needed in words
        if word.lower() in text.lower() and not needed & services
    ]
    return problems


@pytest.mark.parametrize(("name", "spec"), MATRIX, ids=[name for name, _ in MATRIX])
def test_generated_spec_follows_what_was_bought(
    tmp_path: Path, name: str, spec: dict[str, Any]
) -> None:
    agreement, _ = assembled(tmp_path, spec)
    text = agreement_text(agreement)
    assert "clause ?" not in text and "[[" not in text
    assert schedule_problems(agreement, text) == []
    assert service_problems(agreement, text, set(spec["services"])) == []
    titles = {s.title for s in agreement.schedules}
    assert "Price Schedule" in titles and "Contract Documents" in titles
    if {"support", "hosting"} & set(spec["services"]):
        assert "Service Levels and Service Credits" in titles
    assert ("Processing of Personal Data" in titles) == spec["data"]["personal_data"]


def pdf_text(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", " ", text)


@pytest.mark.realclient
@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_example_pdf_has_every_schedule_it_mentions_and_no_unbought_service(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    drafted = drafted_examples[example]
    agreement = drafted.agreement
    text = pdf_text(drafted.pdf)
    assert schedule_problems(agreement, text) == []
    for schedule in agreement.schedules:
        assert schedule.heading in text
    if agreement.document == "call-off":
        assert service_problems(agreement, text, set(agreement.spec.services)) == []


def written_text_values(path: Path) -> Iterator[tuple[str, str]]:
    """(field, value) for every free-text value a spec writes (names, titles, descriptions)."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}[{index}]")
        elif isinstance(node, str) and " " in node.strip() and not node.startswith("http"):
            yield where, node

    data = yaml.safe_load(path.read_text("utf-8"))
    for field, value in walk(data, ""):
        if not field.startswith(("clauses", "output", "law.disputes")):
            yield field, value


@pytest.mark.realclient
@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_every_text_value_of_an_example_is_printed_or_warned_about(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    drafted = drafted_examples[example]
    # pdftotext joins a word hyphenated at a line end ("Long-term" as "Longterm").
    text = pdf_text(drafted.pdf).replace("-", "")
    spec_file = next(e for e in EXAMPLES if e.stem == example)
    missing = [
        field
        for field, value in written_text_values(spec_file)
        if re.sub(r"\s+", " ", value).strip().replace("-", "") not in text
        and f": {field.split('[')[0]}" not in drafted.stderr
    ]
    assert missing == []


def test_framework_carries_call_off_terms_form_and_schedules(tmp_path: Path) -> None:
    _, _, agreement, trace = build(EXAMPLES[0].parent / "framework-multi-supplier.yaml")
    titles = [s.title for s in agreement.schedules]
    assert titles[:2] == ["Call-Off Terms", "Call-Off Form"]
    assert "Price Schedule" in titles
    terms = agreement.schedules[0]
    assert terms.terms, "the call-off terms embed the call-off document"
    embedded = {c.id for part in terms.terms for c in part.clauses}
    assert {"charges", "liability-general", "termination"} <= embedded
    text = agreement_text(agreement)
    for rate in ("SEK 1,300.00", "SEK 1,450.00"):
        assert rate in text
    assert "120 days" in text  # the framework's own notice, never a fixed "three months"
    assert "three months\u2019 notice" not in text and "three months' notice" not in text
    assert trace.terms, "explain shows the decisions for the call-off terms"


def test_multi_supplier_framework_has_a_signature_block_for_each_party(
    drafted_examples: dict[str, Drafted],
) -> None:
    text = pdf_text(drafted_examples["framework-multi-supplier"].pdf)
    for party in (
        "National Procurement Services",
        "Öppen Kod Konsult AB",
        "Fjällkod Aktiebolag",
        "Baltic Open Source OÜ",
    ):
        assert f"For and on behalf of {party}" in text
    assert "Place and date: Göteborg" in text and "Place and date: Stockholm" in text


def test_unused_value_is_a_warning_at_its_line(tmp_path: Path, cli: Callable[..., Run]) -> None:
    spec = base_spec()
    spec["services"] = ["development", "support"]
    spec["service_levels"] = {
        "availability_percent": 99.5,
        "support_hours": "business",
        "response_hours": {"critical": 4, "high": 8, "normal": 24},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    line = next(
        n
        for n, text in enumerate(path.read_text("utf-8").splitlines(), 1)
        if "availability_percent" in text
    )
    result = cli("check", path)
    assert result.exit_code == 0
    assert f"{path}:{line}:" in result.stderr
    assert (
        "warning: service_levels.availability_percent: not used by this agreement" in result.stderr
    )
    strict = cli("check", "--strict", path)
    assert strict.exit_code == 1
    assert "warning:" not in strict.stderr
    assert "service_levels.availability_percent: not used" in strict.stderr
    out = tmp_path / "out"
    out.mkdir()
    assert cli("draft", "--strict", path, "-o", out).exit_code == 1
    assert list(out.iterdir()) == []


def test_a_former_position_id_works_with_a_deprecation_warning(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    spec = base_spec()
    spec["clauses"] = {"choose": {"liability-cap": "liability-cap-supplier"}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    result = cli("explain", "--json", path)
    assert result.exit_code == 0
    assert (
        "warning: clauses.choose.liability-cap: 'liability-cap-supplier' is a former id of "
        "'liability-cap-supplier-only' and is deprecated; write 'liability-cap-supplier-only'"
    ) in result.stderr
    import json

    report = json.loads(result.stdout)
    chosen = {c["clause"]: c["included"] for c in report["clauses"]}
    assert chosen["liability-cap-supplier-only"] is True
    assert {"field": "term.termination_notice_days", "value": 90} not in report["defaults"]
    assert {"field": "security.incident_notice_hours", "value": 24} not in report["defaults"]


def test_explain_lists_the_defaults_applied(cli: Callable[..., Run]) -> None:
    import json

    spec = EXAMPLES[0].parent / "small-agency-support.yaml"
    report = json.loads(cli("explain", "--json", spec).stdout)
    fields = {d["field"] for d in report["defaults"]}
    assert "service_levels.recovery_time_hours" in fields
    assert "open_source.ipr" not in fields or "open_source" not in spec.read_text("utf-8")


def test_a_framework_before_award_has_a_supplier_block_to_fill_in(tmp_path: Path) -> None:
    from procuregen.drafting import find_template
    from procuregen.render.html import render_html

    spec = yaml.safe_load((EXAMPLES[0].parent / "framework-agreement.yaml").read_text("utf-8"))
    del spec["supplier"]
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    _, _, agreement, _ = build(path)
    html = render_html(agreement, find_template("default"))
    assert "For and on behalf of <strong>National Procurement Services</strong>" in html
    assert (
        "For and on behalf of <strong>________________________________</strong> (the Supplier)"
        in html
    )


def test_the_approval_checklist_lists_unapproved_clauses_and_strict_refuses_them(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    import json

    from tests.conftest import write_tree
    from tests.libraries import base_library, clause
    from tests.specs import VALID

    files = base_library()
    path, text = clause(
        "scope",
        "general",
        "The Supplier delivers.\n",
        order=20,
        approved_by="Legal Team",
        approved_on="2026-11-01",
        approved_version="1.0.0",
    )
    files[path] = text
    write_tree(tmp_path, {**files, "spec.yaml": VALID})
    report = json.loads(
        cli("explain", "--json", tmp_path / "spec.yaml", "--library", tmp_path / "lib").stdout
    )
    checklist = report["approval_checklist"]
    assert "scope: no legal approval recorded for version 1.0.0" not in checklist
    assert "definitions: no legal approval recorded for version 1.0.0" in checklist
    strict = cli("check", "--strict", tmp_path / "spec.yaml", "--library", tmp_path / "lib")
    assert strict.exit_code == 1
    assert (
        "definitions: no legal approval recorded for version 1.0.0 (--strict drafts only "
        "approved clauses and positions)"
    ) in strict.stderr
