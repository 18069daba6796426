"""Rules that span several fields, checked on the raw document so that they are
reported together with the field errors, not after them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from procuregen.errors import Problem
from procuregen.spec.model import SERVICES_NEEDING_LEVELS, TIME_AND_MATERIALS, add_months
from procuregen.yamlsource import LocatedDocument, Path, value_at

FRAMEWORK_MAX_MONTHS = 48  # Directive 2014/24/EU Article 33(1): four years, extensions included
# The same four years as each jurisdiction pack's statute states it.
_FRAMEWORK_TERM_LAW = {
    "SE": "LOU (2016:1145) chapter 7 section 2",
    "GB": "Procurement Act 2023 section 47",
    "": "Directive 2014/24/EU Article 33",
}
_BOOL = TypeAdapter(bool)
_DATE = TypeAdapter(dt.date)


def _flag(value: Any) -> bool | None:
    if value is None:
        return None
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return None


def _number(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        return None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _present(data: Any, path: Path) -> bool:
    return value_at(data, path) not in (None, "", [], {})


def cross_field_problems(doc: LocatedDocument) -> Iterator[Problem]:
    """Every cross-field rule of spec format v1 that the raw document breaks."""
    data = doc.data

    def problem(path: Path, field: str, message: str, *, at_key: bool = False) -> Problem:
        where = doc.keys.get(path) if at_key else None
        return Problem(where or doc.locate(path), f"{field}: {message}")

    if value_at(data, ("document",)) == "call-off":
        if not _present(data, ("supplier",)):
            yield problem(("document",), "supplier", "a call-off needs a supplier")
        if not _present(data, ("agreement", "framework_reference")):
            yield problem(
                ("agreement", "framework_reference"),
                "agreement.framework_reference",
                "a call-off must name the framework agreement it calls off",
            )

    services = value_at(data, ("services",))
    if isinstance(services, list):
        seen: set[str] = set()
        for index, service in enumerate(services):
            if isinstance(service, str) and service in seen:
                yield problem(
                    ("services", index), f"services[{index}]", f"{service!r} is listed twice"
                )
            seen.add(service)
        needing = [s for s in SERVICES_NEEDING_LEVELS if s in seen]
        if needing and not _present(data, ("service_levels",)):
            yield problem(
                ("services",),
                "service_levels",
                f"required when {' or '.join(needing)} is bought",
            )
        elif "hosting" in seen and not _present(data, ("service_levels", "availability_percent")):
            yield problem(
                ("service_levels",),
                "service_levels.availability_percent",
                "required when hosting is bought: the monthly availability the hosting must meet",
            )

    yield from _supplier_problems(doc, problem)
    yield from _language_problems(doc, problem)
    yield from _term_problems(doc, problem)
    yield from _data_problems(doc, problem)
    yield from _value_problems(doc, problem)
    yield from _milestone_problems(doc, problem)

    software = value_at(data, ("software",))
    if isinstance(software, dict) and not _present(data, ("software", "publiccode")):
        for field in ("name", "license"):
            if not _present(data, ("software", field)):
                yield problem(
                    ("software", field),
                    f"software.{field}",
                    "required unless software.publiccode supplies it",
                )

    yield from _licence_problems(doc, problem)

    choices = value_at(data, ("clauses",))
    if isinstance(choices, dict):
        include, exclude = choices.get("include"), choices.get("exclude")
        if isinstance(include, list) and isinstance(exclude, list):
            for index, clause in enumerate(exclude):
                if clause in include:
                    yield problem(
                        ("clauses", "exclude", index),
                        f"clauses.exclude[{index}]",
                        f"{clause!r} is also in clauses.include",
                    )


def _supplier_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    if not _present(data, ("suppliers",)):
        return
    if value_at(data, ("document",)) == "call-off":
        yield problem(
            ("suppliers",),
            "suppliers",
            "only a framework agreement has several suppliers; a call-off names its supplier "
            "in supplier",
            at_key=True,
        )
    elif _present(data, ("supplier",)):
        yield problem(
            ("suppliers",),
            "suppliers",
            "give either supplier or suppliers, not both",
            at_key=True,
        )


def _language_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    languages = value_at(data, ("languages",))
    prevailing = value_at(data, ("prevailing_language",))
    if not isinstance(languages, list) or not languages:
        if prevailing is not None:
            yield problem(
                ("prevailing_language",),
                "prevailing_language",
                "only a bilingual agreement has a prevailing language; add languages: [sv, en]",
            )
        return
    if len(languages) != 2 or languages[0] == languages[1]:
        yield problem(
            ("languages",),
            "languages",
            "a bilingual agreement has two different languages, e.g. [sv, en]",
        )
        return
    if prevailing is None:
        yield problem(
            ("languages",),
            "prevailing_language",
            f"say which version prevails: prevailing_language: {languages[0]}",
        )
    elif prevailing not in languages:
        yield problem(
            ("prevailing_language",),
            "prevailing_language",
            f"{prevailing!r} is not one of languages {', '.join(map(str, languages))}",
        )
    language = value_at(data, ("language",))
    if language is not None and language not in languages:
        yield problem(
            ("language",),
            "language",
            f"{language!r} is not one of languages {', '.join(map(str, languages))}",
        )


def _term_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    if value_at(data, ("document",)) != "framework":
        return
    months = _number(value_at(data, ("term", "months")))
    extensions = value_at(data, ("term", "extensions")) or []
    added = [_number(e) for e in extensions] if isinstance(extensions, list) else []
    if months is None or None in added:
        return
    law = str(value_at(data, ("law", "governing_law")) or "")
    total = months + sum(e for e in added if e is not None)
    if total > FRAMEWORK_MAX_MONTHS:
        yield problem(
            ("term", "months"),
            "term.months",
            f"a framework agreement runs at most {FRAMEWORK_MAX_MONTHS} months with its "
            f"extensions ({_FRAMEWORK_TERM_LAW.get(law, _FRAMEWORK_TERM_LAW[''])}); this one "
            f"runs {total}",
        )


def _data_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    personal = _flag(value_at(data, ("data", "personal_data")))
    special = _flag(value_at(data, ("data", "special_categories")))
    if personal and not _present(data, ("data", "categories")):
        yield problem(
            ("data", "personal_data"),
            "data.categories",
            "name the categories of personal data processed",
        )
    if special and personal is not True:
        yield problem(
            ("data", "special_categories"),
            "data.special_categories",
            "special categories of personal data need data.personal_data: true",
        )


def _value_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    pricing = value_at(data, ("value", "pricing"))
    if pricing in TIME_AND_MATERIALS and not _present(data, ("value", "rates")):
        yield problem(
            ("value", "pricing"),
            "value.pricing",
            f"{pricing.replace('_', ' ')} pricing needs a rate card: add value.rates, "
            "a list of {role, unit: hour|day, rate}",
        )

    amounts = value_at(data, ("value", "extension_amounts"))
    extensions = value_at(data, ("term", "extensions"))
    if isinstance(amounts, list) and amounts and isinstance(extensions, list | None):
        periods = len(extensions or [])
        if len(amounts) != periods:
            yield problem(
                ("value", "extension_amounts"),
                "value.extension_amounts",
                f"gives {_count(len(amounts), 'amount')} but term.extensions has "
                f"{_count(periods, 'extension period')}; give one amount per extension period",
            )

    amount = _number(value_at(data, ("value", "amount")))
    total = _items_total(value_at(data, ("value", "items")))
    if amount is None or total is None:
        return
    if pricing == "fixed" and total != amount:
        yield problem(
            ("value", "items"),
            "value.items",
            f"the price schedule totals {total}, but value.amount is {amount}; with fixed "
            "pricing they must be equal",
        )
    elif pricing != "fixed" and total > amount:
        yield problem(
            ("value", "items"),
            "value.items",
            f"the price schedule totals {total}, more than value.amount {amount}",
        )


def _items_total(items: Any) -> Decimal | None:
    """Quantity times unit price over every item; None when there are none or one is unreadable."""
    if not isinstance(items, list) or not items:
        return None
    total = Decimal(0)
    for item in items:
        quantity = _number(value_at(item, ("quantity",)))
        price = _number(value_at(item, ("unit_price",)))
        if quantity is None or price is None:
            return None
        total += quantity * price
    return total


def _milestone_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    milestones = value_at(data, ("milestones",))
    if _present(data, ("liquidated_damages",)) and not _present(data, ("milestones",)):
        yield problem(
            ("liquidated_damages",),
            "milestones",
            "liquidated_damages are due for delay of a milestone; add milestones, a list of "
            "{description, date}",
            at_key=True,
        )
    if not isinstance(milestones, list):
        return
    start = _date(value_at(data, ("term", "start")))
    months = _number(value_at(data, ("term", "months")))
    if start is None or months is None or months != int(months) or not 1 <= months <= 240:
        return
    try:
        end = add_months(start, int(months)) - dt.timedelta(days=1)
    except (ValueError, OverflowError):
        return
    for index, milestone in enumerate(milestones):
        day = _date(value_at(milestone, ("date",)))
        if day is not None and not start <= day <= end:
            yield problem(
                ("milestones", index, "date"),
                f"milestones[{index}].date",
                f"{day.isoformat()} is outside the initial term "
                f"({start.isoformat()} to {end.isoformat()})",
            )


def _licence_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    from procuregen.spec.types import license_keys, osi_approved

    expression = value_at(doc.data, ("software", "license"))
    if not isinstance(expression, str) or _flag(value_at(doc.data, ("software", "allow_non_osi"))):
        return
    try:
        keys = license_keys(expression)
    except Exception:
        return
    rejected = [key for key in keys if key not in osi_approved()]
    if rejected:
        yield problem(
            ("software", "license"),
            "software.license",
            f"{', '.join(rejected)} is not OSI-approved; set software.allow_non_osi: true "
            "to accept it",
        )
