"""Conformance: every example's DOCX passes the Open XML SDK's validator, every PDF passes
PDFBox Preflight as far as PDF/A-3b asks, and claims PDF/UA-1 with what that needs."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from procuregen.errors import RenderError
from procuregen.manifest import Template
from tests.conftest import EXAMPLES, ROOT, Drafted, write_tree

pytestmark = pytest.mark.realclient

NAMES = [e.stem for e in EXAMPLES]
OOXML_VALIDATE = ROOT / "tools" / "ooxml-validate"
# Debian's libpdfbox2-java; javax.activation and JAXB come from libactivation-java and
# libjaxb-api-java, since Java 17 no longer ships them.
PREFLIGHT_CLASSPATH = ":".join(
    f"/usr/share/java/{jar}.jar"
    for jar in (
        "preflight",
        "pdfbox2",
        "fontbox2",
        "xmpbox",
        "commons-logging",
        "javax.activation",
        "jaxb-api",
    )
)
PREFLIGHT = ("java", "-cp", PREFLIGHT_CLASSPATH, "org.apache.pdfbox.preflight.Validator_A1b")
# Preflight checks PDF/A-1b. These are the only errors it may report, each a rule that
# PDF/A-3 relaxes; the metadata is written uncompressed, so 1.2.7 (a filter on the
# metadata stream) is not among them.
PDFA3_RELAXED = {
    ("1.2.9", "Body Syntax error, EmbeddedFile entry is present in a FileSpecification dictionary"),
    ("1.4.7", "Trailer Syntax error, EmbeddedFile entry is present in the Names dictionary"),
    # CIDSet is optional from PDF/A-2 on; the details start with the font's name, so
    # each message is matched by its end.
    ("3.1.11", "The CIDSet entry is missing for the Composite Subset"),
    # pdfaid:part is 3, not 1: the test asserts that the XMP claims PDF/A-3b.
    ("7.11.2", "Error on MetaData, part must be 1"),
}
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CORE = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
XMP = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
# agreement.css: @page margins, top 25mm and bottom 22mm; what prints there is the
# running header and the page number.
TOP_MARGIN, BOTTOM_MARGIN = 25 * 72 / 25.4, 22 * 72 / 25.4
_PROPERTY_FIELDS = ("name", "valueType", "category")


@pytest.fixture(scope="module")
def ooxml_errors(drafted_examples: dict[str, Drafted]) -> dict[str, list[dict[str, Any]]]:
    """The Open XML SDK's errors for each example's DOCX, from one Node process."""
    import json

    if not (OOXML_VALIDATE / "node_modules" / "@ooxml-tools" / "validate").is_dir():
        pytest.fail("the Open XML SDK validator is not installed: run `make validators`")
    files = {str(d.docx): name for name, d in drafted_examples.items()}
    result = subprocess.run(
        ["node", str(OOXML_VALIDATE / "validate.mjs"), *files],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr
    return {files[path]: errors for path, errors in json.loads(result.stdout).items()}


@pytest.fixture(scope="module")
def preflight_errors(
    drafted_examples: dict[str, Drafted], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[str, str]]]:
    """PDFBox Preflight's (code, details) for each example's PDF, from one Java process."""
    listing = tmp_path_factory.mktemp("preflight") / "pdfs.txt"
    listing.write_text("".join(f"{d.pdf}\n" for d in drafted_examples.values()), "utf-8")
    result = subprocess.run(
        [*PREFLIGHT, "xml", "group", str(listing)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = etree.parse(str(listing) + ".preflight.xml")
    by_file = {d.pdf.name: name for name, d in drafted_examples.items()}
    errors = {}
    for preflight in report.iter("preflight"):
        assert preflight.find("isValid") is not None, etree.tostring(preflight).decode()
        errors[by_file[preflight.get("name")]] = [
            (e.findtext("code"), e.findtext("details")) for e in preflight.iter("error")
        ]
    assert sorted(errors) == sorted(drafted_examples)
    return errors


@pytest.fixture(scope="module")
def marked_pages(drafted_examples: dict[str, Drafted]) -> Callable[[str], list[MarkedPage]]:
    """Each example's PDF pages, each read once for the tests that look at marked content."""
    read: dict[str, list[MarkedPage]] = {}

    def pages(example: str) -> list[MarkedPage]:
        if example not in read:
            read[example] = [_marked(p) for p in PdfReader(drafted_examples[example].pdf).pages]
        return read[example]

    return pages


def _relaxed_by_pdfa3(code: str, details: str) -> bool:
    return any(code == c and details.endswith(d) for c, d in PDFA3_RELAXED)


@pytest.mark.parametrize("example", NAMES)
def test_docx_passes_the_open_xml_sdk_validator(
    ooxml_errors: dict[str, list[dict[str, Any]]], example: str
) -> None:
    assert ooxml_errors[example] == []


