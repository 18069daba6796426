"""The clause sandbox's operations, each checked against the Bounds.

An operation whose result can be much larger than its inputs (repetition, powers, format
widths, padding, joins, replacements, batches) is checked *before* it runs, from the sizes
of its inputs, so that `"a" * 20000000000` is refused without trying to allocate it. Every
other result is checked after it is made, so that no chain of operations grows a value
past the bounds either. Every operation counts as one step of the budget.
"""

from __future__ import annotations

import datetime
import decimal
import math
import operator
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from functools import wraps
from itertools import islice
from string import Formatter
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2.filters import make_attrgetter
from jinja2.runtime import BlockReference, LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup

from procuregen.bounds import (
    BoundExceeded,
    Bounds,
    active_budget,
    admit,
    check_number,
    fixed_point_size,
    int_digits,
    printed_size,
    step,
    within,
)

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "**": operator.pow,
    "%": operator.mod,
}
_PERCENT_FIELD = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*(?P<width>\*|\d*)(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>.?)",
    re.DOTALL,
)
_NUMBER = re.compile(r"\d+")
_SEQUENCE = (str, list, tuple)
_SCALAR = (str, int, float, decimal.Decimal, datetime.date)
_CHUNK = 256  # output parts taken at a time: the output bound is checked between chunks
# Filters an agreement has no use for and whose output the bounds cannot estimate, or
# that make the same inputs print differently each time (`random`).
REMOVED_FILTERS = ("random", "pprint", "tojson", "urlize", "xmlattr")
# Jinja's lorem-ipsum generator prints as many paragraphs as asked: no place in a clause.
REMOVED_GLOBALS = ("lipsum",)


# -- operators -----------------------------------------------------------------------------


def binary(bounds: Bounds, symbol: str, left: Any, right: Any) -> Any:
    """`left symbol right`, refused before it runs if its result would pass the bounds."""
    step()
    if symbol == "*":
        _check_repeat(bounds, left, right)
    elif symbol == "**":
        _check_power(bounds, left, right)
    elif symbol == "%" and isinstance(left, str):
        check_percent(bounds, left, right)
    elif symbol == "+" and isinstance(left, _SEQUENCE) and isinstance(right, _SEQUENCE):
        size = printed_size(left, bounds.text) + printed_size(right, bounds.text)
        within(bounds, size, "joining with +")
    return checked(bounds, BINARY[symbol](left, right), f"the operator {symbol}")


def _check_repeat(bounds: Bounds, left: Any, right: Any) -> None:
    if isinstance(right, _SEQUENCE):
        left, right = right, left
    if isinstance(left, _SEQUENCE) and isinstance(right, int):
        times = max(right, 0)
        size = printed_size(left, bounds.text) * times
        kind = "text" if isinstance(left, str) else "list"
        within(bounds, size, f"repeating a {kind} {times:,} times")
    elif isinstance(left, int) and isinstance(right, int):
        digits = int_digits(left) + int_digits(right)
        _refuse_digits(bounds, digits, f"{_number(left)} * {_number(right)}")


