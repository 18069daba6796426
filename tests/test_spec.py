"""The spec stage: safe YAML, typed fields and cross-field rules, each error at its place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from procuregen.errors import SpecError
from procuregen.spec import Spec, load_spec
from tests.conftest import EXAMPLES
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
        "4:10: agreement.title: bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE at offset 4"
        " is not allowed (it reorders what is printed; delete it)",
    ),
    (
        "  title: Case management",
        '  title: "Case\\x07management"',
        "4:10: agreement.title: control character U+0007 at offset 4 is not allowed"
        " (delete it; tabs and newlines only where a text has several lines)",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  items:\n    - {description: Work, quantity: 2,"
        " unit: lot, unit_price: 300000}",
        "28:5: value.items: the price schedule totals 600000, but value.amount is 480000;"
        " with fixed pricing they must be equal",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  items:\n    - {description: Work, quantity: 1,"
        " unit: lot, unit_price: 300000}",
        "28:5: value.items: the price schedule totals 300000, but value.amount is 480000;"
        " with fixed pricing they must be equal",
    ),
    (
        "pricing: fixed\n  amount: 480000",
        "pricing: subscription\n  amount: 480000\n  items:\n    - {description: Hosting,"
        " quantity: 24, unit: month, unit_price: 25000, recurrence: monthly}",
        "28:5: value.items: the price schedule totals 600000, more than value.amount 480000",
    ),
    (
        "pricing: fixed",
        "pricing: time_and_materials",
        "25:12: value.pricing: time and materials pricing needs a rate card: add value.rates,"
        " a list of {role, unit: hour|day, rate}",
    ),
    (
        "pricing: fixed",
        "pricing: capped_time_and_materials",
        "25:12: value.pricing: capped time and materials pricing needs a rate card:"
        " add value.rates, a list of {role, unit: hour|day, rate}",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  rates: [{role: Developer, unit: week, rate: 5000}]",
        "27:35: value.rates[0].unit: Input should be 'hour' or 'day'",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  rates: [{role: Developer, unit: hour, rate: 0}]",
        "27:47: value.rates[0].rate: Input should be greater than 0",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  items:\n    - {description: Work, quantity: 1,"
        " unit: lot, unit_price: 480000, recurrence: weekly}",
        "28:83: value.items[0].recurrence: Input should be 'once', 'monthly', 'quarterly'"
        " or 'yearly'",
    ),
    (
        "  amount: 480000",
        "  amount: 480000\n  extension_amounts: [240000]",
        "27:22: value.extension_amounts: gives 1 amount but term.extensions has"
        " 0 extension periods; give one amount per extension period",
    ),
    (
        "law:\n",
        "liquidated_damages: {percent_per_week: 0.5, cap_percent: 10}\nlaw:\n",
        "31:1: milestones: liquidated_damages are due for delay of a milestone; add milestones,"
        " a list of {description, date}",
    ),
    (
        "law:\n",
        "liquidated_damages: {percent_per_week: 0.5, cap_percent: 101}\nmilestones:"
        " [{description: Go-live, date: 2027-06-30}]\nlaw:\n",
        "31:58: liquidated_damages.cap_percent: Input should be less than or equal to 100",
    ),
    (
        "law:\n",
        "contract_documents: [{kind: offer, title: Tender, date: 2026-11-01}]\nlaw:\n",
        "31:29: contract_documents[0].kind: Input should be 'specification', 'tender' or 'other'",
    ),
    (
        "law:\n",
        "data:\n  sub_processors: [{name: Cloud Ltd, country: XX, activity: hosting}]\nlaw:\n",
        "32:47: data.sub_processors[0].country: 'XX' is not an ISO 3166-1 alpha-2 country code"
        " (for example SE, DE, FI)",
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


def test_framework_term_limit_cites_the_statute_of_the_governing_law(tmp_path: Path) -> None:
    text = edit("document: call-off", "document: framework")
    text = edit("  months: 24", "  months: 36\n  extensions: [12, 12]", text)
    for law, statute in (
        ("GB", "Procurement Act 2023 section 47"),
        ("DE", "Directive 2014/24/EU Article 33"),
    ):
        errors = errors_of(tmp_path, edit("governing_law: SE", f"governing_law: {law}", text))
        assert any(f"({statute}); this one runs 60" in e for e in errors), errors


def test_framework_runs_at_most_four_years(tmp_path: Path) -> None:
    text = edit("document: call-off", "document: framework")
    text = edit("  months: 24", "  months: 36\n  extensions: [12, 12]", text)
    assert errors_of(tmp_path, text) == [
        "22:11: term.months: a framework agreement runs at most 48 months with its extensions"
        " (LOU (2016:1145) chapter 7 section 2); this one runs 60"
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


SUPPLIER = VALID[VALID.index("supplier:\n") : VALID.index("term:")]


def suppliers_block(*names: str) -> str:
    """A `suppliers:` list of copies of VALID's supplier, one per name."""
    body = SUPPLIER.removeprefix("supplier:\n")
    entries = ""
    for name in names:
        entry = body.replace("Supplier AB", name).replace("\n  ", "\n    ")
        entries += "  - " + entry.removeprefix("  ")
    return "suppliers:\n" + entries


