"""The spec stage: safe YAML, typed fields and cross-field rules, each error at its place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from procuregen.errors import SpecError
from procuregen.spec import load_spec
from tests.specs import VALID, edit


def errors_of(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "spec.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    prefix = f"{path}:"
    return [str(p).removeprefix(prefix) for p in caught.value.problems]


def test_valid_spec_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "agency.yaml"
    path.write_text(VALID, encoding="utf-8")
    spec = load_spec(path)
    assert spec.buyer.name == "Exampleby Municipality"
    assert spec.language == "en"
    assert spec.library is None
    assert spec.term.end == dt.date(2028, 12, 31)
    assert spec.term.termination_notice_days == 90
    assert spec.value.payment_days == 30
    assert spec.software.sbom == "spdx"
    assert spec.open_source.upstream_contribution == "encouraged"
    assert spec.data.storage_locations == ("eea",)
    assert spec.security.vulnerability_fix_days.critical == 2
    assert spec.accessibility == "EN-301-549"
    assert spec.output.name == "agency"
    assert spec.output.formats == ("docx", "pdf")
    assert spec.buyer.invoice_address == spec.buyer.address


def test_scalars_stay_what_was_written(tmp_path: Path) -> None:
    text = edit("country: SE}\n  contact: {name: Anna", "country: NO}\n  contact: {name: Anna")
    text = edit("date: 2026-12-01\n", 'date: 2026-12-01\n  cpv: ["03000000", 72212000-4]\n', text)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_spec(path)
    assert spec.buyer.address.country == "NO"
    assert spec.agreement.cpv == ("03000000", "72212000-4")


CASES = [
    # (old, new, expected "line:col: field: message")
    (
        "procuregen: 1",
        "procuregen: 2",
        "1:13: procuregen: spec format version 2 is not supported (this procuregen reads 1)",
    ),
    (
        "document: call-off",
        "document: tender",
        "2:11: document: Input should be 'framework' or 'call-off'",
    ),
    ("  title: Case management\n", "", "3:1: agreement.title: required field is missing"),
    (
        "  date: 2026-12-01",
        "  date: 2026-02-30",
        "7:9: agreement.date: Input should be a valid date or datetime,"
        " day value is outside expected range",
    ),
    (
        "  months: 24",
        "  months: 0",
        "22:11: term.months: Input should be greater than or equal to 1",
    ),
    (
        "email: anna.berg@exampleby.se",
        "email: anna.berg",
        "12:37: buyer.contact.email: 'anna.berg' is not an e-mail address:"
        " An email address must have an @-sign.",
    ),
    (
        "currency: EUR",
        "currency: EUX",
        "24:13: value.currency: 'EUX' is not an ISO 4217 currency code (for example EUR, SEK)",
    ),
    (
        "city: Exampleby, country: SE",
        "city: Exampleby, country: XX",
        "11:83: buyer.address.country: 'XX' is not an ISO 3166-1 alpha-2 country code"
        " (for example SE, DE, FI)",
    ),
    (
        "city: Exampleby, country: SE",
        "city: Exampleby, country: EU",
        "11:83: buyer.address.country: 'EU' is not an ISO 3166-1 alpha-2 country code"
        " (for example SE, DE, FI)",
    ),
    (
        "license: EUPL-1.2",
        "license: EUPL-1.2 AND",
        "29:12: software.license: 'EUPL-1.2 AND' is not a valid SPDX licence expression:"
        " AND requires two or more licenses as in: MIT AND BSD",
    ),
    (
        "license: EUPL-1.2",
        "license: Frobnitz-1.0",
        "29:12: software.license: 'Frobnitz-1.0' is not a valid SPDX licence expression:"
        " Unknown license key(s): Frobnitz-1.0",
    ),
    (
        "license: EUPL-1.2",
        "license: Elastic-2.0",
        "29:12: software.license: Elastic-2.0 is not OSI-approved;"
        " set software.allow_non_osi: true to accept it",
    ),
    (
        "  venue: Stockholm District Court\n",
        "  venue: Stockholm District Court\n  seat: Oslo\n",
        "35:3: law.seat: unknown field (expected one of: governing_law, disputes, venue)",
    ),
    (
        "services: [development, maintenance]",
        "services: [development, consulting]",
        "30:25: services[1]: Input should be 'development', 'maintenance', 'support',"
        " 'hosting' or 'training'",
    ),
    (
        "services: [development, maintenance]",
        "services: [support]",
        "30:11: service_levels: required when support is bought",
    ),
    (
        "services: [development, maintenance]",
        "services: [development, development]",
        "30:25: services[1]: 'development' is listed twice",
    ),
    (
        "  framework_reference: OSS-FA-2026\n",
        "",
        "3:1: agreement.framework_reference: a call-off must name the framework agreement"
        " it calls off",
    ),
    (
        "  title: Case management",
        '  title: "Case\\u202emanagement"',
        "4:10: agreement.title: bidirectional control U+202E at offset 4 is not allowed",
    ),
    (
        "  title: Case management",
        '  title: "Case\\x07management"',
        "4:10: agreement.title: control character U+0007 at offset 4 is not allowed",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  items:\n    - {description: Work, quantity: 2,"
        " unit: lot, unit_price: 300000}",
        "28:5: value.items: the price schedule totals 600000, more than value.amount 480000",
    ),
    ("  amount: 480000", "  amount: lots", "26:11: value.amount: Input should be a valid decimal"),
    (
        "  name: CaseFlow\n",
        "",
        "27:1: software.name: required unless software.publiccode supplies it",
    ),
    (
        "law:\n",
        "output: {name: ../escape}\nlaw:\n",
        "31:16: output.name: '../escape' is not a plain file name (no folder part, no leading dot)",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES, ids=[c[2].split(":")[2] for c in CASES])
def test_each_rule_reports_its_message_at_its_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert errors_of(tmp_path, edit(old, new)) == [expected]


def test_call_off_without_supplier(tmp_path: Path) -> None:
    start = VALID.index("supplier:")
    end = VALID.index("term:")
    text = VALID[:start] + VALID[end:]
    assert errors_of(tmp_path, text) == ["2:11: supplier: a call-off needs a supplier"]


def test_framework_runs_at_most_four_years(tmp_path: Path) -> None:
    text = edit("document: call-off", "document: framework")
    text = edit("  months: 24", "  months: 36\n  extensions: [12, 12]", text)
    assert errors_of(tmp_path, text) == [
        "22:11: term.months: a framework agreement runs at most 48 months with its extensions"
        " (Directive 2014/24/EU Article 33); this one runs 60"
    ]


def test_personal_data_needs_categories_and_special_categories_need_personal_data(
    tmp_path: Path,
) -> None:
    text = edit("law:\n", "data: {personal_data: true}\nlaw:\n")
    assert errors_of(tmp_path, text) == [
        "31:23: data.categories: name the categories of personal data processed"
    ]
    text = edit("law:\n", "data: {special_categories: true}\nlaw:\n")
    assert errors_of(tmp_path, text) == [
        "31:28: data.special_categories: special categories of personal data need"
        " data.personal_data: true"
    ]


def test_non_osi_licence_accepted_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        edit("license: EUPL-1.2", "license: Elastic-2.0\n  allow_non_osi: true"), encoding="utf-8"
    )
    assert load_spec(path).software.license == "Elastic-2.0"


def test_all_errors_come_out_in_one_run_sorted_by_line(tmp_path: Path) -> None:
    text = edit("  months: 24", "  months: many")
    text = edit("currency: EUR", "currency: XYZ", text)
    text = edit("email: anna.berg@exampleby.se", "email: nobody", text)
    lines = [e.split(":")[0] for e in errors_of(tmp_path, text)]
    assert lines == ["12", "22", "24"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x 1\nb: *x\n", "1:4: YAML anchors (&name) are not allowed"),
        (
            "a: !!python/object:os.system ls\n",
            "1:4: YAML tags are not allowed (found tag:yaml.org,2002:python/object:os.system)",
        ),
        ("a: 1\na: 2\n", "2:1: duplicate key 'a' (first defined at line 1)"),
        ("a: [1, 2\n", "2:1: invalid YAML: did not find expected ',' or ']'"),
        ("- just\n- a list\n", "1:1: a spec must be a YAML mapping"),
        ("a: 1\n---\nb: 2\n", "2:1: only one YAML document is allowed per file"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "1:36: nested deeper than 32 levels"),
    ],
)
def test_unsafe_or_broken_yaml_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert errors_of(tmp_path, text) == [expected]


def test_non_utf8_input_is_refused_at_its_byte(tmp_path: Path) -> None:
    raw = VALID.encode("utf-8").replace(b"Case management", b"Case \xe9management")
    assert errors_of(tmp_path, raw) == ["4:15: not UTF-8 text (byte offset 58)"]


def test_oversized_input_is_refused(tmp_path: Path) -> None:
    raw = b"# " + b"x" * 1_000_001 + b"\n"
    assert errors_of(tmp_path, raw) == ["1:1: larger than 1000000 bytes"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "nope.yaml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'nope.yaml'}: cannot read spec: No such file or directory"
    )


def test_yaml_cannot_smuggle_a_lone_surrogate(tmp_path: Path) -> None:
    text = edit("  title: Case management", '  title: "Case\\ud800management"')
    assert errors_of(tmp_path, text) == [
        "4:17: invalid YAML: found invalid Unicode character escape code"
    ]


def test_text_rules_hold_for_specs_that_do_not_come_from_yaml() -> None:
    """A resolved spec re-read by `verify` is JSON, so the text checks cannot rely on YAML."""
    from pydantic import ValidationError

    from procuregen.spec.model import Signatory

    with pytest.raises(ValidationError, match=r"lone surrogate U\+D800 at offset 2 is not allowed"):
        Signatory.model_validate({"name": "Ab\ud800", "title": "Director"})


def test_plain_null_means_not_given_but_quoted_null_is_text(tmp_path: Path) -> None:
    text = edit("  date: 2026-12-01\n", "  date: 2026-12-01\n  description: null\n")
    text = edit("email: anna.berg@exampleby.se}", "email: anna.berg@exampleby.se, phone: ~}", text)
    text = edit("  name: CaseFlow\n", '  name: CaseFlow\n  description: "null"\n', text)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_spec(path)
    assert spec.agreement.description is None
    assert spec.buyer.contact.phone is None
    assert spec.software.description == "null"