def _check_power(bounds: Bounds, base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        digits = int(exponent * math.log10(abs(base))) + 1
        _refuse_digits(bounds, digits, f"{_number(base)} ** {_number(exponent)}")


def _number(value: int) -> str:
    """An integer as a message shows it: itself, or how long it is."""
    return str(value) if value.bit_length() < 64 else f"(a {int_digits(value):,}-digit number)"


def _refuse_digits(bounds: Bounds, digits: int, what: str) -> None:
    if digits > bounds.digits:
        raise BoundExceeded(
            f"{what} makes a number of about {digits:,} digits; a clause may make numbers "
            f"of at most {bounds.digits:,} digits"
        )


def checked(bounds: Bounds, result: Any, what: str, limit: int | None = None) -> Any:
    """`result`, if it is within the bounds: a text or list no larger than `limit` (the text
    bound), a number of no more digits than the bounds allow."""
    if isinstance(result, int | decimal.Decimal):
        check_number(bounds, result, what)
    elif isinstance(result, str | list | tuple | dict | set | frozenset):
        size = printed_size(result, bounds.text if limit is None else limit)
        admit(bounds, size, what, limit)
    return result


# -- formats -------------------------------------------------------------------------------


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


# -- calls ---------------------------------------------------------------------------------


# Jinja's own callables whose result is printed output (a macro's, a block's, a recursive
# loop's): bounded like output, one level deeper each.
_RENDERING = (Macro, BlockReference, LoopContext)


def call(bounds: Bounds, function: Any, run: Callable[[], Any], args: tuple[Any, ...]) -> Any:
    """Call `function` (by `run`) from a clause: its arguments checked before, its result
    after; a macro, block or recursive loop one level deeper."""
    if isinstance(function, Macro):
        what = f"macro {function.name}"
    else:
        what = f"{getattr(function, '__name__', None) or type(function).__name__}()"
    if isinstance(function, _RENDERING):
        step(bounds.call_steps)
        budget = active_budget()
        if budget is None:
            return checked(bounds, run(), what, bounds.output)
        with budget.nested():
            return checked(bounds, run(), what, bounds.output)
    step()
    owner = getattr(function, "__self__", None)
    if isinstance(owner, str | bytes | int | float | decimal.Decimal | list | tuple | dict):
        check_method(bounds, owner, getattr(function, "__name__", ""), args)
    return checked(bounds, run(), what)


def check_method(bounds: Bounds, owner: Any, name: str, args: tuple[Any, ...]) -> None:
    """A method of a built-in value: no integer argument past the text bound, and the
    methods that pad, replace, expand or join refused when their result would be too large."""
    for argument in args:
        if isinstance(argument, int) and abs(argument) > bounds.text:
            raise BoundExceeded(
                f"{name}() is given {argument:,}; a clause may pass numbers of at most "
                f"{bounds.text:,} to a method"
            )
    if not isinstance(owner, str) or not args:
        return
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(args[0], int):
        if args[0] > bounds.width:
            raise BoundExceeded(
                f"{name}({args[0]:,}) pads to more than {bounds.width:,} characters, the "
                "widest a clause may pad"
            )
    elif name == "expandtabs" and isinstance(args[0], int):
        within(bounds, len(owner) + owner.count("\t") * args[0], "expandtabs()")
    elif name == "replace" and len(args) >= 2:
        check_replace(bounds, owner, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "join":
        check_join(bounds, owner, args[0])
    elif name == "translate" and isinstance(args[0], Mapping):
        longest = max((printed_size(v, bounds.text) for v in args[0].values()), default=1)
        within(bounds, len(owner) * max(longest, 1), "translate()")


def check_replace(bounds: Bounds, text: str, old: Any, new: Any, count: Any) -> None:
    """Refuse a replacement whose result would be too large."""
    if not isinstance(old, str) or not isinstance(new, str):
        return
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    within(bounds, len(text) + found * max(len(new) - len(old), 0), "replace()")


def check_join(bounds: Bounds, separator: Any, items: Any) -> None:
    """Refuse a join whose result would be too large; `items` must be a list or tuple."""
    if not isinstance(items, list | tuple):
        return
    size = printed_size(items, bounds.text)
    size += max(len(items) - 1, 0) * printed_size(separator, bounds.text)
    within(bounds, size, "joining")


# -- filters -------------------------------------------------------------------------------

Check = Callable[..., None]


def _padding(bounds: Bounds, name: str, width: Any) -> None:
    if isinstance(width, int) and width > bounds.width:
        raise BoundExceeded(
            f"{name}({width:,}) pads to more than {bounds.width:,} characters, the widest a "
            "clause may pad"
        )


def _center(bounds: Bounds, value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> None:
    _padding(bounds, "center", width)


def _indent(bounds: Bounds, value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    size = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    _padding(bounds, "indent", size)
    text = value if isinstance(value, str) else ""
    within(bounds, len(text) + (text.count("\n") + 1) * size, "indent")


def _wordwrap(bounds: Bounds, value: Any, width: Any = 79, *args: Any, **kwargs: Any) -> None:
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None) or "\n"
    text = value if isinstance(value, str) else ""
    within(bounds, len(text) + (len(text) + 1) * printed_size(wrap, bounds.text), "wordwrap")


def _replace(bounds: Bounds, value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str) and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        check_replace(bounds, value, args[0], args[1], -1 if count is None else count)


def _format(bounds: Bounds, value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        check_percent(bounds, value, kwargs or args)


def _counted(name: str, keyword: str, things: str) -> Check:
    """A filter whose first argument (`keyword`) is a count of `things`."""

    def check(bounds: Bounds, value: Any, *args: Any, **kwargs: Any) -> None:
        count = args[0] if args else kwargs.get(keyword)
        if isinstance(count, int) and count > bounds.width:
            raise BoundExceeded(
                f"{name}({count:,}): a clause may ask for at most {bounds.width:,} {things}"
            )

    return check


def _sum(bounds: Bounds, value: Any, *args: Any, **kwargs: Any) -> None:
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if not isinstance(start, int | float | decimal.Decimal):
        raise BoundExceeded("sum adds numbers; join texts or lists with the join filter")


def _growing(factor: int) -> Check:
    """A filter whose result can be `factor` times its input."""

    def check(bounds: Bounds, value: Any, *args: Any, **kwargs: Any) -> None:
        within(bounds, printed_size(value, bounds.text) * factor, "this filter")

    return check


FILTER_CHECKS: dict[str, Check] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "replace": _replace,
    "format": _format,
    "batch": _counted("batch", "linecount", "items a row"),
    "slice": _counted("slice", "slices", "slices"),
    "round": _counted("round", "precision", "decimal places"),
    "sum": _sum,
    "list": _growing(5),  # a text becomes a list of one-character texts: ['a', 'b']
    "urlencode": _growing(12),  # a character becomes up to four %XX
    "escape": _growing(6),  # & becomes &amp;
    "e": _growing(6),
    "forceescape": _growing(6),
}


def bounded_filter(bounds: Bounds, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as the clause sandbox calls it: one step, its input and arguments checked
    before, its result after. Keeps Jinja's pass_context marks (`wraps` copies them)."""
    # A filter marked pass_context (or eval_context, environment) is given that first.
    skip = 0 if getattr(function, "jinja_pass_arg", None) is None else 1
    check = FILTER_CHECKS.get(name)
    what = f"the {name} filter"

    @wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        step()
        if len(args) > skip:
            value = args[skip]
            if not isinstance(value, _SCALAR):  # a list, a namespace: its text could be huge
                within(bounds, printed_size(value, bounds.text), what)
            if name == "join":
                return checked(bounds, _join(bounds, function, args, kwargs), what)
            if check is not None:
                check(bounds, *args[skip:], **kwargs)
        return checked(bounds, function(*args, **kwargs), what)

    return run


def _join(
    bounds: Bounds, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The join filter (`join(eval_ctx, value, d, attribute)`), its items listed and their
    joined size checked first."""
    eval_ctx, value, *rest = args
    separator = rest[0] if rest else kwargs.get("d", "")
    attribute = rest[1] if len(rest) > 1 else kwargs.get("attribute")
    items = list(value)
    if attribute is not None:
        getter = make_attrgetter(eval_ctx.environment, attribute)
        items = [getter(item) for item in items]
    check_join(bounds, separator, items)
    return function(eval_ctx, items, separator)


def bounded_range(bounds: Bounds) -> Callable[..., range]:
    """range() for clauses: at most `bounds.range` numbers."""

    def clause_range(*args: int) -> range:
        numbers = range(*args)
        try:
            count = len(numbers)
        except OverflowError:  # more than the machine can count
            count = bounds.range + 1
        if count > bounds.range:
            raise BoundExceeded(
                f"range() of {count:,} numbers; a clause may loop over at most {bounds.range:,}"
            )
        return numbers

    return clause_range


# -- output --------------------------------------------------------------------------------


def counted(items: Iterable[Any]) -> Iterator[Any]:
    """The items of a `{% for %}` loop, each a step of the budget."""
    for item in items:
        step()
        yield item


def join_values(bounds: Bounds, parts: tuple[Any, ...], autoescape: bool) -> str:
    """`a ~ b ~ c`, refused before joining if the result would pass the text bound."""
    step()
    within(bounds, sum(printed_size(part, bounds.text) for part in parts), "joining with ~")
    joined: str = markup_join(parts) if autoescape else str_join(parts)
    return checked(bounds, joined, "joining with ~")  # type: ignore[no-any-return]


def join_output(bounds: Bounds, parts: Iterable[str]) -> str:
    """The output of a clause, macro or block, refused before joining if it passes the
    output bound.

    The parts are taken in chunks, at C speed: each is a piece of the template's own text
    or a value already counted as printed (`bounded_finalize`), so holding a chunk costs
    only references. A clause's output arrives from a generator: the refusal is raised
    inside it, so that the error names the line that printed past the bound.
    """
    if isinstance(parts, list | tuple):  # a macro's or block's buffer
        collected = parts
        size = sum(map(len, parts))
        if size > bounds.output:
            raise _printed_too_much(bounds)
    else:
        collected = []
        size = 0
        chunks = iter(parts)
        while chunk := list(islice(chunks, _CHUNK)):
            size += sum(map(len, chunk))
            if size > bounds.output:
                if isinstance(chunks, Generator):
                    chunks.throw(_printed_too_much(bounds))
                raise _printed_too_much(bounds)
            collected += chunk
    budget = active_budget()
    if budget is not None:
        budget.make(size)
    return "".join(collected)


def _printed_too_much(bounds: Bounds) -> BoundExceeded:
    return BoundExceeded(f"prints more than {bounds.output:,} characters; a clause must print less")


def bounded_finalize(bounds: Bounds, finalize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The environment's finalize (run on every `{{ ... }}`), counting what is printed."""

    def finalize_within_bounds(value: Any) -> Any:
        size = printed_size(value, bounds.output)
        budget = active_budget()
        if budget is not None:
            budget.print(size)
        else:
            within(bounds, size, "printing this", bounds.output)
        return finalize(value)

    return finalize_within_bounds
