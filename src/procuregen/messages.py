"""Message catalogues and locale formats: every word and number the tool itself prints.

Template words, reference forms ("clause 7.2") and the names of spec keywords come from
gettext catalogues (`locale/<language>/LC_MESSAGES/procuregen.po`, read with Babel); dates,
money, numbers and country and currency names are formatted by Babel for the language.
English message ids are the English text, so the English catalogue holds only what reads
differently from its id (spec keywords such as `time_and_materials`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "sv")
KEYWORD = "keyword"  # msgctxt of spec keywords printed with the `label` filter


@cache
def _catalogue(language: str) -> dict[tuple[str | None, str], str]:
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "procuregen.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {
        (message.context, str(message.id)): str(message.string)
        for message in catalogue
        if message.id and message.string
    }


def gettext(language: str, message: str) -> str:
    """`message` in `language`; the English text itself where there is no translation."""
    return _catalogue(language).get((None, message), message)


def label(language: str, keyword: Any) -> str:
    """A spec keyword (`development`, `time_and_materials`, `sv`) as words of `language`."""
    text = str(keyword)
    return _catalogue(language).get((KEYWORD, text), text)


def format_money(amount: Decimal | int, currency: str, language: str) -> str:
    """`4800000` SEK as `SEK 4,800,000.00` in English, `4 800 000,00 kr` in Swedish."""
    from babel.numbers import format_currency, format_decimal

    if language == "en":
        return f"{currency} {format_decimal(Decimal(amount), format='#,##0.00', locale='en')}"
    return str(format_currency(Decimal(amount), currency, locale=_babel_locale(language)))


def format_number(value: Decimal | int, language: str) -> str:
    """`99.50` as `99.5` (`99,5`), `2400` as `2,400` (`2 400`)."""
    from babel.numbers import format_decimal

    return str(format_decimal(Decimal(value), locale=_babel_locale(language)))


def format_date(value: dt.date, language: str) -> str:
    """`2027-01-15` as `15 January 2027` (`15 januari 2027`)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(value, format="d MMMM y", locale=_babel_locale(language)))


def format_country(code: str, language: str) -> str:
    """`SE` as `Sweden` (`Sverige`), from the locale data, not a table of our own."""
    from babel import Locale

    return str(Locale.parse(_babel_locale(language)).territories.get(code, code))


def format_currency_name(code: str, language: str) -> str:
    """`EUR` as `euro`."""
    from babel.numbers import get_currency_name

    return str(get_currency_name(code, locale=_babel_locale(language)))


def _babel_locale(language: str) -> str:
    return {"sv": "sv_SE"}.get(language, language)
