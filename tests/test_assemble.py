"""The assembly stage: selection, slots, levers, numbering, rendering, terms and references."""

from __future__ import annotations

from pathlib import Path

import pytest

from procuregen.agreement import Agreement, Definitions, ItemList, Paragraph, Trace
from procuregen.api import build
from procuregen.errors import ProcuregenError
from tests.conftest import write_tree
from tests.libraries import base_library, clause
from tests.specs import VALID, edit


def assembled(
    tmp_path: Path, spec: str = VALID, files: dict[str, str] | None = None
) -> tuple[Agreement, Trace]:
    write_tree(tmp_path, {**base_library(), **(files or {}), "spec.yaml": spec})
    _, _, agreement, trace = build(tmp_path / "spec.yaml", library_dir=tmp_path / "lib")
    return agreement, trace


def problems(tmp_path: Path, spec: str = VALID, files: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ProcuregenError) as caught:
        assembled(tmp_path, spec, files)
    return [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems]


def text(paragraph: object) -> str:
    assert isinstance(paragraph, Paragraph)
    return "".join(r.text for r in paragraph.runs)


def test_sections_and_clauses_are_numbered_in_library_order(tmp_path: Path) -> None:
    agreement, _ = assembled(tmp_path)
    assert [s.heading for s in agreement.sections] == ["1 General", "2 Commercial", "3 Disputes"]
    assert [c.heading for c in agreement.clauses] == [
        "1.1 Definitions",
        "1.2 Scope",
        "2.1 Payment",
        "2.2 Liability cap mutual",
        "3.1 Disputes courts",
    ]


def test_trace_names_every_library_clause_with_its_reason(tmp_path: Path) -> None:
    _, trace = assembled(tmp_path)
    reasons = {d.clause: (d.included, d.number, d.reason) for d in trace.decisions}
    assert reasons == {
        "definitions": (True, "1.1", "mandatory"),
        "scope": (True, "1.2", "always"),
        "framework-scope": (False, None, "only in: framework"),
        "data-processing": (False, None, "when data.personal_data is false"),
        "payment": (True, "2.1", "always"),
        "liability-cap-buyer": (False, None, "slot liability-cap: liability-cap-mutual chosen"),
        "liability-cap-mutual": (True, "2.2", "slot liability-cap: default position"),
        "source-code-escrow": (False, None, "optional; only clauses.include brings it in"),
        "price-review": (False, None, "status draft; only clauses.include brings it in"),
        "old-terms": (False, None, "status deprecated; only clauses.include brings it in"),
        "disputes-courts": (True, "3.1", "slot disputes: when law.disputes == 'courts' is true"),
        "disputes-arbitration": (False, None, "slot disputes: disputes-courts chosen"),
    }
    assert trace.decision("data-processing").condition_value is False


def test_bodies_are_rendered_with_spec_values_numbers_and_list_labels(tmp_path: Path) -> None:
    agreement, _ = assembled(tmp_path)
    clauses = {c.id: c for c in agreement.clauses}
    assert text(clauses["scope"].blocks[0]) == (
        "The Supplier shall deliver CaseFlow to the Buyer under clause 2.1."
    )
    payment = clauses["payment"].blocks
    assert text(payment[0]) == "The Buyer pays EUR 480,000.00 within 30 days."
    assert isinstance(payment[1], ItemList)
    assert [(i.label, "".join(r.text for r in i.runs)) for i in payment[1].items] == [
        ("(a)", "Invoices name the reference KS-1."),
        ("(b)", "Each invoice lists the Deliverables."),
    ]


def test_definitions_hold_exactly_the_used_terms_sorted(tmp_path: Path) -> None:
    agreement, _ = assembled(tmp_path)
    definitions = agreement.clauses[0].blocks[-1]
    assert isinstance(definitions, Definitions)
    assert [(d.term, "".join(r.text for r in d.runs)) for d in definitions.entries] == [
        ("Buyer", "means Exampleby Municipality."),
        ("Deliverable", "means anything the Supplier delivers."),
        ("Supplier", "means Supplier AB, the supplier to the Buyer."),
    ]


