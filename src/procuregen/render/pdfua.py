"""PDF/UA-1 on top of WeasyPrint's tagged PDF/A-3b, applied to its pydyf objects before
they are written: the XMP claim with its PDF/A extension schema, running headers and page
numbers as pagination artifacts, and an /AF array that names each attachment once.

WeasyPrint (70) offers either a PDF/A or a PDF/UA variant, not both; it writes margin-box
text as marked content whose structure elements hang outside the structure tree; and it
adds each attachment to /AF twice, once from the EmbeddedFiles name tree and once from
its file specification.
"""

from __future__ import annotations

from typing import Any

from procuregen.errors import Location, Problem, RenderError

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"


def make_pdfua(pdf: Any, where: Location) -> None:
    """Turn WeasyPrint's tagged PDF/A-3b objects into a PDF/UA-1 claiming one, in place."""
    unique_associated_files(pdf)
    pagination_artifacts(pdf, where)
    claim_pdfua(pdf)


def unique_associated_files(pdf: Any) -> None:
    """The catalog's /AF with each file specification once, in first-seen order."""
    import pydyf

    files = pdf.catalog.get("AF")
    if files is not None:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(_text(f) for f in files))


def pagination_artifacts(pdf: Any, where: Location) -> None:
    """Mark as /Artifact the marked content that no element of the structure tree owns.

    In WeasyPrint's output that is the text of the page margin boxes (running header,
    page X of Y): PDF/UA wants it as a pagination artifact, not as content that a screen
    reader reads out on every page. Its orphaned structure elements are emptied and its
    entries in the parent tree become null.
    """
    import pydyf

    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    reachable = _reachable(pdf, root)
    parent_tree = _object(pdf, root["ParentTree"])
    page_mcids = dict(zip(parent_tree["Nums"][::2], parent_tree["Nums"][1::2], strict=True))
    for number, reference in enumerate(pdf.page_references, 1):
        page = _object(pdf, reference)
        owners = page_mcids.get(page.get("StructParents"))
        if not isinstance(owners, list):
            continue
        orphans: set[int] = set()
        for mcid, owner in enumerate(owners):
            if owner != "null" and _number(owner) not in reachable:
                orphans.add(mcid)
                owners[mcid] = "null"
        missing = _mark_artifacts(_object(pdf, page["Contents"]), orphans)
        if missing:
            # Text drawn in a transparency group (opacity) is not in the page's stream.
            raise RenderError(
                Problem(
                    where,
                    f"PDF: page {number}: margin-box text drawn outside "
                    "the page's content stream cannot be marked as an artifact; remove "
                    "opacity from the @page margin boxes",
                )
            )
    for item in pdf.objects:
        if (
            isinstance(item, pydyf.Dictionary)
            and item.get("Type") == "/StructElem"
            and item.number not in reachable
        ):
            item.clear()


def _mark_artifacts(stream: Any, mcids: set[int]) -> set[int]:
    """Rewrite `/Tag <</MCID n>> BDC` as `/Artifact <</Type /Pagination>> BDC` for each of
    `mcids`; return those not found."""
    import pydyf

    content = stream.stream
    missing = set(mcids)
    for index, item in enumerate(content):
        if (
            isinstance(item, pydyf.Dictionary)
            and item.get("MCID") in missing
            and 0 < index < len(content) - 1
            and isinstance(content[index - 1], str)
            and content[index + 1] == b"BDC"
        ):
            missing.remove(item["MCID"])
            content[index - 1] = "/Artifact"
            content[index] = pydyf.Dictionary({"Type": "/Pagination"})
    return missing


def _reachable(pdf: Any, root: Any) -> set[int]:
    """Object numbers of the structure elements reachable from the structure tree root."""
    seen: set[int] = set()
    pending = [kid for kid in root["K"] if _is_reference(kid)]
    while pending:
        number = _number(pending.pop())
        if number in seen:
            continue
        seen.add(number)
        element = pdf.objects[number]
        kids = element.get("K", ()) if isinstance(element, dict) else ()
        pending.extend(kid for kid in kids if _is_reference(kid))
    return seen