def load_text(tmp_path: Path, text: str) -> Spec:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


def test_new_fields_default_so_a_spec_from_before_still_loads(tmp_path: Path) -> None:
    spec = load_text(tmp_path, VALID)
    assert spec.suppliers == ()
    assert spec.supplier is not None
    assert spec.supplier_list == (spec.supplier,)
    assert spec.buyer.signatory.place is None
    assert spec.contract_documents == ()
    assert (spec.value.rates, spec.value.items, spec.value.extension_amounts) == ((), (), ())
    assert spec.value.items_total == 0
    assert (spec.value.once_items, spec.value.recurring_items) == ((), ())
    assert (spec.data.subjects, spec.data.purposes, spec.data.sub_processors) == ((), (), ())
    assert spec.data.retention_days == 30
    assert (spec.milestones, spec.liquidated_damages, spec.key_staff) == ((), None, ())
    assert spec.service_levels is None


def test_a_spec_from_before_only_lacks_the_rate_card_for_time_and_materials(
    tmp_path: Path,
) -> None:
    items = (
        "  amount: 480000\n  items:\n"
        "    - {description: Development, quantity: 300, unit: hour, unit_price: 1000}\n"
    )
    text = edit(
        "pricing: fixed", "pricing: capped_time_and_materials", edit("  amount: 480000\n", items)
    )
    assert errors_of(tmp_path, text) == [
        "25:12: value.pricing: capped time and materials pricing needs a rate card:"
        " add value.rates, a list of {role, unit: hour|day, rate}"
    ]
    rated = edit(
        "  items:\n",
        "  rates:\n    - {role: Senior developer, unit: hour, rate: 1150}\n"
        "    - {role: Trainer, unit: day, rate: 8000.50}\n  items:\n",
        text,
    )
    value = load_text(tmp_path, rated).value
    assert [(r.role, r.unit, r.rate) for r in value.rates] == [
        ("Senior developer", "hour", Decimal(1150)),
        ("Trainer", "day", Decimal("8000.50")),
    ]
    assert value.items_total == Decimal(300000)  # below the cap: fine


def test_fixed_price_items_that_total_the_amount(tmp_path: Path) -> None:
    items = (
        "  amount: 480000\n  items:\n"
        "    - {description: Release 2.0, quantity: 1, unit: lot, unit_price: 240000}\n"
        "    - {description: Maintenance, quantity: 24, unit: month, unit_price: 8000,"
        " recurrence: monthly}\n"
        "    - {description: Licence audit, quantity: 2, unit: year, unit_price: 24000,"
        " recurrence: yearly}\n"
    )
    value = load_text(tmp_path, edit("  amount: 480000\n", items)).value
    assert value.items_total == value.amount == Decimal(480000)
    assert [i.description for i in value.once_items] == ["Release 2.0"]
    assert [(i.description, i.recurrence) for i in value.recurring_items] == [
        ("Maintenance", "monthly"),
        ("Licence audit", "yearly"),
    ]
    assert value.items[0].recurrence == "once"


def test_one_extension_amount_per_extension_period(tmp_path: Path) -> None:
    text = edit("  months: 24", "  months: 24\n  extensions: [12, 6]")
    too_few = edit("  amount: 480000", "  amount: 480000\n  extension_amounts: [240000]", text)
    assert errors_of(tmp_path, too_few) == [
        "28:22: value.extension_amounts: gives 1 amount but term.extensions has"
        " 2 extension periods; give one amount per extension period"
    ]
    right = edit(
        "  amount: 480000", "  amount: 480000\n  extension_amounts: [240000, 120000.50]", text
    )
    assert load_text(tmp_path, right).value.extension_amounts == (
        Decimal(240000),
        Decimal("120000.50"),
    )