def test_condition_true_brings_the_clause_and_its_terms_in(tmp_path: Path) -> None:
    spec = edit("law:\n", "data: {personal_data: true, categories: [names, case notes]}\nlaw:\n")
    agreement, trace = assembled(tmp_path, spec)
    assert [s.heading for s in agreement.sections][1] == "2 Data"
    assert trace.decision("data-processing").reason == "when data.personal_data is true"
    definitions = agreement.clauses[0].blocks[-1]
    assert isinstance(definitions, Definitions)
    assert "Personal Data" in [d.term for d in definitions.entries]
    data = next(c for c in agreement.clauses if c.id == "data-processing")
    assert text(data.blocks[0]).endswith("these categories: names and case notes.")


def test_spec_values_are_data_never_markup(tmp_path: Path) -> None:
    spec = edit("  name: Supplier AB", '  name: "**Acme** [[Buyer]] {{ 7*7 }} <b>"')
    agreement, _ = assembled(tmp_path, spec)
    definitions = agreement.clauses[0].blocks[-1]
    assert isinstance(definitions, Definitions)
    supplier = next(d for d in definitions.entries if d.term == "Supplier")
    assert "".join(r.text for r in supplier.runs) == (
        "means **Acme** [[Buyer]] {{ 7*7 }} <b>, the supplier to the Buyer."
    )
    assert not any(r.bold for r in supplier.runs)


def test_choose_include_and_arbitration(tmp_path: Path) -> None:
    spec = edit("  disputes: courts", "  disputes: arbitration")
    spec = spec + (
        "clauses:\n  include: [source-code-escrow, price-review]\n"
        "  choose: {liability-cap: liability-cap-buyer}\n"
    )
    _, trace = assembled(tmp_path, spec)
    chosen = {d.clause: d.reason for d in trace.decisions if d.included}
    assert chosen["liability-cap-buyer"] == "slot liability-cap: chosen by clauses.choose"
    assert chosen["disputes-arbitration"] == (
        "slot disputes: when law.disputes == 'arbitration' is true"
    )
    assert chosen["source-code-escrow"] == "included by clauses.include"
    assert chosen["price-review"] == "included by clauses.include"


def test_exclude_drops_a_clause_that_nothing_requires(tmp_path: Path) -> None:
    files = dict([clause("extra", "general", "More.\n", order=40)])
    _, trace = assembled(tmp_path, VALID + "clauses: {exclude: [extra]}\n", files)
    assert trace.decision("extra").reason == "excluded by clauses.exclude"


@pytest.mark.parametrize(
    ("levers", "expected"),
    [
        (
            "clauses: {include: [no-such-clause]}",
            "spec.yaml:35:21: clauses.include[0]: no clause 'no-such-clause' in library 'test-library'",
        ),
        (
            "clauses: {exclude: [definitions]}",
            "spec.yaml:35:21: clauses.exclude[0]: 'definitions' is mandatory and cannot be excluded",
        ),
        (
            "clauses: {include: [framework-scope]}",
            "spec.yaml:35:21: clauses.include[0]: 'framework-scope' is not part of a call-off",
        ),
        (
            "clauses: {include: [liability-cap-buyer]}",
            "spec.yaml:35:21: clauses.include[0]: 'liability-cap-buyer' is a position of slot"
            " 'liability-cap'; pick positions with clauses.choose",
        ),
        (
            "clauses: {choose: {liability: liability-cap-buyer}}",
            "spec.yaml:35:31: clauses.choose.liability: no slot 'liability' in library"
            " 'test-library' (slots: disputes, liability-cap)",
        ),
        (
            "clauses: {choose: {liability-cap: payment}}",
            "spec.yaml:35:35: clauses.choose.liability-cap: 'payment' is not a position of slot"
            " 'liability-cap' (positions: liability-cap-buyer, liability-cap-mutual)",
        ),
    ],
)
def test_levers_naming_the_wrong_clause_are_located_in_the_spec(
    tmp_path: Path, levers: str, expected: str
) -> None:
    assert problems(tmp_path, VALID + levers + "\n") == [expected]


