"""A call-off checked against its framework spec: errors at their lines, deviations, ledger."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from procuregen.assemble import assemble
from procuregen.errors import Problem, SpecError
from procuregen.framework_check import (
    apply_framework,
    check_call_off,
    deviation_rows,
    read_framework,
    read_ledger,
)
from procuregen.library import Library, library_path, load_library
from procuregen.manifest import resolved_spec_json
from procuregen.spec import Spec, SpecFile, read_spec
from tests.conftest import ROOT, agreement_text, write_tree
from tests.specs import VALID, edit

FRAMEWORK = (ROOT / "examples" / "framework-agreement.yaml").read_text(encoding="utf-8")
ALLOW = """
clauses:
  allow:
    liability-cap: [liability-cap-mutual, liability-cap-supplier-only]
"""
# The valid call-off of tests/specs.py, in the framework's currency, naming the framework.
CALL_OFF = edit("  currency: EUR\n", "  currency: SEK\n", VALID) + "framework: ../framework.yaml\n"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(library_path(None, None))


def line_of(text: str, snippet: str) -> int:
    """1-based line of the only occurrence of `snippet` in `text`."""
    assert text.count(snippet) == 1, snippet
    return text[: text.index(snippet)].count("\n") + 1


def project(
    tmp_path: Path, call_off: str, framework: str = FRAMEWORK + ALLOW
) -> tuple[SpecFile, SpecFile]:
    write_tree(tmp_path, {"framework.yaml": framework, "calloffs/call-off.yaml": call_off})
    spec_file = read_spec(tmp_path / "calloffs" / "call-off.yaml")
    return spec_file, read_framework(spec_file)


def check(
    tmp_path: Path,
    call_off: str,
    library: Library,
    *,
    framework: str = FRAMEWORK + ALLOW,
    ledger_total: Decimal | None = None,
) -> tuple[list[Problem], list[dict[str, str | None]]]:
    spec_file, frame = project(tmp_path, call_off, framework)
    problems, deviations = check_call_off(
        spec_file, frame, ledger_total=ledger_total, library=library
    )
    return problems, deviation_rows(deviations)


def lines(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(p.location.line, p.message.split(":")[0]) for p in problems]


def test_a_call_off_within_its_framework_has_no_problems_and_no_deviations(
    tmp_path: Path, library: Library
) -> None:
    assert check(tmp_path, CALL_OFF, library) == ([], [])


def test_a_call_off_dated_after_the_framework_ends_is_an_error_at_its_dates(
    tmp_path: Path, library: Library
) -> None:
    # The framework runs 2026-12-01 for 24 months plus 12 and 12: to 2030-11-30.
    text = edit("  date: 2026-12-01\n", "  date: 2030-12-01\n", CALL_OFF)
    text = edit("  start: 2027-01-01\n", "  start: 2031-01-01\n", text)
    problems, _ = check(tmp_path, text, library)
    assert lines(problems) == [
        (line_of(text, "date: 2030-12-01"), "agreement.date"),
        (line_of(text, "start: 2031-01-01"), "term.start"),
    ]
    assert "after the framework agreement OSS-FA-2026 ends (2030-11-30" in problems[0].message
    assert problems[0].location.file.endswith("call-off.yaml")


def test_a_call_off_dated_before_the_framework_starts_is_an_error(
    tmp_path: Path, library: Library
) -> None:
    text = edit("  date: 2026-12-01\n", "  date: 2026-11-01\n", CALL_OFF)
    problems, _ = check(tmp_path, text, library)
    assert lines(problems) == [(line_of(text, "date: 2026-11-01"), "agreement.date")]


def test_a_position_the_framework_does_not_allow_is_an_error_at_clauses_choose(
    tmp_path: Path, library: Library
) -> None:
    text = CALL_OFF + "clauses:\n  choose: {liability-cap: liability-cap-supplier-favourable}\n"
    problems, _ = check(tmp_path, text, library)
    assert lines(problems) == [(line_of(text, "choose:"), "clauses.choose.liability-cap")]
    assert "allowed: liability-cap-mutual, liability-cap-supplier-only" in problems[0].message


def test_an_allowed_position_other_than_the_framework_default_is_a_deviation(
    tmp_path: Path, library: Library
) -> None:
    text = CALL_OFF + "clauses:\n  choose: {liability-cap: liability-cap-supplier-only}\n"
    problems, rows = check(tmp_path, text, library)
    assert problems == []
    assert rows == [
        {
            "kind": "position",
            "subject": "liability-cap",
            "what": "position of slot liability-cap",
            "framework": "liability-cap-mutual",
            "call_off": "liability-cap-supplier-only",
        }
    ]


def test_a_broken_allow_list_is_an_error_in_the_framework(tmp_path: Path, library: Library) -> None:
    framework = FRAMEWORK + "clauses:\n  allow:\n    liability-cap: [liability-cap-none]\n"
    problems, _ = check(tmp_path, CALL_OFF, library, framework=framework)
    assert {p.location.file.endswith("framework.yaml") for p in problems} == {True}
    messages = " ".join(p.message for p in problems)
    assert "'liability-cap-none' is not a position of slot 'liability-cap'" in messages
    assert "the framework's own position for call-offs" in messages


def test_rates_are_checked_against_the_framework_rate_card(
    tmp_path: Path, library: Library
) -> None:
    text = edit(
        "  pricing: fixed\n  amount: 480000\n",
        "  pricing: time_and_materials\n  amount: 480000\n  rates:\n"
        "    - {role: Senior developer, unit: hour, rate: 1300}\n"
        "    - {role: developer, unit: hour, rate: 1000}\n"
        "    - {role: Architect, unit: hour, rate: 1400}\n"
        "    - {role: Trainer, unit: hour, rate: 900}\n",
        CALL_OFF,
    )
    problems, _ = check(tmp_path, text, library)
    assert lines(problems) == [
        (line_of(text, "rate: 1300"), "value.rates[0].rate"),
        (line_of(text, "Architect"), "value.rates[2].role"),
        (line_of(text, "rate: 900"), "value.rates[3].unit"),
    ]
    assert "above the framework agreement's maximum of 1250 for Senior developer" in (
        problems[0].message
    )
    assert "(roles: Senior developer, Developer, Project manager, Trainer)" in problems[1].message
    assert (
        problems[0].location.column
        == text.splitlines()[problems[0].location.line - 1].index("1300") + 1
    )


def test_a_service_outside_the_framework_scope_is_an_error_at_its_line(
    tmp_path: Path, library: Library
) -> None:
    framework = edit(
        "services: [development, maintenance, support, hosting, training]",
        "services: [development, training]",
        FRAMEWORK,
    )
    problems, _ = check(tmp_path, CALL_OFF, library, framework=framework)
    assert lines(problems) == [(line_of(CALL_OFF, "services:"), "services[1]")]
    assert "maintenance is not in the scope" in problems[0].message


def test_another_currency_is_an_error_and_skips_the_amount_checks(
    tmp_path: Path, library: Library
) -> None:
    text = edit("  currency: SEK\n", "  currency: EUR\n", CALL_OFF)
    problems, _ = check(tmp_path, text, library, ledger_total=Decimal(10**12))
    assert lines(problems) == [(line_of(text, "currency: EUR"), "value.currency")]


def test_amount_and_ledger_above_the_ceiling_is_an_error_at_value_amount(
    tmp_path: Path, library: Library
) -> None:
    problems, _ = check(tmp_path, CALL_OFF, library, ledger_total=Decimal(399_600_000))
    assert lines(problems) == [(line_of(CALL_OFF, "amount: 480000"), "value.amount")]
    assert "with 399600000 of earlier call-offs in the ledger" in problems[0].message
    assert "above the ceiling of the framework agreement OSS-FA-2026" in problems[0].message
    assert check(tmp_path, CALL_OFF, library, ledger_total=Decimal(399_520_000)) == ([], [])


def test_a_csv_ledger_is_totalled_and_its_bad_rows_located(tmp_path: Path) -> None:
    good = write_tree(
        tmp_path,
        {
            "ledger.csv": "reference,amount,currency\nA-1,1000000,SEK\nA-2,250000.50,\n"
            "KS-1,480000,SEK\n\n"
        },
    )
    assert read_ledger(good / "ledger.csv", currency="SEK", skip="KS-1") == Decimal("1250000.50")
    write_tree(tmp_path, {"bad.csv": "reference,amount,currency\nA-1,lots,SEK\nA-2,5,EUR\n"})
    with pytest.raises(SpecError) as caught:
        read_ledger(tmp_path / "bad.csv", currency="SEK")
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'bad.csv'}:2:2: amount: 'lots' is not an amount of 0 or more (excluding VAT)",
        f"{tmp_path / 'bad.csv'}:3:3: currency: EUR differs from the framework's SEK",
    ]


def test_a_yaml_ledger_is_totalled_and_its_bad_rows_located(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "ledger.yaml": "call_offs:\n  - {reference: A-1, amount: 1000000}\n"
            "  - {reference: A-2, amount: 2000000, date: 2027-02-01}\n"
        },
    )
    assert read_ledger(tmp_path / "ledger.yaml") == Decimal(3_000_000)
    write_tree(tmp_path, {"bad.yaml": "- {reference: A-1, amount: -5}\n- {amount: 1, cost: 2}\n"})
    with pytest.raises(SpecError) as caught:
        read_ledger(tmp_path / "bad.yaml")
    assert [(p.location.line, p.message.split(":")[0]) for p in caught.value.problems] == [
        (1, "amount"),
        (2, "[1].cost"),
    ]


def test_apply_framework_with_a_ledger_over_the_ceiling_refuses(
    tmp_path: Path, library: Library
) -> None:
    spec_file, _ = project(tmp_path, CALL_OFF)
    ledger = write_tree(tmp_path, {"ledger.csv": "reference,amount\nA-1,399999000\n"})
    with pytest.raises(SpecError) as caught:
        apply_framework(spec_file, library=library, ledger=ledger / "ledger.csv")
    assert [p.location.line for p in caught.value.problems] == [line_of(CALL_OFF, "amount:")]


def test_deviations_list_positions_levers_and_values(tmp_path: Path, library: Library) -> None:
    text = edit("  amount: 480000\n", "  amount: 480000\n  payment_days: 20\n", CALL_OFF)
    text += (
        "security:\n  incident_notice_hours: 12\n"
        "data:\n  storage_locations: [national]\n"
        "open_source:\n  publish: false\n"
        "clauses:\n  include: [source-code-escrow]\n  exclude: [accessibility]\n"
    )
    problems, rows = check(tmp_path, text, library)
    assert problems == []
    assert [(r["what"], r["framework"], r["call_off"]) for r in rows] == [
        ("position of slot data-location", "data-location-eea", "data-location-national"),
        ("optional clause source-code-escrow added", "not included", "included"),
        ("clause accessibility dropped", "included", "excluded"),
        ("open_source.publish", "true", "false"),
        ("data.storage_locations", "eea", "national"),
        ("security.incident_notice_hours", "24", "12"),
        ("value.payment_days", "30", "20"),
    ]


def test_the_framework_s_own_levers_are_not_deviations(tmp_path: Path, library: Library) -> None:
    framework = FRAMEWORK + (
        "clauses:\n  include: [source-code-escrow]\n"
        "  choose: {liability-cap: liability-cap-supplier-only}\n"
    )
    text = CALL_OFF + (
        "clauses:\n  include: [source-code-escrow]\n"
        "  choose: {liability-cap: liability-cap-supplier-only}\n"
    )
    assert check(tmp_path, text, library, framework=framework) == ([], [])
    # Without a choice, the call-off takes the library default: a deviation from the framework's.
    _, rows = check(tmp_path, CALL_OFF, library, framework=framework)
    assert [(r["subject"], r["framework"], r["call_off"]) for r in rows] == [
        ("liability-cap", "liability-cap-supplier-only", "liability-cap-mutual"),
        ("source-code-escrow", "included", "excluded"),
    ]


@pytest.mark.parametrize(
    ("framework", "files", "refused"),
    [
        ("../../framework.yaml", {}, "leads outside"),
        ("../../../etc/passwd", {}, "leads outside"),
        ("/etc/passwd", {}, "is absolute"),
        ("../missing.yaml", {}, "no file"),
        ("sibling.yaml", {"project/calloffs/sibling.yaml": VALID}, "is a call-off spec"),
    ],
)
def test_a_framework_path_outside_the_project_or_not_a_framework_is_refused(
    tmp_path: Path, framework: str, files: dict[str, str], refused: str
) -> None:
    text = edit("framework: ../framework.yaml\n", f"framework: {framework}\n", CALL_OFF)
    write_tree(
        tmp_path,
        {"framework.yaml": FRAMEWORK, "project/calloffs/call-off.yaml": text, **files},
    )
    spec_file = read_spec(tmp_path / "project" / "calloffs" / "call-off.yaml")
    with pytest.raises(SpecError) as caught:
        read_framework(spec_file)
    (problem,) = caught.value.problems
    assert problem.location.line == line_of(text, "framework:")
    assert problem.message.startswith("framework: ")
    assert refused in problem.message


def test_procuregen_toml_widens_the_project_to_its_folder(tmp_path: Path) -> None:
    text = edit("framework: ../framework.yaml\n", "framework: ../../framework.yaml\n", CALL_OFF)
    write_tree(
        tmp_path,
        {
            "procuregen.toml": "",
            "framework.yaml": FRAMEWORK,
            "project/calloffs/call-off.yaml": text,
        },
    )
    spec_file = read_spec(tmp_path / "project" / "calloffs" / "call-off.yaml")
    assert read_framework(spec_file).spec.document == "framework"


def test_written_deviations_and_misplaced_fields_are_refused(tmp_path: Path) -> None:
    text = CALL_OFF + (
        "framework_deviations:\n  - {kind: value, subject: x, framework_value: a}\n"
        "clauses:\n  allow: {liability-cap: [liability-cap-mutual]}\n"
    )
    spec_file, _ = project(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        apply_framework(spec_file)
    assert [(p.location.line, p.message.split(":")[0]) for p in caught.value.problems] == [
        (line_of(text, "framework_deviations:"), "framework_deviations"),
        (line_of(text, "allow:"), "clauses.allow"),
    ]


def test_the_deviation_schedule_is_drafted_in_english_and_swedish(
    tmp_path: Path, library: Library
) -> None:
    text = CALL_OFF + "security:\n  incident_notice_hours: 12\ndata:\n  storage_locations: [any]\n"
    spec_file, _ = project(tmp_path, text)
    spec = apply_framework(spec_file, library=library).spec
    assert len(spec.framework_deviations) == 3
    english = agreement_text(assemble(spec, library)[0])
    assert re.search(r"^Schedule \d+: Departures from the Framework Agreement$", english, re.M)
    assert "List of Departures" in english
    assert "Value of security.incident_notice_hours | 24 | 12" in english
    assert "Position chosen for data-location | data-location-eea | data-location-any" in english
    assert "Value of data.storage_locations | the EEA | any country" in english
    swedish = agreement_text(assemble(spec.model_copy(update={"language": "sv"}), library)[0])
    assert re.search(r"^Bilaga \d+: Avvikelser från ramavtalet$", swedish, re.M)
    assert "Värdet för security.incident_notice_hours | 24 | 12" in swedish
    # verify drafts again from the resolved spec alone: the deviations travel with it.
    again = Spec.model_validate_json(resolved_spec_json(spec))
    assert again.framework_deviations == spec.framework_deviations


def test_a_call_off_without_deviations_says_so(tmp_path: Path, library: Library) -> None:
    spec_file, _ = project(tmp_path, CALL_OFF)
    spec = apply_framework(spec_file, library=library).spec
    english = agreement_text(assemble(spec, library)[0])
    assert "does not depart from the terms that the Framework Agreement fixes" in english.replace(
        "\u201c", ""
    ).replace("\u201d", "")


def test_a_call_off_without_a_framework_has_no_deviation_schedule(library: Library) -> None:
    spec_file = read_spec(ROOT / "examples" / "uk-council-english-law.yaml")
    assert apply_framework(spec_file, library=library) is spec_file
    assert "Departures from the Framework Agreement" not in agreement_text(
        assemble(spec_file.spec, library)[0]
    )