def test_milestones_fall_within_the_initial_term(tmp_path: Path) -> None:
    # term: 2027-01-01 for 24 months, so it ends on 2028-12-31
    milestones = (
        "milestones:\n"
        "  - {description: Kick-off, date: 2027-01-01}\n"
        "  - {description: Go-live, date: 2028-12-31, payment: 120000}\n"
        "  - {description: Too early, date: 2026-12-31}\n"
        "  - {description: Too late, date: 2029-01-01}\n"
        "law:\n"
    )
    assert errors_of(tmp_path, edit("law:\n", milestones)) == [
        "34:36: milestones[2].date: 2026-12-31 is outside the initial term"
        " (2027-01-01 to 2028-12-31)",
        "35:35: milestones[3].date: 2029-01-01 is outside the initial term"
        " (2027-01-01 to 2028-12-31)",
    ]
    within = milestones.replace("2026-12-31", "2027-06-30").replace("2029-01-01", "2028-06-30")
    damages = "liquidated_damages:\n  percent_per_week: 0.5\n  cap_percent: 10\n"
    spec = load_text(tmp_path, edit("law:\n", within.replace("law:\n", damages + "law:\n")))
    assert [(m.date, m.payment) for m in spec.milestones[:2]] == [
        (dt.date(2027, 1, 1), None),
        (dt.date(2028, 12, 31), Decimal(120000)),
    ]
    assert spec.liquidated_damages is not None
    assert spec.liquidated_damages.percent_per_week == Decimal("0.5")
    assert spec.liquidated_damages.cap_percent == Decimal(10)


def test_liquidated_damages_need_milestones_reported_at_their_key(tmp_path: Path) -> None:
    text = edit("law:\n", "liquidated_damages:\n  percent_per_week: 0.5\n  cap_percent: 10\nlaw:\n")
    assert errors_of(tmp_path, text) == [
        "31:1: milestones: liquidated_damages are due for delay of a milestone; add milestones,"
        " a list of {description, date}"
    ]
    text = edit("law:\n", "liquidated_damages: {percent_per_week: 0.5}\nlaw:\n")
    assert errors_of(tmp_path, text) == [
        "31:1: liquidated_damages.cap_percent: required field is missing",
        "31:1: milestones: liquidated_damages are due for delay of a milestone; add milestones,"
        " a list of {description, date}",
    ]


def test_several_suppliers_only_in_a_framework(tmp_path: Path) -> None:
    several = suppliers_block("Supplier AB", "Other Supplier AB")
    framework = edit("document: call-off", "document: framework", edit(SUPPLIER, several))
    spec = load_text(tmp_path, framework)
    assert spec.supplier is None
    assert [s.name for s in spec.supplier_list] == ["Supplier AB", "Other Supplier AB"]
    assert spec.supplier_list[1].address.city == "Göteborg"

    assert errors_of(tmp_path, edit(SUPPLIER, several)) == [
        "2:11: supplier: a call-off needs a supplier",
        "14:1: suppliers: only a framework agreement has several suppliers; a call-off names"
        " its supplier in supplier",
    ]
    both = edit("document: call-off", "document: framework", edit(SUPPLIER, SUPPLIER + several))
    assert errors_of(tmp_path, both) == [
        "20:1: suppliers: give either supplier or suppliers, not both"
    ]


def test_framework_without_a_supplier_has_an_empty_supplier_list(tmp_path: Path) -> None:
    text = edit("document: call-off", "document: framework", edit(SUPPLIER, ""))
    assert load_text(tmp_path, text).supplier_list == ()


def test_signatory_place_and_contract_documents(tmp_path: Path) -> None:
    text = edit("title: Head of IT}", "title: Head of IT, place: Exampleby}")
    text = edit(
        "term:\n",
        "contract_documents:\n"
        "  - {kind: specification, title: Requirements, reference: KS-1-1, date: 2026-09-15}\n"
        "  - {kind: tender, title: Tender from Supplier AB, date: 2026-10-20}\n"
        "term:\n",
        text,
    )
    spec = load_text(tmp_path, text)
    assert spec.buyer.signatory.place == "Exampleby"
    assert [(d.kind, d.reference, d.date) for d in spec.contract_documents] == [
        ("specification", "KS-1-1", dt.date(2026, 9, 15)),
        ("tender", None, dt.date(2026, 10, 20)),
    ]


LEVELS = """\
service_levels:
  availability_percent: {availability}
  support_hours: business
  response_hours: {{critical: 4, high: 8, normal: 24}}
law:
"""


