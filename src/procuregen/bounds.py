"""Bounds on what one clause rendering or one `when:` condition may cost.

A clause library is code that runs on the buyer's machine, and a forked library is
written by someone else. The sandbox keeps a clause from reaching anything but the spec;
these bounds keep it from taking the machine: every rendering and every condition runs
within a Budget of processor time, steps (loop iterations, calls, filters, operators,
includes), characters printed and characters made, and no single operation may make a
text, list or number larger than the Bounds allow. The operations themselves are checked
in `bounded_ops`, `bounded_formats` and `bounded_filters`, through the hooks of
`bounded_sandbox`; this module holds the limits, the budget and the size estimate they use.
"""

from __future__ import annotations

import decimal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import TemplateRuntimeError


@dataclass(frozen=True)
class Bounds:
    """The limits of one clause rendering or condition; the defaults are the clause bounds.

    Sized so that the largest spec procuregen reads (100,000 YAML nodes, a price schedule
    of some 16,000 rows) renders with room to spare, and nothing a clause does can take
    more than a few hundred megabytes or a few seconds.
    """

    seconds: float = 10.0  # processor seconds of one rendering or condition
    steps: int = 1_000_000  # loop iterations, calls, filters, operators and includes
    call_steps: int = 20  # steps a macro call counts for: it costs twenty loop iterations
    text: int = 2_000_000  # characters of any text or list one operation makes
    output: int = 10_000_000  # characters one clause, macro or block prints
    made: int = 50_000_000  # characters of everything one rendering makes and prints
    depth: int = 50  # macro calls nested inside each other
    range: int = 10_000  # items of a range()
    width: int = 1_000  # a format width or precision, a padding width, a batch size
    digits: int = 1_000  # digits of a number an operation makes


CLAUSE_BOUNDS = Bounds()


class BoundExceeded(TemplateRuntimeError):
    """A clause went past one of its bounds; the message says which and how to stay within."""


@dataclass(slots=True)
class Budget:
    """What one rendering or condition has spent so far."""

    bounds: Bounds
    started: float = -1.0  # processor time at the 64th step: the clock costs a system call
    steps: int = 0
    printed: int = 0
    made: int = 0
    depth: int = 0

    def step(self, weight: int = 1) -> None:
        """Count a step (`weight` steps for a costly one); past the step or time bound, stop
        the rendering."""
        before = self.steps
        self.steps += weight
        if self.steps > self.bounds.steps:
            raise BoundExceeded(
                f"more than {self.bounds.steps:,} steps (loop iterations, calls, filters, "
                "operators) in one clause: loops nested in loops, a loop over a long text, or "
                "a macro that calls itself over and over? Loop over the spec's lists, not texts"
            )
        # Processor time, not wall time, so that a busy machine does not fail a clause; read
        # every 64 steps because a step is far cheaper than reading the clock. Most clauses
        # take fewer than 64 steps and never read it.
        if self.steps >> 6 == before >> 6:
            return
        now = time.thread_time()
        if self.started < 0:
            self.started = now
        elif now - self.started > self.bounds.seconds:
            raise BoundExceeded(
                f"took more than {self.bounds.seconds:g} seconds of processor time; "
                "a clause must do less work"
            )

    def make(self, size: int) -> None:
        """Count `size` characters made by an operation or a block."""
        self.made += size
        if self.made > self.bounds.made:
            raise BoundExceeded(
                f"made more than {self.bounds.made:,} characters of text in one clause; "
                "a clause must build less text"
            )

    def print(self, size: int) -> None:
        """Count `size` characters printed by `{{ ... }}`, in the clause or any macro."""
        self.printed += size
        if self.printed > self.bounds.output:
            raise BoundExceeded(
                f"prints more than {self.bounds.output:,} characters; a clause must print less"
            )
        self.make(size)

    @contextmanager
    def nested(self) -> Iterator[None]:
        """One level of macro call."""
        self.depth += 1
        if self.depth > self.bounds.depth:
            self.depth -= 1
            raise BoundExceeded(
                f"macro calls nested more than {self.bounds.depth} deep: does a macro call "
                "itself without end?"
            )
        try:
            yield
        finally:
            self.depth -= 1


