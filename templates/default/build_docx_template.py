"""Build templates/default/agreement.docx, the Word template docxtpl fills.

The template is generated, not hand-edited, so that it stays reproducible and
reviewable: change this script, run it, commit both. The output is deterministic
(fixed zip timestamps and document properties); a test checks that the committed
file is what this script builds. To restyle the template in Word instead, open
agreement.docx, edit styles only (keep the {{ }} and {% %} tags), save, and stop
running this script.

Usage: python templates/default/build_docx_template.py
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from procuregen.render.docx import normalized_zip
from procuregen.render.docx_parts import place_update_fields

HERE = Path(__file__).resolve().parent
TARGET = HERE / "agreement.docx"
FONT = "Times New Roman"  # LibreOffice substitutes the metric-compatible Liberation Serif
INK = RGBColor(0x1F, 0x2A, 0x44)


def _font(style: object, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = color or RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)  # a theme font would override the named one


def _paragraph_style(document: Document, name: str, base: str = "Normal") -> object:
    styles = document.styles
    if name in [s.name for s in styles]:
        return styles[name]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base]
    style.quick_style = True
    return style


def define_styles(document: Document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, 11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    for name, size, before in (
        ("Heading 1", 14, 18),
        ("Heading 2", 11.5, 10),
        ("Heading 3", 11, 8),
    ):
        style = styles[name]
        _font(style, size, bold=True, color=INK)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
    _font(styles["Title"], 26, bold=True, color=INK)
    _font(styles["Subtitle"], 16, color=INK)
    _font(styles["TOC Heading"], 14, bold=True, color=INK)

    clause_text = _paragraph_style(document, "Clause Text")
    clause_text.paragraph_format.left_indent = Cm(1.0)  # type: ignore[attr-defined]
    clause_text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # type: ignore[attr-defined]
    for level, indent in ((1, 1.0), (2, 2.0)):
        style = _paragraph_style(document, f"List Level {level}", "Clause Text")
        fmt = style.paragraph_format  # type: ignore[attr-defined]
        fmt.left_indent = Cm(indent + 1.0)
        fmt.first_line_indent = Cm(-1.0)
        fmt.space_after = Pt(3)
        fmt.tab_stops.add_tab_stop(Cm(indent + 1.0), WD_TAB_ALIGNMENT.LEFT)
    definition = _paragraph_style(document, "Definition", "Clause Text")
    definition.paragraph_format.space_after = Pt(4)  # type: ignore[attr-defined]
    for level, indent in ((1, 0.0), (2, 1.0)):
        style = _paragraph_style(document, f"TOC {level}")
        style.paragraph_format.tab_stops.add_tab_stop(  # type: ignore[attr-defined]
            Cm(16.0), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )
        fmt = style.paragraph_format  # type: ignore[attr-defined]
        fmt.left_indent = Cm(indent)
        fmt.space_after = Pt(2)
    cover = _paragraph_style(document, "Cover Detail")
    cover.paragraph_format.space_after = Pt(3)  # type: ignore[attr-defined]
    party = _paragraph_style(document, "Party")
    party.paragraph_format.left_indent = Cm(1.0)  # type: ignore[attr-defined]
    signature = _paragraph_style(document, "Signature Line")
    signature.paragraph_format.space_before = Pt(14)  # type: ignore[attr-defined]
    signature.paragraph_format.keep_with_next = True  # type: ignore[attr-defined]
    _font(styles["Header"], 9, color=INK)
    _font(styles["Footer"], 9, color=INK)


def _field(paragraph: Paragraph, instruction: str, cached: str) -> None:
    """A simple field (PAGE, NUMPAGES) with its cached result."""
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", cached),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
            run._r.append(element)
        elif kind == "text":
            run.text = text or ""
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)


def _fld_char(paragraph: Paragraph, kind: str, instruction: str | None = None) -> None:
    run = paragraph.add_run()
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")  # Word refreshes the contents with page numbers
    run._r.append(element)
    if instruction:
        run = paragraph.add_run()
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        run._r.append(instr)
        run = paragraph.add_run()
        separate = OxmlElement("w:fldChar")
        separate.set(qn("w:fldCharType"), "separate")
        run._r.append(separate)


def cover_page(document: Document) -> None:
    document.add_paragraph("{{ title }}", style="Title")
    document.add_paragraph("{{ document_title }}", style="Subtitle")
    document.add_paragraph('{{ _("Reference") }}: {{ reference }}', style="Cover Detail")
    document.add_paragraph("{%p if framework_reference %}")
    document.add_paragraph(
        '{{ _("Framework agreement") }}: {{ framework_reference }}', style="Cover Detail"
    )
    document.add_paragraph("{%p endif %}")
    document.add_paragraph('{{ _("Date") }}: {{ date }}', style="Cover Detail")
    between = document.add_paragraph('{{ _("Between") }}', style="Cover Detail")
    between.paragraph_format.space_before = Pt(24)
    document.add_paragraph("{%p for party in parties %}")
    paragraph = document.add_paragraph(style="Party")
    paragraph.add_run("{{ party.name }}").bold = True
    paragraph.add_run(" ({{ party.identifier }}), {{ party.address }}, ")
    paragraph.add_run('{{ _("as the {role}", role=_(party.role)) }}')
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def contents(document: Document) -> None:
    document.add_paragraph('{{ _("Contents") }}', style="TOC Heading")
    _fld_char(document.add_paragraph(), "begin", 'TOC \\o "1-2" \\h \\z \\u')
    document.add_paragraph("{%p for section in sections %}")
    document.add_paragraph("{{ section.heading }}", style="TOC 1")
    document.add_paragraph("{%p for clause in section.clauses %}")
    document.add_paragraph("{{ clause.heading }}", style="TOC 2")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p for schedule in schedules %}")
    document.add_paragraph("{{ schedule.heading }}", style="TOC 1")
    document.add_paragraph("{%p for clause in schedule.clauses %}")
    document.add_paragraph("{{ clause.heading }}", style="TOC 2")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p for part in schedule.terms %}")
    document.add_paragraph("{{ part.heading }}", style="TOC 2")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endfor %}")
    _fld_char(document.add_paragraph(), "end")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def signatures(document: Document) -> None:
    document.add_paragraph("{%p for party in signatories %}")
    paragraph = document.add_paragraph(style="Signature Line")
    paragraph.add_run('{{ _("For and on behalf of") }} ')
    paragraph.add_run("{{ party.name }}").bold = True
    paragraph.add_run(' {{ _("(the {role})", role=_(party.role)) }}')
    for label in (
        '{{ _("Place and date") }}: '
        '{{ party.signatory_place ~ ", " if party.signatory_place }}________________________',
        '{{ _("Signature") }}: ________________________________',
        '{{ _("Name") }}: {{ party.signatory_name }}',
        '{{ _("Title") }}: {{ party.signatory_title }}',
    ):
        line = document.add_paragraph(label, style="Clause Text")
        line.paragraph_format.keep_with_next = True
        if "Signature" in label:
            line.paragraph_format.space_before = Pt(18)
    document.add_paragraph("{%p endfor %}")


def header_and_footer(document: Document) -> None:
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.5)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = "{{ reference }} | {{ document_title }}"
    header.style = document.styles["Header"]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run('{{ _("Page") }} ')
    _field(footer, "PAGE", "1")
    footer.add_run(' {{ _("of") }} ')
    _field(footer, "NUMPAGES", "1")


def update_fields_on_open(document: Document) -> None:
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    place_update_fields(settings)  # where the schema wants it: appended last is invalid


def build() -> bytes:
    document = Document()
    define_styles(document)
    header_and_footer(document)
    cover_page(document)
    contents(document)
    document.add_paragraph("{{p body }}")
    signatures(document)
    document.add_paragraph("{{p schedules_body }}")
    update_fields_on_open(document)
    properties = document.core_properties
    properties.author = "procuregen"
    properties.title = "procuregen agreement template"
    properties.last_modified_by = "procuregen"
    properties.revision = 1
    properties.created = properties.modified = dt.datetime(2026, 1, 1)
    properties.comments = "Built by templates/default/build_docx_template.py"
    buffer = io.BytesIO()
    document.save(buffer)
    return normalized_zip(buffer.getvalue())


if __name__ == "__main__":
    content = build()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.read_bytes() == content else 1)
    TARGET.write_bytes(content)
    print(f"wrote {TARGET} ({len(content)} bytes)")
