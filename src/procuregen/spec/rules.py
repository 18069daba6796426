"""Rules that span several fields, checked on the raw document so that they are
reported together with the field errors, not after them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from procuregen.errors import Problem
from procuregen.spec.model import SERVICES_NEEDING_LEVELS
from procuregen.yamlsource import LocatedDocument, Path

FRAMEWORK_MAX_MONTHS = 48  # Directive 2014/24/EU Article 33(1): four years, extensions included
_BOOL = TypeAdapter(bool)


def _get(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        elif isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        else:
            return None
    return data


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


def _present(data: Any, path: Path) -> bool:
    return _get(data, path) not in (None, "", [], {})


def cross_field_problems(doc: LocatedDocument) -> Iterator[Problem]:
    """Every cross-field rule of spec format v1 that the raw document breaks."""
    data = doc.data

    def problem(path: Path, field: str, message: str) -> Problem:
        return Problem(doc.locate(path), f"{field}: {message}")

    if _get(data, ("document",)) == "call-off":
        if not _present(data, ("supplier",)):
            yield problem(("document",), "supplier", "a call-off needs a supplier")
        if not _present(data, ("agreement", "framework_reference")):
            yield problem(
                ("agreement", "framework_reference"),
                "agreement.framework_reference",
                "a call-off must name the framework agreement it calls off",
            )

    services = _get(data, ("services",))
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

    yield from _term_problems(doc, problem)
    yield from _data_problems(doc, problem)
    yield from _value_problems(doc, problem)

    software = _get(data, ("software",))
    if isinstance(software, dict) and not _present(data, ("software", "publiccode")):
        for field in ("name", "license"):
            if not _present(data, ("software", field)):
                yield problem(
                    ("software", field),
                    f"software.{field}",
                    "required unless software.publiccode supplies it",
                )

    yield from _licence_problems(doc, problem)

    choices = _get(data, ("clauses",))
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


def _term_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    if _get(data, ("document",)) != "framework":
        return
    months = _number(_get(data, ("term", "months")))
    extensions = _get(data, ("term", "extensions")) or []
    added = [_number(e) for e in extensions] if isinstance(extensions, list) else []
    if months is None or None in added:
        return
    total = months + sum(e for e in added if e is not None)
    if total > FRAMEWORK_MAX_MONTHS:
        yield problem(
            ("term", "months"),
            "term.months",
            f"a framework agreement runs at most {FRAMEWORK_MAX_MONTHS} months with its "
            f"extensions (Directive 2014/24/EU Article 33); this one runs {total}",
        )


def _data_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    data = doc.data
    personal = _flag(_get(data, ("data", "personal_data")))
    special = _flag(_get(data, ("data", "special_categories")))
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
    amount = _number(_get(data, ("value", "amount")))
    items = _get(data, ("value", "items"))
    if amount is None or not isinstance(items, list):
        return
    total = Decimal(0)
    for item in items:
        quantity = _number(_get(item, ("quantity",)))
        price = _number(_get(item, ("unit_price",)))
        if quantity is None or price is None:
            return
        total += quantity * price
    if total > amount:
        yield problem(
            ("value", "items"),
            "value.items",
            f"the price schedule totals {total}, more than value.amount {amount}",
        )


def _licence_problems(doc: LocatedDocument, problem: Any) -> Iterator[Problem]:
    from procuregen.spec.types import license_keys, osi_approved

    expression = _get(doc.data, ("software", "license"))
    if not isinstance(expression, str) or _flag(_get(doc.data, ("software", "allow_non_osi"))):
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
