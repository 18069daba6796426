"""The DOCX package parts that the OOXML schema and readers check: settings, app and core
properties, made conformant after python-docx and docxtpl have saved the document."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from procuregen import __version__
from procuregen.agreement import Agreement
from procuregen.errors import Location, Problem, RenderError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# CT_Settings is a sequence (ECMA-376 Part 1, 17.15.1.78): these WordprocessingML elements
# come after w:updateFields. So do the math and schema-library elements and Word's
# extension elements (w14:, w15:, ...), which are in other namespaces.
_AFTER_UPDATE_FIELDS = frozenset(
    f"{{{W}}}{name}"
    for name in (
        "hdrShapeDefaults",
        "footnotePr",
        "endnotePr",
        "compat",
        "docVars",
        "rsids",
        "attachedSchema",
        "themeFontLang",
        "clrSchemeMapping",
        "doNotIncludeSubdocsInStats",
        "doNotAutoCompressPictures",
        "forceUpgrade",
        "captions",
        "readModeInkLockDown",
        "smartTagType",
        "shapeDefaults",
        "doNotEmbedSmartTags",
        "decimalSymbol",
        "listSeparator",
    )
)
# Figures Word counts when it saves; a generated document has not been laid out, so any
# value would be false (the template's said one page). Readers recount when they open it.
_STATISTICS = (
    "Pages",
    "Words",
    "Characters",
    "CharactersWithSpaces",
    "Lines",
    "Paragraphs",
    "HeadingPairs",
    "TitlesOfParts",
)
# Core properties a template may fill itself; procuregen sets the others from the spec.
_TEMPLATE_CORE = (f"{{{CP}}}category", f"{{{CP}}}contentStatus", f"{{{CP}}}version")

PartRewrite = Callable[[bytes], bytes]


def keywords(agreement: Agreement) -> str:
    """The agreement's reference, its framework's, the kind of document and its CPV codes."""
    details = agreement.spec.agreement
    words = [details.reference]
    if details.framework_reference:
        words.append(details.framework_reference)
    words.append(agreement.title)
    words.extend(f"CPV {code}" for code in details.cpv)
    return "; ".join(words)


def app_version() -> str:
    """procuregen's version as ECMA-376 wants AppVersion: XX.YYYY (major, minor, patch)."""
    major, minor, patch = (*(int(n) for n in re.findall(r"\d+", __version__)), 0, 0, 0)[:3]
    return f"{major:02d}.{minor:02d}{patch:02d}"


def conformant_parts(agreement: Agreement, template_file: str) -> dict[str, PartRewrite]:
    """For each part name, the function that makes that part conformant."""

    def core(data: bytes) -> bytes:
        return core_properties(agreement, _parse(data, "docProps/core.xml", template_file))

    return {
        "docProps/core.xml": core,
        "docProps/app.xml": lambda data: app_properties(
            _parse(data, "docProps/app.xml", template_file)
        ),
        "word/settings.xml": lambda data: settings(
            _parse(data, "word/settings.xml", template_file)
        ),
    }


def settings(root: Any) -> bytes:
    """word/settings.xml with the template's w:updateFields where the schema wants it."""
    place_update_fields(root)
    return _serialize(root)


def place_update_fields(root: Any) -> None:
    """Move w:updateFields, if there is one, to its place in CT_Settings' sequence.

    python-docx appends it last, after w:compat, and the Open XML SDK rejects the part;
    Word may repair the file or ignore the flag.
    """
    update = root.find(f"{{{W}}}updateFields")
    if update is None:
        return
    root.remove(update)
    successor = next(
        (
            child
            for child in root
            if isinstance(child.tag, str)
            and (child.tag in _AFTER_UPDATE_FIELDS or not child.tag.startswith(f"{{{W}}}"))
        ),
        None,
    )
    if successor is None:
        root.append(update)
    else:
        successor.addprevious(update)


def app_properties(root: Any) -> bytes:
    """docProps/app.xml without the template's layout statistics, naming procuregen."""
    from lxml import etree

    for name in _STATISTICS:
        for element in root.findall(f"{{{EXTENDED}}}{name}"):
            root.remove(element)
    for name, value in (("Application", "procuregen"), ("AppVersion", app_version())):
        element = root.find(f"{{{EXTENDED}}}{name}")
        if element is None:
            element = etree.SubElement(root, f"{{{EXTENDED}}}{name}")
        element.text = value
    return _serialize(root)


def core_properties(agreement: Agreement, rendered: Any) -> bytes:
    """docProps/core.xml written whole from the spec, in the core-properties namespaces.

    python-docx cannot be asked to write it: docxcompose (imported by docxtpl) rebinds the
    `cp` prefix that python-docx looks elements up by to the custom-properties namespace,
    so keywords, lastModifiedBy and revision landed in the wrong namespace, beside empty
    elements in the right one.
    """
    from lxml import etree

    spec = agreement.spec
    created = dt.datetime.combine(spec.agreement.date, dt.time()).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = etree.Element(
        f"{{{CP}}}coreProperties",
        nsmap={"cp": CP, "dc": DC, "dcterms": DCTERMS, "xsi": XSI},
    )
    for tag, text in (
        (f"{{{DC}}}title", spec.agreement.title),
        (f"{{{DC}}}subject", agreement.title),
        (f"{{{DC}}}creator", spec.buyer.name),
        (f"{{{CP}}}keywords", keywords(agreement)),
        (
            f"{{{DC}}}description",
            f"Drafted by procuregen {__version__} from clause library "
            f"{agreement.library.id} {agreement.library.version}",
        ),
        (f"{{{DC}}}language", agreement.language),
        (f"{{{CP}}}lastModifiedBy", "procuregen"),
        (f"{{{CP}}}revision", "1"),
    ):
        etree.SubElement(root, tag).text = text
    for tag in (f"{{{DCTERMS}}}created", f"{{{DCTERMS}}}modified"):
        date = etree.SubElement(root, tag)
        date.set(f"{{{XSI}}}type", "dcterms:W3CDTF")
        date.text = created
    for tag in _TEMPLATE_CORE:
        kept = rendered.find(tag)
        if kept is not None and (kept.text or "").strip():
            etree.SubElement(root, tag).text = kept.text
    return _serialize(root)


def _parse(data: bytes, name: str, template_file: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RenderError(
            Problem(Location(template_file), f"template part {name} is not XML: {exc}")
        ) from None


def _serialize(root: Any) -> bytes:
    from lxml import etree

    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data
