"""The clause body as WordprocessingML: sections, clauses and blocks with the template's styles.

Written as one XML string and parsed once: lxml's C parser builds the ~5,000 elements
of a large agreement several times faster than creating them one call at a time, and
the parse is also the strict check that the text makes well-formed XML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from procuregen.agreement import (
    Agreement,
    Block,
    Definitions,
    ItemList,
    Paragraph,
    Run,
    Section,
    Table,
)
from procuregen.messages import gettext
from procuregen.render.long_words import has_long_word

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STYLES = (
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "Clause Text",
    "List Level 1",
    "List Level 2",
    "Definition",
    "Table Grid",
)
PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
# A table cell ends with a paragraph (ECMA-376 17.4.66).
EMPTY_PARAGRAPH = "<w:p/>"


class BodyWriter:
    """Appends the XML of headings, paragraphs, lists, definitions and tables to `out`."""

    def __init__(self, out: list[str], style_ids: dict[str, str], language: str) -> None:
        self.out = out
        self.style_ids = {name: quoteattr(value) for name, value in style_ids.items()}
        self.quotes = (gettext(language, "\u201c"), gettext(language, "\u201d"))
        self.other: BodyWriter | None = None  # the second language's writer, bilingual
        self.ends_with_table = False

    def page_break(self) -> None:
        self.out.append(PAGE_BREAK)
        self.ends_with_table = False

    def pair(
        self,
        style: str,
        item: Any,
        twin: Any,
        write: Callable[[BodyWriter, Any], None],
    ) -> None:
        """A heading and its content; with a twin, both side by side in one table row."""
        if twin is None or self.other is None:
            self.paragraph(style, (Run(item.heading),))
            write(self, item)
            return
        out = self.out
        out.append(
            '<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/>'
            '<w:tblLayout w:type="fixed"/></w:tblPr>'
            '<w:tblGrid><w:gridCol w:w="4535"/><w:gridCol w:w="4535"/></w:tblGrid><w:tr>'
        )
        for writer, text in ((self, item), (self.other, twin)):
            out.append('<w:tc><w:tcPr><w:tcW w:w="2500" w:type="pct"/></w:tcPr>')
            inner = BodyWriter(out, {}, "en")
            inner.style_ids = writer.style_ids
            inner.quotes = writer.quotes
            inner.paragraph(style, (Run(text.heading),))
            write(inner, text)
            if inner.ends_with_table:
                out.append(EMPTY_PARAGRAPH)
            out.append("</w:tc>")
        out.append("</w:tr></w:tbl>")
        self.ends_with_table = True

    def paragraph(
        self, style: str, runs: tuple[Run, ...], prefix: str = "", *, indent: str = ""
    ) -> None:
        out = self.out
        out.append(f"<w:p><w:pPr><w:pStyle w:val={self.style_ids[style]}/>{indent}</w:pPr>")
        if prefix:
            out.append(f"<w:r><w:t>{escape(prefix)}</w:t><w:tab/></w:r>")
        for item in runs:
            if item.bold or item.italic:
                bold = "<w:b/>" if item.bold else ""
                italic = "<w:i/>" if item.italic else ""
                out.append(f"<w:r><w:rPr>{bold}{italic}</w:rPr>")
            else:
                out.append("<w:r>")
            out.append(f'<w:t xml:space="preserve">{escape(item.text)}</w:t></w:r>')
        out.append("</w:p>")
        self.ends_with_table = False

    def block(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            self.paragraph("Clause Text", block.runs)
        elif isinstance(block, ItemList):
            for item in block.items:
                self.paragraph(f"List Level {block.level}", item.runs, prefix=item.label)
                if item.sublist is not None:
                    self.block(item.sublist)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Definitions):
            for entry in block.entries:
                opening, closing = self.quotes
                term = Run(f"{opening}{entry.term}{closing}", bold=True)
                self.paragraph("Definition", (term, Run(" "), *entry.runs))

    def table(self, block: Table) -> None:
        columns = len(block.header)
        width = 8000 // max(columns, 1)
        # Word widens an autofit column to its longest word, so a word longer than the
        # page pushes the table past the page's edge; a fixed layout keeps the grid's
        # widths, and the word breaks between characters inside its cell.
        rows = (block.header, *block.rows)
        fixed = any(has_long_word(run.text) for row in rows for cell in row for run in cell)
        layout = '<w:tblLayout w:type="fixed"/>' if fixed else ""
        out = self.out
        out.append(
            f"<w:tbl><w:tblPr><w:tblStyle w:val={self.style_ids['Table Grid']}/>"
            f'<w:tblW w:w="0" w:type="auto"/><w:tblInd w:w="567"/>{layout}</w:tblPr><w:tblGrid>'
        )
        out.append(f'<w:gridCol w:w="{width}"/>' * columns)
        out.append("</w:tblGrid>")
        header = tuple(tuple(Run(r.text, True, r.italic) for r in cell) for cell in block.header)
        cell_open = f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
        for cells in (header, *block.rows):
            out.append("<w:tr>")
            for index in range(columns):
                out.append(cell_open)
                runs = cells[index] if index < len(cells) else ()
                self.paragraph("Clause Text", runs, indent='<w:ind w:left="0"/>')
                out.append("</w:tc>")
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self.ends_with_table = True


def body_xml(agreement: Agreement, schedules: bool, style_ids: dict[str, str]) -> str:
    """Sections (or schedules, each on a new page) as headings, clauses and blocks; for a
    bilingual agreement, each heading and clause beside its translation in a two-column
    table, so that Word keeps the pairs together. The elements, without a wrapper."""
    out: list[str] = []
    writer = BodyWriter(out, style_ids, agreement.language)
    parallel = agreement.parallel
    sections = agreement.schedules if schedules else agreement.sections
    others: tuple[Section | None, ...] = (None,) * len(sections)
    if parallel is not None:
        others = parallel.schedules if schedules else parallel.sections
        writer.other = BodyWriter(out, style_ids, parallel.language)
    for section, other in zip(sections, others, strict=True):
        if section.schedule:
            writer.page_break()
        writer.pair("Heading 1", section, other, _nothing)
        for index, clause in enumerate(section.clauses):
            twin = other.clauses[index] if other else None
            writer.pair("Heading 2", clause, twin, _blocks)
        for index, part in enumerate(section.terms):
            twin_part = other.terms[index] if other else None
            writer.pair("Heading 2", part, twin_part, _nothing)
            for number, clause in enumerate(part.clauses):
                twin = twin_part.clauses[number] if twin_part else None
                writer.pair("Heading 3", clause, twin, _blocks)
    return "".join(out)


def _nothing(writer: BodyWriter, item: Any) -> None:
    return None


def _blocks(writer: BodyWriter, clause: Any) -> None:
    for block in clause.blocks:
        writer.block(block)
