"""The Agreement as DOCX: docxtpl fills the Word template; the body is built from the model."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping
from typing import Any

from procuregen.agreement import Agreement
from procuregen.environment import make_environment
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
from procuregen.render.context import render_context
from procuregen.render.docx_body import STYLES as STYLES
from procuregen.render.docx_body import body_xml
from procuregen.render.docx_parts import PartRewrite, conformant_parts

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CUSTOM_XML_NS = "urn:procuregen:manifest:1"
ITEM = "/customXml/procuregen.xml"
ITEM_PROPS = "/customXml/procuregenProps.xml"
# The style of the paragraphs docxtpl prints where the body goes: no real style has it.
MARKER = "procuregen:"


def render_docx(
    agreement: Agreement, template: Template, manifest: bytes, resolved_spec: bytes
) -> bytes:
    """DOCX bytes; deterministic for the same inputs.

    docxtpl fills the template with a marker paragraph where the body and the schedules
    go; the document is then parsed once more with their XML in place of the markers, so
    docxtpl never re-reads the body's thousands of paragraphs. The package is zipped
    once, with fixed timestamps.
    """
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError
    from lxml import etree
    from markupsafe import Markup

    path = template.root / "agreement.docx"
    try:
        document = DocxTemplate(path)
        context = render_context(agreement)
        context["body"] = Markup(_marker_paragraph("body"))
        context["schedules_body"] = Markup(_marker_paragraph("schedules_body"))
        document.render(context, jinja_env=make_environment("xml"), autoescape=True)
    except TemplateError as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise RenderError(Problem(Location(str(path)), f"template: {message}")) from None
    except etree.XMLSyntaxError as exc:
        raise RenderError(
            Problem(Location(str(path)), f"rendered word/document.xml is not XML: {exc}")
        ) from None
    docx = document.docx
    style_ids = {name: docx.styles[name].style_id for name in STYLES}
    bodies = {
        name: body_xml(agreement, schedules, style_ids)
        for name, schedules in (("body", False), ("schedules_body", True))
    }
    _replace_markers(docx, bodies, str(path))
    _attach(docx, manifest, resolved_spec)
    # Reading the property creates docProps/core.xml for a template without one; the
    # part is then written whole from the spec.
    _ = docx.core_properties
    return _package_bytes(docx, conformant_parts(agreement, str(path)))


def _marker_paragraph(name: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{MARKER}{name}"/></w:pPr></w:p>'


def _replace_markers(docx: Any, bodies: dict[str, str], template_file: str) -> None:
    """Put the elements of each body's XML where docxtpl printed the marker paragraph of
    its name, and parse the document once.

    The document is written out with the bodies in place of their markers and parsed
    again as a whole: parsed apart and moved in, every element of a body had its namespace
    fixed against the other document by lxml, in time quadratic in the number of elements
    (a price schedule of 10,000 rows took minutes).
    """
    from docx.oxml.parser import parse_xml
    from lxml import etree

    xml = etree.tostring(docx.element, encoding="unicode")
    for name, body in bodies.items():
        marker = _marker_paragraph(name)
        if xml.count(marker) != 1:  # template_check makes sure the template prints it once
            raise RenderError(
                Problem(
                    Location(template_file),
                    f"word/document.xml must print {{{{p {name} }}}} exactly once",
                )
            )
        xml = xml.replace(marker, body)
    try:
        element = parse_xml(xml)  # python-docx's parser, so its element classes
    except etree.XMLSyntaxError as exc:
        raise RenderError(
            Problem(Location(template_file), f"the agreement's text is not XML: {exc}")
        ) from None
    # The part writes this root into the package; nothing reads the old one after this.
    docx.part._element = element


def _package_bytes(docx: Any, rewrite: Mapping[str, PartRewrite]) -> bytes:
    """The package as one deterministic zip: fixed timestamps and attributes, in the order
    python-docx writes its parts; each part named in `rewrite` passed through its function."""
    from docx.opc.pkgwriter import PackageWriter

    package = docx.part.package
    for part in package.parts:
        part.before_marshal()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # PackageWriter.write would open its own zip writer; its steps take ours.
        writer: Any = _FixedTimeZipWriter(archive, rewrite)
        PackageWriter._write_content_types_stream(writer, package.parts)  # type: ignore[no-untyped-call]
        PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
        PackageWriter._write_parts(writer, package.parts)
    return buffer.getvalue()


class _FixedTimeZipWriter:
    """python-docx's physical package writer, with fixed zip metadata."""

    def __init__(self, archive: zipfile.ZipFile, rewrite: Mapping[str, PartRewrite]) -> None:
        self.archive = archive
        self.rewrite = rewrite

    def write(self, pack_uri: Any, blob: bytes) -> None:
        if pack_uri.membername in self.rewrite:
            blob = self.rewrite[pack_uri.membername](blob)
        self.archive.writestr(_fixed_entry(pack_uri.membername), blob)


def _fixed_entry(name: str) -> zipfile.ZipInfo:
    """A zip entry whose metadata never varies: the same inputs give the same bytes."""
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


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
            target.writestr(_fixed_entry(info.filename), source.read(info.filename))
    return out.getvalue()
