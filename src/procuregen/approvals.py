"""The approval checklist of an agreement: what a legal team must still sign off."""

from __future__ import annotations

from dataclasses import dataclass

from procuregen.agreement import Agreement


@dataclass(frozen=True)
class Unapproved:
    clause: str
    reason: str

    def __str__(self) -> str:
        return f"{self.clause}: {self.reason}"


def approval_checklist(agreement: Agreement) -> list[Unapproved]:
    """An item for every clause in the agreement that is not approved for its current
    version, and for every position chosen that needs approval."""
    items: list[Unapproved] = []
    seen: set[str] = set()
    for clause in agreement.clauses:
        if clause.id in seen:
            continue  # a clause of the framework body that its Call-Off Terms repeat
        seen.add(clause.id)
        if not clause.approval:
            items.append(
                Unapproved(clause.id, f"no legal approval recorded for version {clause.version}")
            )
        if clause.needs_approval:
            items.append(
                Unapproved(clause.id, "this position needs approval whenever it is chosen")
            )
    return items