def test_exclude_of_a_required_clause_names_both(tmp_path: Path) -> None:
    assert problems(tmp_path, VALID + "clauses: {exclude: [payment]}\n") == [
        "lib/general/scope.md:12:3: requires: scope requires payment, which is not in this"
        " agreement (excluded by clauses.exclude)"
    ]


def test_conflicting_clauses_are_named_both(tmp_path: Path) -> None:
    files = dict(
        [clause("no-escrow", "commercial", "No escrow.\n", conflicts=["source-code-escrow"])]
    )
    spec = VALID + "clauses: {include: [source-code-escrow]}\n"
    assert problems(tmp_path, spec, files) == [
        "lib/commercial/no-escrow.md:11:3: conflicts: no-escrow conflicts with source-code-escrow,"
        " and both are in this agreement"
    ]


def test_two_matching_positions_or_none_is_an_error(tmp_path: Path) -> None:
    both = dict(
        [
            clause(
                "disputes-arbitration",
                "disputes",
                "Arbitration.\n",
                slot="disputes",
                when="law.disputes != 'arbitration'",
            )
        ]
    )
    assert problems(tmp_path, VALID, both) == [
        "spec.yaml:1:1: slot disputes: both disputes-arbitration and disputes-courts apply to this"
        " spec; pick one with clauses.choose"
    ]
    none = dict(
        [
            clause(
                "disputes-courts",
                "disputes",
                "Courts.\n",
                slot="disputes",
                when="law.disputes == 'elsewhere'",
            )
        ]
    )
    assert problems(tmp_path, VALID, none) == [
        "spec.yaml:1:1: slot disputes: no position applies to this spec and there is no single"
        " default (candidates: disputes-arbitration, disputes-courts)"
    ]


def test_condition_naming_a_missing_field_is_an_error_not_false(tmp_path: Path) -> None:
    files = dict([clause("odd", "general", "Odd.\n", when="data.personal_dta")])
    assert problems(tmp_path, VALID, files) == [
        "lib/general/odd.md:10:7: when: 'data.personal_dta' names something the spec does not"
        " have: 'Data object' has no attribute 'personal_dta'"
    ]


def test_missing_value_is_an_error_at_the_clause_line_never_a_blank(tmp_path: Path) -> None:
    files = dict(
        [
            clause(
                "describe",
                "general",
                "First line.\n\nWe buy {{ agreement.description }}.\n",
                order=40,
            )
        ]
    )
    assert problems(tmp_path, VALID, files) == [
        "lib/general/describe.md:14: template: the value is not set in the spec"
    ]


def test_unknown_attribute_in_a_body_is_an_error_at_its_line(tmp_path: Path) -> None:
    files = dict([clause("typo", "general", "Line one.\n{{ buyer.nmae }}\n", order=40)])
    assert problems(tmp_path, VALID, files) == [
        "lib/general/typo.md:13: template: 'Party object' has no attribute 'nmae'"
    ]


def test_sandbox_refuses_model_internals(tmp_path: Path) -> None:
    files = dict([clause("probe", "general", "{{ buyer.model_dump() }}\n", order=40)])
    assert problems(tmp_path, VALID, files) == [
        "lib/general/probe.md:12: template: access to attribute 'model_dump' of 'Party' object is"
        " unsafe."
    ]


