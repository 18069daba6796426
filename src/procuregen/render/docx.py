"""The Agreement as DOCX: docxtpl fills the Word template; the body is built from the model."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from procuregen import __version__
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
from procuregen.environment import make_environment
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
from procuregen.messages import gettext
from procuregen.render.context import render_context

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CUSTOM_XML_NS = "urn:procuregen:manifest:1"
ITEM = "/customXml/procuregen.xml"
ITEM_PROPS = "/customXml/procuregenProps.xml"


def render_docx(
    agreement: Agreement, template: Template, manifest: bytes, resolved_spec: bytes
) -> bytes:
    """DOCX bytes, every XML part parsed strictly; deterministic for the same inputs."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    path = template.root / "agreement.docx"
    try:
        document = DocxTemplate(path)
        context = render_context(agreement)
        document.init_docx()
        styles = document.docx.styles
        body = document.new_subdoc()
        _write(body, agreement, False, styles)
        context["body"] = body
        schedules = document.new_subdoc()
        _write(schedules, agreement, True, styles)
        context["schedules_body"] = schedules
        document.render(context, jinja_env=make_environment("xml"), autoescape=True)
    except TemplateError as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise RenderError(Problem(Location(str(path)), f"template: {message}")) from None
    _properties(document.docx, agreement)
    _attach(document.docx, manifest, resolved_spec)
    buffer = io.BytesIO()
    document.save(buffer)
    data = normalized_zip(buffer.getvalue())
    _parse_parts(data, str(path))
    return data


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


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class _BodyWriter:
    """Writes the clause body as WordprocessingML, with the template's style ids.

    lxml directly, not python-docx's paragraph API: that looks styles up by name on
    every paragraph, which made the body ten times slower to build.
    """

    def __init__(self, body: Any, style_ids: dict[str, str], language: str) -> None:
        from lxml import etree

        self.etree = etree
        self.body = body
        self.style_ids = style_ids
        self.quotes = (gettext(language, "\u201c"), gettext(language, "\u201d"))
        self.other: _BodyWriter | None = None  # the second language's writer, bilingual

    def page_break(self) -> None:
        sub = self.etree.SubElement
        run = sub(sub(self.body, _w("p")), _w("r"))
        sub(run, _w("br")).set(_w("type"), "page")

    def pair(
        self,
        style: str,
        item: Any,
        twin: Any,
        write: Callable[[_BodyWriter, Any], None],
    ) -> None:
        """A heading and its content; with a twin, both side by side in one table row."""
        if twin is None or self.other is None:
            self.paragraph(style, (Run(item.heading),))
            write(self, item)
            return
        sub = self.etree.SubElement
        table = sub(self.body, _w("tbl"))
        properties = sub(table, _w("tblPr"))
        width = sub(properties, _w("tblW"))
        width.set(_w("w"), "5000")
        width.set(_w("type"), "pct")
        sub(properties, _w("tblLayout")).set(_w("type"), "fixed")
        grid = sub(table, _w("tblGrid"))
        for _ in range(2):
            sub(grid, _w("gridCol")).set(_w("w"), "4535")
        row = sub(table, _w("tr"))
        for writer, text in ((self, item), (self.other, twin)):
            cell = sub(row, _w("tc"))
            cell_width = sub(sub(cell, _w("tcPr")), _w("tcW"))
            cell_width.set(_w("w"), "2500")
            cell_width.set(_w("type"), "pct")
            inner = _BodyWriter(cell, writer.style_ids, "en")
            inner.quotes = writer.quotes
            inner.paragraph(style, (Run(text.heading),))
            write(inner, text)
            if cell[-1].tag == _w("tbl"):  # a cell ends with a paragraph (ECMA-376 17.4.66)
                sub(cell, _w("p"))

    def paragraph(
        self, style: str, runs: tuple[Run, ...], prefix: str = "", *, new_page: bool = False
    ) -> None:
        self.body.append(self._paragraph(style, runs, prefix, new_page=new_page))

    def _paragraph(
        self, style: str, runs: tuple[Run, ...], prefix: str = "", *, new_page: bool = False
    ) -> Any:
        sub = self.etree.SubElement
        paragraph = self.etree.Element(_w("p"))
        properties = sub(paragraph, _w("pPr"))
        sub(properties, _w("pStyle")).set(_w("val"), self.style_ids[style])
        if new_page:
            sub(properties, _w("pageBreakBefore"))
        if prefix:
            run = sub(paragraph, _w("r"))
            sub(run, _w("t")).text = prefix
            sub(run, _w("tab"))
        for item in runs:
            run = sub(paragraph, _w("r"))
            if item.bold or item.italic:
                run_properties = sub(run, _w("rPr"))
                if item.bold:
                    sub(run_properties, _w("b"))
                if item.italic:
                    sub(run_properties, _w("i"))
            text = sub(run, _w("t"))
            text.text = item.text
            text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return paragraph

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
        sub = self.etree.SubElement
        table = sub(self.body, _w("tbl"))
        properties = sub(table, _w("tblPr"))
        sub(properties, _w("tblStyle")).set(_w("val"), self.style_ids["Table Grid"])
        width = sub(properties, _w("tblW"))
        width.set(_w("w"), "0")
        width.set(_w("type"), "auto")
        sub(properties, _w("tblInd")).set(_w("w"), "567")
        grid = sub(table, _w("tblGrid"))
        columns = len(block.header)
        for _ in range(columns):
            sub(grid, _w("gridCol")).set(_w("w"), str(8000 // max(columns, 1)))
        header = tuple(tuple(Run(r.text, True, r.italic) for r in cell) for cell in block.header)
        for cells in (header, *block.rows):
            row = sub(table, _w("tr"))
            for index in range(columns):
                cell = sub(row, _w("tc"))
                cell_width = sub(sub(cell, _w("tcPr")), _w("tcW"))
                cell_width.set(_w("w"), str(8000 // max(columns, 1)))
                cell_width.set(_w("type"), "dxa")
                runs = cells[index] if index < len(cells) else ()
                cell.append(self._paragraph("Clause Text", runs))
                cell[-1].find(_w("pPr")).append(self._no_indent())

    def _no_indent(self) -> Any:
        indent = self.etree.Element(_w("ind"))
        indent.set(_w("left"), "0")
        return indent


def _write(subdoc: Any, agreement: Agreement, schedules: bool, styles: Any) -> None:
    """Sections (or schedules, each on a new page) as headings, clauses and blocks; for a
    bilingual agreement, each heading and clause beside its translation in a two-column
    table, so that Word keeps the pairs together."""
    element = subdoc.subdocx.element.body
    if element.sectPr is not None:
        element.remove(element.sectPr)
    ids = {name: styles[name].style_id for name in STYLES}
    writer = _BodyWriter(element, ids, agreement.language)
    parallel = agreement.parallel
    sections = agreement.schedules if schedules else agreement.sections
    others: tuple[Section | None, ...] = (None,) * len(sections)
    if parallel is not None:
        others = parallel.schedules if schedules else parallel.sections
        writer.other = _BodyWriter(element, ids, parallel.language)
    for section, other in zip(sections, others, strict=True):
        if section.schedule:
            writer.page_break()
        writer.pair("Heading 1", section, other, lambda w, s: None)
        for index, clause in enumerate(section.clauses):
            twin = other.clauses[index] if other else None
            writer.pair("Heading 2", clause, twin, _blocks)
        for index, part in enumerate(section.terms):
            twin_part = other.terms[index] if other else None
            writer.pair("Heading 2", part, twin_part, lambda w, s: None)
            for number, clause in enumerate(part.clauses):
                twin = twin_part.clauses[number] if twin_part else None
                writer.pair("Heading 3", clause, twin, _blocks)


def _blocks(writer: _BodyWriter, clause: Any) -> None:
    for block in clause.blocks:
        writer.block(block)


def _properties(docx: Any, agreement: Agreement) -> None:
    spec = agreement.spec
    midnight = dt.datetime.combine(spec.agreement.date, dt.time())
    properties = docx.core_properties
    properties.title = spec.agreement.title
    properties.subject = agreement.title
    properties.author = spec.buyer.name
    properties.keywords = spec.agreement.reference
    properties.last_modified_by = "procuregen"
    properties.revision = 1
    properties.created = properties.modified = midnight
    properties.comments = (
        f"Drafted by procuregen {__version__} from clause library "
        f"{agreement.library.id} {agreement.library.version}"
    )


def _attach(docx: Any, manifest: bytes, resolved_spec: bytes) -> None:
    """The manifest and the resolved spec as a custom XML part, as Word expects one."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    root = etree.Element(f"{{{CUSTOM_XML_NS}}}procuregen", nsmap={None: CUSTOM_XML_NS})
    etree.SubElement(root, f"{{{CUSTOM_XML_NS}}}manifest").text = manifest.decode("utf-8")
    etree.SubElement(root, f"{{{CUSTOM_XML_NS}}}spec").text = resolved_spec.decode("utf-8")
    item_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    item_id = uuid.uuid5(uuid.NAMESPACE_URL, CUSTOM_XML_NS + manifest.decode("utf-8"))
    props_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<ds:datastoreItem ds:itemID="{{{str(item_id).upper()}}}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{CUSTOM_XML_NS}"/></ds:schemaRefs>'
        "</ds:datastoreItem>"
    ).encode()
    package = docx.part.package
    item = Part(PackURI(ITEM), "application/xml", item_xml, package)
    props = Part(
        PackURI(ITEM_PROPS),
        "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        props_xml,
        package,
    )
    item.relate_to(props, RELATIONSHIP_TYPE.CUSTOM_XML_PROPS)
    docx.part.relate_to(item, RELATIONSHIP_TYPE.CUSTOM_XML)


def normalized_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps and attributes: same inputs, same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def _parse_parts(data: bytes, template_file: str) -> None:
    """Parse every XML part strictly: a broken part fails the build, never the reader."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(package.read(name), parser)
                except etree.XMLSyntaxError as exc:
                    raise RenderError(
                        Problem(Location(template_file), f"rendered part {name} is not XML: {exc}")
                    ) from None