@pytest.mark.parametrize("example", NAMES)
def test_docx_properties_describe_the_agreement(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    drafted = drafted_examples[example]
    spec = drafted.agreement.spec
    with zipfile.ZipFile(drafted.docx) as package:
        core = etree.fromstring(package.read("docProps/core.xml"))
        app = etree.fromstring(package.read("docProps/app.xml"))
        settings = etree.fromstring(package.read("word/settings.xml"))
    keywords = core.findall("cp:keywords", CORE)
    assert [k.text for k in keywords] == [
        "; ".join(
            [
                spec.agreement.reference,
                *(
                    [spec.agreement.framework_reference]
                    if spec.agreement.framework_reference
                    else []
                ),
                drafted.agreement.title,
                *(f"CPV {code}" for code in spec.agreement.cpv),
            ]
        )
    ]
    # Every property once, in the core-properties namespaces, none empty.
    names = [etree.QName(e).localname for e in core]
    assert len(names) == len(set(names))
    assert {etree.QName(e).namespace for e in core} <= {*CORE.values(), "http://purl.org/dc/terms/"}
    assert all((e.text or "").strip() for e in core)
    assert core.findtext("dc:title", namespaces=CORE) == spec.agreement.title
    assert core.findtext("dc:language", namespaces=CORE) == drafted.agreement.language
    # No layout statistics: nobody has laid the document out when it is written.
    assert app.find(f"{{{EXTENDED}}}Pages") is None
    assert app.find(f"{{{EXTENDED}}}Words") is None
    assert app.findtext(f"{{{EXTENDED}}}Application") == "procuregen"
    assert re.fullmatch(r"\d\d\.\d{4}", app.findtext(f"{{{EXTENDED}}}AppVersion") or "")
    children = [etree.QName(e).localname for e in settings]
    assert children.index("updateFields") == children.index("compat") - 1


def test_update_fields_goes_before_whatever_follows_it_in_the_schema() -> None:
    from procuregen.render.docx_parts import place_update_fields

    def ordered(*children: str) -> list[str]:
        root = etree.fromstring(
            f'<w:settings xmlns:w="{W}" xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
            ' xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml">'
            + "".join(f"<{c}/>" for c in children)
            + "</w:settings>"
        )
        place_update_fields(root)
        return [f"{e.prefix}:{etree.QName(e).localname}" for e in root]

    assert ordered("w:zoom", "w:rsids", "m:mathPr", "w:updateFields") == [
        "w:zoom",
        "w:updateFields",
        "w:rsids",
        "m:mathPr",
    ]
    # Nothing after it in the sequence: it stays last; before Word's extensions otherwise.
    assert ordered("w:updateFields", "w:zoom", "w:defaultTabStop") == [
        "w:zoom",
        "w:defaultTabStop",
        "w:updateFields",
    ]
    assert ordered("w:proofState", "w14:docId", "w:updateFields") == [
        "w:proofState",
        "w:updateFields",
        "w14:docId",
    ]
    # A template that leaves it out is not given one.
    assert ordered("w:zoom", "w:compat") == ["w:zoom", "w:compat"]


@pytest.mark.parametrize("example", NAMES)
def test_pdf_passes_preflight_as_far_as_pdfa3_asks(
    drafted_examples: dict[str, Drafted],
    preflight_errors: dict[str, list[tuple[str, str]]],
    example: str,
) -> None:
    errors = preflight_errors[example]
    assert [e for e in errors if not _relaxed_by_pdfa3(*e)] == []
    # The one about the PDF/A part is only acceptable because the file claims PDF/A-3b
    # and, in the same XMP that Preflight has just parsed, PDF/UA-1.
    description = _xmp(drafted_examples[example].pdf)
    assert description["pdfaid"] == ("3", "B")
    assert description["pdfuaid"] == "1"


@pytest.mark.parametrize("example", NAMES)
def test_pdf_claims_pdfua_1_with_its_extension_schema(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    reader = PdfReader(drafted_examples[example].pdf)
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in metadata  # plain XMP, findable by tools that scan the file
    xmp = _xmp(drafted_examples[example].pdf)
    assert xmp["pdfuaid"] == "1"
    assert xmp["extension"] == [
        (XMP["pdfuaid"], "pdfuaid", [("part", "Integer", "internal")]),
    ]
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert str(root["/Lang"]) == drafted_examples[example].agreement.language


@pytest.mark.parametrize("example", NAMES)
def test_pdf_structure_tree_owns_every_tagged_piece_of_content(
    drafted_examples: dict[str, Drafted],
    marked_pages: Callable[[str], list[MarkedPage]],
    example: str,
) -> None:
    reader = PdfReader(drafted_examples[example].pdf)
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    owned = _structure_elements(tree)
    assert len(owned) > 100
    nums = tree["/ParentTree"].get_object()["/Nums"]
    parents = {nums[i]: nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    for number, page in enumerate(marked_pages(example), 1):
        owners = parents[page.struct_parents]
        assert page.mcids
        for mcid in page.mcids:
            owner = owners[mcid]
            assert isinstance(owner, IndirectObject), (number, mcid)
            assert owner.idnum in owned, f"page {number}: MCID {mcid} outside the structure tree"


@pytest.mark.parametrize("example", NAMES)
def test_running_headers_and_page_numbers_are_artifacts(
    drafted_examples: dict[str, Drafted],
    marked_pages: Callable[[str], list[MarkedPage]],
    example: str,
) -> None:
    reference = drafted_examples[example].agreement.spec.agreement.reference
    pages = marked_pages(example)
    for number, page in enumerate(pages, 1):
        for artifact, y, text in page.texts:
            in_margin = y > page.height - TOP_MARGIN or y < BOTTOM_MARGIN
            assert artifact == in_margin, f"page {number}: {text!r} at y={y:.0f}"
        artifacts = " ".join(t for a, _, t in page.texts if a)
        if number == 1:
            assert artifacts == ""  # the cover has neither header nor page number
        else:
            assert reference in artifacts
            assert re.search(rf"\b{number}\b\D+\b{len(pages)}\b", artifacts), artifacts
        assert any(not a for a, _, _ in page.texts)


@pytest.mark.parametrize("example", NAMES)
def test_associated_files_are_listed_once(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    root = PdfReader(drafted_examples[example].pdf).trailer["/Root"]
    associated = [f.idnum for f in root["/AF"]]
    embedded = root["/Names"]["/EmbeddedFiles"]["/Names"][1::2]
    assert associated == [f.idnum for f in embedded]
    assert len(associated) == len(set(associated)) == 2
    assert {str(f.get_object()["/AFRelationship"]) for f in embedded} == {"/Data"}


def test_margin_box_text_that_cannot_be_an_artifact_fails_the_build(tmp_path: Path) -> None:
    """Text in a transparency group is not in the page's stream; rather than claim PDF/UA
    over untagged text, the build stops and says what to change."""
    from procuregen.render.pdf import render_pdf

    write_tree(tmp_path, {"tpl/agreement.css": ""})
    html = (
        '<html lang="en"><head><title>T</title><style>@page { @top-right {'
        ' content: "Header"; opacity: 0.5 } }</style></head><body><p>Body</p></body></html>'
    )
    with pytest.raises(RenderError) as caught:
        render_pdf(html, Template("t", tmp_path / "tpl"), date=dt.date(2027, 1, 1), attachments=[])
    assert str(caught.value) == (
        f"{tmp_path / 'tpl' / 'agreement.html'}: PDF: page 1: margin-box text drawn outside "
        "the page's content stream cannot be marked as an artifact; remove opacity from "
        "the @page margin boxes"
    )


def _xmp(pdf: Path) -> dict[str, Any]:
    """The PDF/A and PDF/UA identification and the extension schemas of a PDF's XMP."""
    metadata = PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data()
    root = etree.fromstring(metadata)

    def value(namespace: str, name: str) -> str | None:
        for description in root.iter(f"{{{XMP['rdf']}}}Description"):
            found = description.get(f"{{{XMP[namespace]}}}{name}") or description.findtext(
                f"{namespace}:{name}", namespaces=XMP
            )
            if found:
                return found
        return None

    extension = [
        (
            schema.findtext("pdfaSchema:namespaceURI", namespaces=XMP),
            schema.findtext("pdfaSchema:prefix", namespaces=XMP),
            [
                tuple(p.findtext(f"pdfaProperty:{f}", namespaces=XMP) for f in _PROPERTY_FIELDS)
                for p in schema.findall("pdfaSchema:property/rdf:Seq/rdf:li", XMP)
            ],
        )
        for schema in root.findall(".//pdfaExtension:schemas/rdf:Bag/rdf:li", XMP)
    ]
    return {
        "pdfaid": (value("pdfaid", "part"), value("pdfaid", "conformance")),
        "pdfuaid": value("pdfuaid", "part"),
        "extension": extension,
    }


def _structure_elements(tree: Any) -> set[int]:
    """Object numbers of the structure elements reachable from the structure tree root."""
    seen: set[int] = set()
    pending = [tree["/K"]]
    while pending:
        kid = pending.pop()
        if isinstance(kid, list):
            pending.extend(kid)
        elif isinstance(kid, IndirectObject) and kid.idnum not in seen:
            element = kid.get_object()
            if element.get("/Type") in (None, "/StructElem"):
                seen.add(kid.idnum)
                pending.append(element.get("/K", []))
    return seen


@dataclass(frozen=True)
class MarkedPage:
    """What a page's content stream marks: each piece of text, inside an /Artifact
    sequence or not, with its baseline y; the MCIDs it tags; its parent-tree key."""

    height: float
    texts: list[tuple[bool, float, str]]
    mcids: list[int]
    struct_parents: int


def _marked(page: Any) -> MarkedPage:
    stack: list[str] = []
    texts: list[tuple[bool, float, str]] = []
    mcids: list[int] = []

    def operator(op: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if op in (b"BMC", b"BDC"):
            stack.append(str(operands[0]))
            if op == b"BDC" and isinstance(operands[1], dict) and "/MCID" in operands[1]:
                mcids.append(int(operands[1]["/MCID"]))
        elif op == b"EMC":
            stack.pop()

    def text(content: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if content.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            texts.append(("/Artifact" in stack, y, content.strip()))

    page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return MarkedPage(float(page.mediabox.top), texts, mcids, int(page["/StructParents"]))
