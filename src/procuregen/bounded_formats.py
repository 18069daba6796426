"""Formats in clauses, bounded: `%` formats, the `format` filter, `str.format`.

A format can ask for any width (`"%20000000000d"`, `"{:>99999999999}"`), take one from a
value (`"%*d"`, `"{:>{}}"`) or repeat a field many times: each is refused before the
text is made. `str.format` runs in a formatter that checks every field as it is filled
in, after a nested `{:{}}` has been, and counts what the fields have made so far.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from string import Formatter
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup

from procuregen.bounds import BoundExceeded, Bounds, fixed_point_size, printed_size, within

_PERCENT_FIELD = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*(?P<width>\*|\d*)(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>.?)",
    re.DOTALL,
)
_NUMBER = re.compile(r"\d+")


def check_percent(bounds: Bounds, template: str, arguments: Any) -> None:
    """Refuse `template % arguments` (and the `format` filter) when a width or precision is
    too large or taken from a value, or when the result would be too large."""
    if isinstance(arguments, tuple):
        values: Iterable[Any] = arguments
    elif isinstance(arguments, Mapping):
        values = arguments.values()
    else:
        values = (arguments,)
    largest = max((format_size(bounds, v) for v in values), default=0)
    size = len(template)
    for match in _PERCENT_FIELD.finditer(template):
        if match["kind"] == "%":
            continue
        if "*" in (match["width"], match["precision"]):
            raise BoundExceeded(
                f"format {match[0]!r} takes its width from a value; write the width in the format"
            )
        size += format_width(bounds, match[0]) + largest
    within(bounds, size, "this format")


def format_size(bounds: Bounds, value: Any) -> int:
    """The characters `value` can take in a format: a number written out in full at most."""
    if isinstance(value, decimal.Decimal):
        return fixed_point_size(value)
    if isinstance(value, float):
        return 330  # the longest float written out in full (1e308 with `%f`)
    return printed_size(value, bounds.text)


def format_width(bounds: Bounds, spec: str) -> int:
    """The largest number in a format spec (a width, a precision); refused past the bound."""
    numbers = _NUMBER.findall(spec)
    largest = max((int(n) if len(n) <= 9 else bounds.width + 1 for n in numbers), default=0)
    if largest > bounds.width:
        raise BoundExceeded(
            f"format {spec!r} asks for {'a width of ' + max(numbers, key=len)!s} characters; "
            f"a clause may use widths and precisions of at most {bounds.width:,}"
        )
    return largest


class _BoundedFields:
    """A str.format formatter that checks each field's spec and counts what it has made,
    so that neither a wide field nor many fields can pass the bounds."""

    bounds: Bounds
    made: int

    def format_field(self, value: Any, format_spec: str) -> Any:
        width = format_width(self.bounds, format_spec)
        self.made += width + format_size(self.bounds, value)
        within(self.bounds, self.made, "this format")
        return super().format_field(value, format_spec)  # type: ignore[misc]

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self.made = len(format_string)
        return super().vformat(format_string, args, kwargs)  # type: ignore[misc, no-any-return]


class BoundedFormatter(_BoundedFields, SandboxedFormatter):
    def __init__(self, environment: Any, bounds: Bounds) -> None:
        super().__init__(environment)
        self.bounds = bounds


class BoundedEscapeFormatter(_BoundedFields, SandboxedEscapeFormatter):
    def __init__(self, environment: Any, bounds: Bounds, escape: Callable[[Any], Markup]) -> None:
        super().__init__(environment, escape=escape)
        self.bounds = bounds


def bounded_str_format(environment: Any, bounds: Bounds, method: Any) -> Callable[..., str] | None:
    """`text.format` or `text.format_map` as the sandbox hands it out, bounded; None for
    any other value. `Markup.format` (a text marked safe) is a Python method, not a
    built-in one: both kinds are caught."""
    if not isinstance(method, BuiltinMethodType | MethodType):
        return None
    text, name = method.__self__, method.__name__
    if not isinstance(text, str) or name not in ("format", "format_map"):
        return None
    formatter: Formatter
    if isinstance(text, Markup):
        formatter = BoundedEscapeFormatter(environment, bounds, text.escape)
    else:
        formatter = BoundedFormatter(environment, bounds)

    def bounded_format(*args: Any, **kwargs: Any) -> str:
        if name == "format_map":
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            return type(text)(formatter.vformat(text, (), args[0]))
        return type(text)(formatter.vformat(text, args, kwargs))

    return bounded_format