def test_undefined_term_and_dangling_reference_name_the_clause(tmp_path: Path) -> None:
    files = dict(
        [
            clause(
                "loose",
                "general",
                "The [[Contractor]] acts under [[#source-code-escrow]].\n",
                order=40,
            )
        ]
    )
    assert problems(tmp_path, VALID, files) == [
        "lib/general/loose.md:12: loose refers to [[#source-code-escrow]], but it is not in this"
        " agreement",
        "lib/general/loose.md:12: loose uses [[Contractor]], but no clause in this agreement"
        " defines it",
    ]


def test_markdown_outside_the_subset_is_an_error(tmp_path: Path) -> None:
    files = dict([clause("heading", "general", "Intro.\n\n# Not allowed\n", order=40)])
    assert problems(tmp_path, VALID, files) == [
        "lib/general/heading.md:14: headings are not allowed in a clause body (the clause title"
        " is its heading)"
    ]


def test_spec_naming_another_library_is_an_error(tmp_path: Path) -> None:
    spec = edit("document: call-off", "library: other-library\ndocument: call-off")
    assert problems(tmp_path, spec) == [
        "spec.yaml:2:10: library: the spec names 'other-library', but lib holds 'test-library'"
    ]


def test_a_clause_that_is_not_approved_goes_in_with_a_warning(tmp_path: Path) -> None:
    spec = VALID + "clauses:\n  include: [price-review]\n"
    agreement, trace = assembled(tmp_path, spec)
    assert "price-review" in {c.id for c in agreement.clauses}
    assert next(c for c in agreement.clauses if c.id == "price-review").status == "draft"
    assert [str(w).replace(f"{tmp_path}/", "") for w in trace.warnings if "status" in str(w)] == [
        "lib/commercial/price-review.md:5:9: warning: status: price-review is draft, not "
        "approved, and goes into this call-off because clauses.include names it"
    ]


SCHEDULED = """\
id: test-library
title: Test Library
version: 2026.1
license: CC-BY-4.0
languages: [en]
sections:
  general: {title: General}
  empty-schedule: {title: Never Used}
  prices: {title: Price Schedule}
  service-levels: {title: Service Levels}
documents:
  call-off:
    title: Call-Off Contract
    sections: [general]
    schedules: [empty-schedule, prices, service-levels]
"""


def scheduled_library(reference: str) -> dict[str, str]:
    return dict(
        [
            ("lib/library.yaml", SCHEDULED),
            clause("terms", "general", f"The prices are in {reference}.\n"),
            clause("rates", "prices", "Rates apply.\n", order=10),
            clause("items", "prices", "Items apply.\n", order=20),
            clause("levels", "service-levels", "Levels.\n", when="'hosting' in services"),
        ]
    )


def test_schedules_are_numbered_after_the_body_and_referred_to(tmp_path: Path) -> None:
    write_tree(tmp_path, {**scheduled_library("[[#prices]] and [[#items]]"), "spec.yaml": VALID})
    _, _, agreement, _ = build(tmp_path / "spec.yaml", library_dir=tmp_path / "lib")
    # The empty schedule is left out and the numbering closes up.
    assert [s.heading for s in agreement.schedules] == ["Schedule 1: Price Schedule"]
    assert [c.heading for c in agreement.schedules[0].clauses] == ["1 Rates", "2 Items"]
    assert [c.number for c in agreement.schedules[0].clauses] == ["S1.1", "S1.2"]
    body = agreement.sections[0].clauses[0].blocks[0]
    assert (
        text(body) == "The prices are in Schedule 1 (Price Schedule) and paragraph 2 of Schedule 1."
    )


def test_a_reference_to_an_absent_schedule_names_both(tmp_path: Path) -> None:
    write_tree(tmp_path, {**scheduled_library("[[#service-levels]]"), "spec.yaml": VALID})
    with pytest.raises(ProcuregenError) as caught:
        build(tmp_path / "spec.yaml", library_dir=tmp_path / "lib")
    assert [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems] == [
        "lib/general/terms.md:11: terms refers to [[#service-levels]], but it is not in this "
        "agreement"
    ]
