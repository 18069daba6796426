"""The Agreement as DOCX: docxtpl fills the Word template; the body is built from the model."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from typing import Any

from procuregen import __version__
from procuregen.agreement import Agreement, Block, Definitions, ItemList, Paragraph, Run, Table
from procuregen.environment import make_environment
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
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
        body = document.new_subdoc()
        _body(body, agreement)
        context["body"] = body
        document.render(context, jinja_env=make_environment("xml"), autoescape=True)
    except TemplateError as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise RenderError(Problem(Location(str(path)), f"template: {message}")) from None
    _properties(document.docx, agreement)
    _attach(document.docx, manifest, resolved_spec)
    buffer = io.BytesIO()
    document.save(buffer)
    data = _normalized(buffer.getvalue())
    _parse_parts(data, str(path))
    return data


def _runs(paragraph: Any, runs: tuple[Run, ...]) -> None:
    for run in runs:
        added = paragraph.add_run(run.text)
        if run.bold:
            added.bold = True
        if run.italic:
            added.italic = True


def _block(body: Any, block: Block) -> None:
    if isinstance(block, Paragraph):
        _runs(body.add_paragraph(style="Clause Text"), block.runs)
    elif isinstance(block, ItemList):
        for item in block.items:
            paragraph = body.add_paragraph(f"{item.label}\t", style=f"List Level {block.level}")
            _runs(paragraph, item.runs)
            if item.sublist is not None:
                _block(body, item.sublist)
    elif isinstance(block, Table):
        table = body.add_table(rows=1 + len(block.rows), cols=len(block.header))
        table.style = "Table Grid"
        for cell, runs in zip(table.rows[0].cells, block.header, strict=True):
            _runs(cell.paragraphs[0], tuple(Run(r.text, True, r.italic) for r in runs))
        for row, cells in zip(table.rows[1:], block.rows, strict=True):
            for cell, runs in zip(row.cells, cells, strict=False):
                _runs(cell.paragraphs[0], runs)
    elif isinstance(block, Definitions):
        for entry in block.entries:
            paragraph = body.add_paragraph(style="Definition")
            paragraph.add_run(f"\u201c{entry.term}\u201d").bold = True
            paragraph.add_run(" ")
            _runs(paragraph, entry.runs)


def _body(body: Any, agreement: Agreement) -> None:
    for section in agreement.sections:
        body.add_paragraph(section.heading, style="Heading 1")
        for clause in section.clauses:
            body.add_paragraph(clause.heading, style="Heading 2")
            for block in clause.blocks:
                _block(body, block)


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


def _normalized(data: bytes) -> bytes:
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


def read_embedded_docx(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The manifest and resolved spec embedded in a DOCX drafted by procuregen."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.startswith("customXml/") and name.count("/") == 1 and "Props" not in name:
                root = etree.fromstring(package.read(name))
                if root.tag == f"{{{CUSTOM_XML_NS}}}procuregen":
                    manifest = root.findtext(f"{{{CUSTOM_XML_NS}}}manifest") or ""
                    spec = root.findtext(f"{{{CUSTOM_XML_NS}}}spec") or ""
                    return json.loads(manifest), spec.encode("utf-8")
    raise ValueError("no procuregen manifest in this DOCX")
