"""What went wrong inside the clause sandbox, as a message for the clause's author.

A clause is code: besides going past its bounds (`bounds.BoundExceeded`), it can divide by
zero, overflow a decimal, recurse without end or add a text to a number. Each of these is
the clause's fault, so each becomes a located error naming the clause file and line; never
a traceback.
"""

from __future__ import annotations

import decimal


def failure_message(error: BaseException) -> str:
    """The message for an exception raised while a clause rendered or a condition ran."""
    if isinstance(error, RecursionError):
        return (
            "recursion too deep: a macro that calls itself, a clause that includes itself "
            "(through others), or brackets nested too deeply; remove the cycle"
        )
    if isinstance(error, MemoryError):
        return "ran out of memory: the clause builds too much; build less"
    if isinstance(error, ZeroDivisionError):  # decimal.DivisionByZero too
        return "division by zero"
    if isinstance(error, decimal.Overflow):
        return "a number too large for a decimal (decimal overflow)"
    if isinstance(error, decimal.InvalidOperation):
        return "invalid decimal operation (a decimal too large or too precise for it?)"
    if isinstance(error, OverflowError):
        return f"a number too large: {error}"
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
