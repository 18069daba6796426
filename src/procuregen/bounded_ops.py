"""The clause sandbox's operations, each checked against the Bounds: operators, calls,
loops, `~` and output.

An operation whose result can be much larger than its inputs (repetition, powers, joins,
replacements, padding) is checked *before* it runs, from the sizes of its inputs, so that
`"a" * 20000000000` is refused without trying to allocate it. Every other result is
checked after it is made, so that no chain of operations grows a value past the bounds
either. Every operation counts as one step of the budget. Formats are bounded in
`bounded_formats`, filters in `bounded_filters`.
"""

from __future__ import annotations

import decimal
import math
import operator
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from jinja2.runtime import BlockReference, LoopContext, Macro, markup_join, str_join

from procuregen.bounded_formats import check_percent
from procuregen.bounds import (
    BoundExceeded,
    Bounds,
    active_budget,
    admit,
    check_number,
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
_OPERATORS = {symbol: f"the operator {symbol}" for symbol in BINARY}  # as messages name them
_SEQUENCE = (str, list, tuple)
_CHUNK = 256  # output parts taken at a time: the output bound is checked between chunks


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
    return checked(bounds, BINARY[symbol](left, right), _OPERATORS[symbol])


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
    if type(result) is str:  # most results: sized by their length
        admit(bounds, len(result), what, limit)
    elif isinstance(result, int | decimal.Decimal):
        check_number(bounds, result, what)
    elif isinstance(result, str | list | tuple | dict | set | frozenset):
        size = printed_size(result, bounds.text if limit is None else limit)
        admit(bounds, size, what, limit)
    return result


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


# -- output --------------------------------------------------------------------------------


def counted(items: Iterable[Any]) -> Iterator[Any]:
    """The items of a `{% for %}` loop, each a step of the budget (the budget of the
    rendering that started the loop, looked up once)."""
    budget = active_budget()
    if budget is None:
        yield from items
        return
    for item in items:
        budget.step()
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
        chunks = iter(parts)
        collected = list(islice(chunks, _CHUNK))  # most clauses: all their output
        size = sum(map(len, collected))
        while size <= bounds.output and len(collected) % _CHUNK == 0:
            chunk = list(islice(chunks, _CHUNK))
            if not chunk:
                break
            size += sum(map(len, chunk))
            collected += chunk
        if size > bounds.output:
            if isinstance(chunks, Generator):
                chunks.throw(_printed_too_much(bounds))
            raise _printed_too_much(bounds)
    budget = active_budget()
    if budget is not None:
        budget.make(size)
    return "".join(collected)


def _printed_too_much(bounds: Bounds) -> BoundExceeded:
    return BoundExceeded(f"prints more than {bounds.output:,} characters; a clause must print less")


def bounded_finalize(bounds: Bounds, finalize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The environment's finalize (run on every `{{ ... }}`), counting what is printed."""

    def finalize_within_bounds(value: Any) -> Any:
        # Most printed values are texts: their size is their length.
        size = len(value) if type(value) is str else printed_size(value, bounds.output)
        budget = active_budget()
        if budget is not None:
            budget.print(size)
        else:
            within(bounds, size, "printing this", bounds.output)
        return finalize(value)

    return finalize_within_bounds