def claim_pdfua(pdf: Any) -> None:
    """Add pdfuaid:part 1 to the XMP metadata, and the extension schema that declares the
    pdfuaid namespace, without which a PDF/A validator rejects the unknown property. The
    metadata stream stays uncompressed, so that tools that scan for XMP find it."""
    from lxml import etree

    metadata = _object(pdf, pdf.catalog["Metadata"])
    packet = b"".join(
        part if isinstance(part, bytes) else part.encode() for part in metadata.stream
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    root = etree.fromstring(packet, parser)
    rdf = _namespaces_on_each_description(root.find(f"{{{RDF}}}RDF"))
    claim = etree.SubElement(rdf, f"{{{RDF}}}Description", nsmap={"pdfuaid": PDFUAID})
    claim.set(f"{{{RDF}}}about", "")
    claim.set(f"{{{PDFUAID}}}part", "1")
    rdf.append(_extension_schema())
    metadata.stream = [etree.tostring(root.getroottree(), encoding="UTF-8")]
    metadata.compress = False


def _namespaces_on_each_description(rdf: Any) -> Any:
    """rdf:RDF rebuilt so that each rdf:Description declares the namespaces it uses.

    WeasyPrint declares them once, on rdf:RDF, which is valid XMP, but PDFBox's xmpbox
    (and so Preflight) finds a description's schemas only through the declarations on
    the description itself and rejects the packet ("Schema is not set").
    """
    import copy

    from lxml import etree

    rebuilt = etree.Element(rdf.tag, nsmap={"rdf": RDF})
    for old in rdf:
        if not isinstance(old.tag, str):
            continue
        used: dict[str, str] = {}
        for element in old.iter():
            if not isinstance(element.tag, str):
                continue
            prefixes = {uri: prefix for prefix, uri in element.nsmap.items()}
            for name in (element.tag, *element.attrib):
                uri = etree.QName(name).namespace
                if uri and uri != RDF and uri in prefixes:
                    used[prefixes[uri]] = uri
        new = etree.SubElement(rebuilt, old.tag, nsmap=used)
        for name, value in old.attrib.items():
            new.set(name, value)
        new.text = old.text
        new.extend(copy.deepcopy(child) for child in old)
    rdf.getparent().replace(rdf, rebuilt)
    return rebuilt


def _extension_schema() -> Any:
    """The pdfaExtension description of the pdfuaid schema (ISO 19005-2, 6.6.2.3)."""
    from lxml import etree

    def sub(parent: Any, namespace: str, tag: str, text: str | None = None) -> Any:
        element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
        element.text = text
        return element

    def resource(parent: Any) -> Any:
        item = sub(parent, RDF, "li")
        item.set(f"{{{RDF}}}parseType", "Resource")
        return item

    description = etree.Element(
        f"{{{RDF}}}Description",
        nsmap={
            "pdfaExtension": PDFA_EXTENSION,
            "pdfaSchema": PDFA_SCHEMA,
            "pdfaProperty": PDFA_PROPERTY,
        },
    )
    description.set(f"{{{RDF}}}about", "")
    schema = resource(sub(sub(description, PDFA_EXTENSION, "schemas"), RDF, "Bag"))
    sub(schema, PDFA_SCHEMA, "schema", "PDF/UA identification")
    sub(schema, PDFA_SCHEMA, "namespaceURI", PDFUAID)
    sub(schema, PDFA_SCHEMA, "prefix", "pdfuaid")
    part = resource(sub(sub(schema, PDFA_SCHEMA, "property"), RDF, "Seq"))
    sub(part, PDFA_PROPERTY, "name", "part")
    sub(part, PDFA_PROPERTY, "valueType", "Integer")
    sub(part, PDFA_PROPERTY, "category", "internal")
    sub(part, PDFA_PROPERTY, "description", "The part of ISO 14289 the document conforms to")
    return description


def _text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _is_reference(value: Any) -> bool:
    return isinstance(value, bytes | str) and _text(value).endswith(" R")


def _number(reference: Any) -> int:
    return int(_text(reference).split()[0])


def _object(pdf: Any, reference: Any) -> Any:
    return pdf.objects[_number(reference)]
