"""The comparison as plain text; changed words marked `[-deleted-]{+inserted+}`."""

from __future__ import annotations

from procuregen.diff.model import ClauseDiff, Comparison, Op, TextDiff
from procuregen.diff.words import marked_lines

INDENT = "  "


def _mark(op: Op, text: str) -> str:
    if op == "insert":
        return f"{{+{text}+}}"
    if op == "delete":
        return f"[-{text}-]"
    return text


def redline(diff: TextDiff) -> list[str]:
    """The lines of a text that hold a change, `…` where unchanged lines are left out."""
    out: list[str] = []
    skipped = False
    for line, changed in marked_lines(diff.segments, _mark):
        if not changed:
            skipped = skipped or bool(line.strip())
            continue
        if skipped and out:
            out.append("…")
        skipped = False
        out.append(line.strip())
    return out


def _clause(clause: ClauseDiff) -> list[str]:
    lines = [f"{', '.join(clause.kinds)} {clause.id}: {clause.title} ({clause.section})"]
    lines.extend(INDENT + note for note in clause.notes)
    for diff in clause.texts:
        if not diff.changed:
            continue
        lines.append(f"{INDENT}{diff.label}:")
        lines.extend(INDENT * 2 + line for line in redline(diff))
    return lines


def render_text(comparison: Comparison) -> str:
    lines = [
        f"Comparing two {comparison.subject}",
        f"A: {comparison.a}",
        f"B: {comparison.b}",
    ]
    if comparison.notes:
        lines.append("")
        lines.extend(comparison.notes)
    if comparison.values:
        lines += ["", "Spec values that differ:"]
        for value in comparison.values:
            old = "(not set)" if value.old is None else value.old
            new = "(not set)" if value.new is None else value.new
            lines.append(f"{INDENT}{value.path}: {old} → {new}")
    for clause in comparison.clauses:
        lines.append("")
        lines.extend(_clause(clause))
    lines.append("")
    if comparison.identical:
        lines.append("No differences.")
    lines.append(comparison.summary())
    return "\n".join(lines) + "\n"
