"""Constrained value types of the spec, each with the message a procurement officer sees."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from procuregen.textpolicy import LINE, TEXT, refusals

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CPV = re.compile(r"^[0-9]{8}(?:-[0-9])?$")
# ISO 3166-1 keeps these alpha-2 codes for user assignment or reserves them for
# groupings; CLDR lists some of them as territories, but none is a country.
NOT_COUNTRIES = frozenset(
    {"AA", "EU", "EZ", "UN", "ZZ"}
    | {f"Q{c}" for c in "MNOPQRSTUVWXYZ"}
    | {f"X{chr(c)}" for c in range(ord("A"), ord("Z") + 1)}
)


def _fail(kind: str, message: str, **context: Any) -> PydanticCustomError:
    # Formatted here: pydantic's templates know no format specs, and user text may hold braces.
    return PydanticCustomError(kind, message.format(**context).replace("{", "(").replace("}", ")"))


def check_text(value: str, *, multiline: bool) -> str:
    """Hold a value to the text policy (procuregen.textpolicy), naming the first refused
    character and its offset; YAML input is checked when read, this covers every other way
    in (a spec re-read by `verify`, the library API)."""
    found = refusals(value, TEXT if multiline else LINE)
    if found:
        raise _fail("text", "{why}", why=found[0].message())
    if not value.strip():
        raise _fail("text", "must not be empty")
    return value


def _line(value: str) -> str:
    return check_text(value, multiline=False)


def _paragraph(value: str) -> str:
    return check_text(value, multiline=True)


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise _fail("slug", "{value!r} is not an id (lowercase letters, digits and -)", value=value)
    return value


@functools.cache
def _countries() -> frozenset[str]:
    from babel import Locale

    codes: list[str] = [code for code in Locale("en").territories if isinstance(code, str)]
    return frozenset(
        code for code in codes if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


def _country(value: str) -> str:
    if value not in _countries():
        raise _fail(
            "country",
            "{value!r} is not an ISO 3166-1 alpha-2 country code (for example SE, DE, FI)",
            value=value,
        )
    return value


@functools.cache
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _currency(value: str) -> str:
    if value not in _currencies():
        raise _fail(
            "currency",
            "{value!r} is not an ISO 4217 currency code (for example EUR, SEK)",
            value=value,
        )
    return value


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _fail(
            "email", "{value!r} is not an e-mail address: {why}", value=value, why=str(exc)
        ) from None
    return value


def _cpv(value: str) -> str:
    if not CPV.match(value):
        raise _fail(
            "cpv", "{value!r} is not a CPV code (8 digits, optionally -check digit)", value=value
        )
    return value


def _file_name(value: str) -> str:
    _line(value)
    if "/" in value or "\\" in value or value.startswith(".") or value != value.strip():
        raise _fail(
            "file_name",
            "{value!r} is not a plain file name (no folder part, no leading dot)",
            value=value,
        )
    return value


@functools.cache
def osi_approved() -> frozenset[str]:
    """SPDX identifiers that the SPDX License List marks as OSI-approved."""
    text = resources.files("procuregen.data").joinpath("osi-approved.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


# OSI-approved identifiers that the SPDX list has deprecated: license-expression
# normalises or rejects them, so they take the full path.
DEPRECATED_SPDX = frozenset(
    {"AGPL-3.0", "GPL-2.0", "GPL-2.0+", "GPL-3.0", "GPL-3.0+", "GPL-3.0-with-GCC-exception"}
    | {"LGPL-2.0", "LGPL-2.0+", "LGPL-2.1", "LGPL-2.1+", "LGPL-3.0", "LGPL-3.0+"}
    | {"MPL-2.0-no-copyleft-exception"}
)


# Licences of clause texts rather than software (a library.yaml's `license:`).
TEXT_LICENCES = frozenset({"CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0"})


@functools.cache
def _plain_identifiers() -> frozenset[str]:
    """Single identifiers that are valid and normalised as written."""
    return (osi_approved() - DEPRECATED_SPDX) | TEXT_LICENCES


def license_keys(expression: str) -> list[str]:
    """The licence identifiers (not exceptions) of a valid SPDX expression."""
    if expression in _plain_identifiers():
        return [expression]  # one known identifier: no need to build the SPDX index
    licensing = _licensing()
    parsed = licensing.parse(expression, validate=True, strict=True)
    symbols = licensing.license_symbols(parsed, decompose=True)
    return [s.key for s in symbols if not getattr(s, "is_exception", False)]


def _spdx(value: str) -> str:
    _line(value)
    if value in _plain_identifiers():
        # A single identifier exactly as the SPDX list spells it is already valid and
        # normalised; building license-expression's index of every licence costs ~90 ms.
        return value
    licensing = _licensing()
    info = None
    try:
        # parse() first: validate() itself fails on some malformed expressions.
        licensing.parse(value, validate=True, strict=True)
        info = licensing.validate(value, strict=True)
        why = "; ".join(info.errors)
    except Exception as exc:
        why = str(exc) or type(exc).__name__
    if why:
        raise _fail(
            "spdx",
            "{value!r} is not a valid SPDX licence expression: {why}",
            value=value,
            why=why,
        )
    assert info is not None
    return str(info.normalized_expression)


Line = Annotated[str, AfterValidator(_line)]
Paragraph = Annotated[str, AfterValidator(_paragraph)]
Slug = Annotated[str, AfterValidator(_slug)]
CountryCode = Annotated[str, AfterValidator(_country)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
Email = Annotated[str, AfterValidator(_email)]
CpvCode = Annotated[str, AfterValidator(_cpv)]
FileName = Annotated[str, AfterValidator(_file_name)]
SpdxExpression = Annotated[str, AfterValidator(_spdx)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]
Percent = Annotated[Decimal, Field(gt=0, le=100)]
Days = Annotated[int, Field(ge=1, le=3650)]
Hours = Annotated[int, Field(ge=1, le=8760)]
