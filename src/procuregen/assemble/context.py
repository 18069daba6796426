"""What clause templates see: the spec's top-level fields as recording views, and the mode."""

from __future__ import annotations

from typing import Any

from procuregen.spec import Spec
from procuregen.usage import Usage, view_context

# Names that are particular to one call-off: undefined while a framework prints its
# Call-Off Terms, so that printing one there is an error, never the framework's value.
CALL_OFF_PARTICULARS = ("buyer", "supplier", "suppliers", "term", "agreement")


def spec_context(spec: Spec, usage: Usage | None = None) -> dict[str, Any]:
    """The names a clause may use: the spec's top-level fields, and `call_off_terms`."""
    names: dict[str, Any] = {name: getattr(spec, name) for name in type(spec).model_fields}
    names["call_off_terms"] = False
    return view_context(usage, names) if usage is not None else names


def call_off_terms_context(spec: Spec, usage: Usage, document: str) -> dict[str, Any]:
    """The names of the `document` clauses as a framework fixes them for every call-off."""
    names = {
        name: value
        for name, value in spec_context(spec, usage).items()
        if name not in CALL_OFF_PARTICULARS
    }
    names["document"] = document
    names["call_off_terms"] = True
    return names