def with_support(availability: str, extra: str = "") -> str:
    text = edit("services: [development, maintenance]", "services: [support]")
    return edit(
        "law:\n", LEVELS.format(availability=availability).replace("law:\n", extra + "law:\n"), text
    )


def test_service_level_defaults(tmp_path: Path) -> None:
    levels = load_text(tmp_path, with_support("99.5")).service_levels
    assert levels is not None
    assert levels.resolution_hours.model_dump() == {"critical": 8, "high": 24, "normal": 72}
    assert levels.fix_days.model_dump() == {"critical": 5, "high": 15, "normal": 60}
    assert (levels.recovery_time_hours, levels.recovery_point_hours) == (8, 24)
    assert levels.service_credits == ()
    assert levels.service_credit_cap_percent == Decimal(15)
    assert [(c.availability_below, c.credit_percent) for c in levels.credits] == [
        (Decimal("99.5"), Decimal(5)),
        (Decimal("98.5"), Decimal(10)),
        (Decimal("97.5"), Decimal(15)),
    ]


def test_default_service_credits_skip_thresholds_at_or_below_zero(tmp_path: Path) -> None:
    levels = load_text(tmp_path, with_support("1.5")).service_levels
    assert levels is not None
    assert [(c.availability_below, c.credit_percent) for c in levels.credits] == [
        (Decimal("1.5"), Decimal(5)),
        (Decimal("0.5"), Decimal(10)),
    ]
    levels = load_text(tmp_path, with_support("1")).service_levels
    assert levels is not None
    assert [c.availability_below for c in levels.credits] == [Decimal(1)]


def test_service_credits_given_replace_the_defaults(tmp_path: Path) -> None:
    extra = (
        "  resolution_hours: {critical: 4}\n"
        "  fix_days: {normal: 30}\n"
        "  recovery_time_hours: 4\n"
        "  recovery_point_hours: 1\n"
        "  service_credits:\n"
        "    - {availability_below: 99.9, credit_percent: 2.5}\n"
        "    - {availability_below: 99, credit_percent: 20}\n"
        "  service_credit_cap_percent: 25\n"
    )
    levels = load_text(tmp_path, with_support("99.9", extra)).service_levels
    assert levels is not None
    assert levels.resolution_hours.model_dump() == {"critical": 4, "high": 24, "normal": 72}
    assert levels.fix_days.model_dump() == {"critical": 5, "high": 15, "normal": 30}
    assert (levels.recovery_time_hours, levels.recovery_point_hours) == (4, 1)
    assert levels.credits == levels.service_credits
    assert [(c.availability_below, c.credit_percent) for c in levels.credits] == [
        (Decimal("99.9"), Decimal("2.5")),
        (Decimal(99), Decimal(20)),
    ]
    assert levels.service_credit_cap_percent == Decimal(25)
    bad = extra.replace("credit_percent: 20", "credit_percent: 0")
    assert errors_of(tmp_path, with_support("99.9", bad)) == [
        "41:48: service_levels.service_credits[1].credit_percent: Input should be greater than 0"
    ]


def test_data_processing_details(tmp_path: Path) -> None:
    data = (
        "data:\n"
        "  personal_data: true\n"
        "  categories: [case records]\n"
        "  subjects: [applicants for social services, case officers]\n"
        "  purposes: [handling of social services cases]\n"
        "  retention_days: 60\n"
        "  sub_processors:\n"
        "    - {name: Example Hosting AB, country: SE, activity: hosting}\n"
        "key_staff:\n"
        "  - {name: Sara Lind, role: Project manager}\n"
        "law:\n"
    )
    spec = load_text(tmp_path, edit("law:\n", data))
    assert spec.data.subjects == ("applicants for social services", "case officers")
    assert spec.data.purposes == ("handling of social services cases",)
    assert spec.data.retention_days == 60
    assert [(p.name, p.country, p.activity) for p in spec.data.sub_processors] == [
        ("Example Hosting AB", "SE", "hosting")
    ]
    assert [(k.name, k.role) for k in spec.key_staff] == [("Sara Lind", "Project manager")]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_examples_are_valid_specs(example: Path) -> None:
    load_spec(example)


def test_plain_identifier_fast_path_agrees_with_license_expression() -> None:
    # The fast path skips license-expression for a single identifier; it must accept
    # exactly what the library accepts unchanged, or the spec's licence text would differ.
    from procuregen.spec.types import _licensing, _plain_identifiers

    licensing = _licensing()
    for key in sorted(_plain_identifiers()):
        info = licensing.validate(key, strict=True)
        assert not info.errors, key
        assert str(info.normalized_expression) == key
