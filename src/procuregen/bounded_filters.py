"""Jinja's filters in clauses, bounded, and what clauses do without.

Every filter is one step of the budget; its input, when a list or another container, is
checked before (its text could be huge); the filters that can make more than they are
given (padding, indenting, wrapping, replacing, joining, escaping) are checked before
they run, from their arguments; every result is checked after.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from functools import wraps
from typing import Any

from jinja2.filters import make_attrgetter

from procuregen.bounded_formats import check_percent
from procuregen.bounded_ops import check_join, check_replace, checked
from procuregen.bounds import BoundExceeded, Bounds, active_budget, printed_size, within

# Filters an agreement has no use for and whose output the bounds cannot estimate, or
# that make the same inputs print differently each time (`random`).
REMOVED_FILTERS = ("random", "pprint", "tojson", "urlize", "xmlattr")
# Jinja's lorem-ipsum generator prints as many paragraphs as asked: no place in a clause.
REMOVED_GLOBALS = ("lipsum",)
_SCALAR = (str, int, float, decimal.Decimal, datetime.date)

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
        budget = active_budget()
        if budget is not None:
            budget.step()
        if len(args) > skip:
            value = args[skip]
            if not isinstance(value, _SCALAR):  # a list, a namespace: its text could be huge
                within(bounds, printed_size(value, bounds.text), what)
            if name == "join":
                return checked(bounds, _join(bounds, function, args, kwargs), what)
            if check is not None:
                check(bounds, *args[skip:], **kwargs)
        result = function(*args, **kwargs)
        if type(result) is str and len(result) <= bounds.text:  # most filters: a short text
            if budget is not None:
                budget.make(len(result))
            return result
        return checked(bounds, result, what)

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