# The budget of the rendering under way in this thread, if any: the sandbox's hooks are
# called by Jinja's generated code, which has no place to carry it. A context variable
# keeps concurrent renderings (threads) apart.
_ACTIVE: ContextVar[Budget | None] = ContextVar("procuregen_clause_budget", default=None)


# The budget of the rendering under way, None outside one (e.g. while compiling); the
# context variable's own getter, as the hooks call it on every step.
active_budget = _ACTIVE.get


class Spending:
    """`with Spending(bounds):` runs one rendering or condition within a fresh budget.

    A class rather than a generator function: it runs for every clause and condition.
    """

    __slots__ = ("budget", "token")

    def __init__(self, bounds: Bounds) -> None:
        self.budget = Budget(bounds)

    def __enter__(self) -> Budget:
        self.token = _ACTIVE.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self.token)


def step(weight: int = 1) -> None:
    """Count a step of the rendering under way, if any."""
    budget = _ACTIVE.get()
    if budget is not None:
        budget.step(weight)


def within(bounds: Bounds, size: int, what: str, limit: int | None = None) -> None:
    """Refuse to make `what` of `size` characters when that passes the text bound (or
    `limit`): checked before an operation runs, from the sizes of its inputs."""
    limit = bounds.text if limit is None else limit
    if size > limit:
        raise BoundExceeded(
            f"{what} would make {size:,} characters; a clause may make at most {limit:,} at a time"
        )


def admit(bounds: Bounds, size: int, what: str, limit: int | None = None) -> None:
    """Check a value of `size` characters just made against the bound, and count it as made."""
    within(bounds, size, what, limit)
    budget = _ACTIVE.get()
    if budget is not None:
        budget.make(size)


def check_number(bounds: Bounds, value: Any, what: str) -> None:
    """Refuse a number with more digits than the bounds allow, however it was made."""
    if isinstance(value, bool):
        return
    digits = 0
    if isinstance(value, int):
        digits = int_digits(value)
    elif isinstance(value, decimal.Decimal) and value.is_finite() and value:
        # Its fixed-point form is what `money` and `{:f}` print.
        digits = abs(value.adjusted()) + 1
    if digits > bounds.digits:
        raise BoundExceeded(
            f"{what} makes a number of about {digits:,} digits; a clause may make numbers "
            f"of at most {bounds.digits:,} digits"
        )


def int_digits(value: int) -> int:
    """Decimal digits of an integer, within one, without converting it to text."""
    return value.bit_length() * 30103 // 100000 + 1


def printed_size(value: Any, limit: int) -> int:
    """The characters `value` prints as, at least that many; counting stops past `limit`.

    Reads containers through their base types, so that the spec's recording views do not
    count an estimate as a use.
    """
    if isinstance(value, str):
        return str.__len__(value)
    if value is None or isinstance(value, bool | float):
        return 24
    if isinstance(value, int):
        return int_digits(value) + 1
    if isinstance(value, decimal.Decimal):
        return fixed_point_size(value)
    items: Iterator[Any]
    if isinstance(value, dict):
        items = (part for pair in dict.items(value) for part in pair)
    elif isinstance(value, list):
        items = list.__iter__(value)
    elif isinstance(value, tuple):
        items = tuple.__iter__(value)
    elif isinstance(value, set | frozenset):
        items = iter(value)
    else:
        try:
            return len(repr(value))
        except Exception:  # an undefined value: printing it fails on its own
            return 0
    total = 2
    for item in items:
        total += printed_size(item, limit - total) + 2
        if total > limit:
            break
    return total


def fixed_point_size(value: decimal.Decimal) -> int:
    """Characters of a decimal written out in full (`{:f}`, `money`), without writing it."""
    if not value.is_finite():
        return 9
    digits = len(value.as_tuple().digits)
    return digits + abs(value.adjusted()) + 3
