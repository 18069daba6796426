"""The comparison as a DOCX with Word tracked changes: every changed word is a `w:ins` or
`w:del` by the author procuregen, so accepting all changes of a text gives B's text and
rejecting them all gives A's. Deterministic: fixed dates, ids in document order."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from procuregen.diff.model import ClauseDiff, Comparison, TextDiff

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
AUTHOR = "procuregen"
# A redline records when a change was made; a comparison has no such moment, so every
# change carries the same fixed date and the same inputs give the same bytes.
DATE = "2000-01-01T00:00:00Z"
CREATED = dt.datetime(2000, 1, 1)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class _Redline:
    """Appends runs to paragraphs, numbering each tracked change."""

    def __init__(self) -> None:
        from lxml import etree

        self.etree = etree
        self.next_id = 1

    def run(self, parent: Any, text: str, *, deleted: bool = False, bold: bool = False) -> None:
        sub = self.etree.SubElement
        run = sub(parent, _w("r"))
        if bold:
            sub(sub(run, _w("rPr")), _w("b"))
        element = sub(run, _w("delText" if deleted else "t"))
        element.text = text
        element.set(XML_SPACE, "preserve")

    def change(self, parent: Any, kind: str, text: str) -> None:
        change = self.etree.SubElement(parent, _w(kind))
        change.set(_w("id"), str(self.next_id))
        change.set(_w("author"), AUTHOR)
        change.set(_w("date"), DATE)
        self.next_id += 1
        self.run(change, text, deleted=kind == "del")

    def text(self, document: Any, diff: TextDiff) -> None:
        """Every line of the text as a paragraph, changed words as tracked changes."""
        for line in _lines(diff):
            if not any(part.strip() for _, part in line):
                continue
            paragraph = document.add_paragraph()._p
            for op, part in line:
                if op == "insert":
                    self.change(paragraph, "ins", part)
                elif op == "delete":
                    self.change(paragraph, "del", part)
                else:
                    self.run(paragraph, part)


def _lines(diff: TextDiff) -> list[list[tuple[str, str]]]:
    """The text's pieces, line by line, each with its op."""
    lines: list[list[tuple[str, str]]] = [[]]
    for segment in diff.segments:
        for index, part in enumerate(segment.text.split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append((segment.op, part))
    return lines


def _clause(document: Any, redline: _Redline, clause: ClauseDiff) -> None:
    document.add_heading(f"{', '.join(clause.kinds)} {clause.id}: {clause.title}", level=2)
    document.add_paragraph(f"Section {clause.section}")
    for note in clause.notes:
        document.add_paragraph(note, style="List Bullet")
    for diff in clause.texts:
        if not diff.changed:
            continue
        label = document.add_paragraph()
        redline.run(label._p, f"{diff.label[:1].upper()}{diff.label[1:]}:", bold=True)
        redline.text(document, diff)


def render_docx(comparison: Comparison) -> bytes:
    import docx

    from procuregen.render.docx import normalized_zip

    document = docx.Document()
    document.add_heading(f"Comparison of two {comparison.subject}", level=1)
    document.add_paragraph(f"A: {comparison.a}")
    document.add_paragraph(f"B: {comparison.b}")
    document.add_paragraph(comparison.summary())
    for note in comparison.notes:
        document.add_paragraph(note, style="List Bullet")
    redline = _Redline()
    if comparison.values:
        document.add_heading("Spec values that differ", level=2)
        for value in comparison.values:
            paragraph = document.add_paragraph(style="List Bullet")._p
            redline.run(paragraph, f"{value.path}: ")
            if value.old is not None:
                redline.change(paragraph, "del", value.old)
            if value.new is not None:
                redline.change(paragraph, "ins", value.new)
    for clause in comparison.clauses:
        _clause(document, redline, clause)
    properties = document.core_properties
    properties.title = f"Comparison of two {comparison.subject}"
    properties.author = properties.last_modified_by = AUTHOR
    properties.revision = 1
    properties.created = properties.modified = CREATED
    properties.comments = f"{comparison.a} → {comparison.b}"
    buffer = io.BytesIO()
    document.save(buffer)
    return normalized_zip(buffer.getvalue())
