"""`verify` that survives signing and re-saving: exit 0 identical bytes (a PDF's original
revision), 3 the same text in a different file, 1 different text or not verifiable."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from procuregen.revisions import revisions
from procuregen.visible_text import word_changes
from tests.conftest import ROOT, Run, libreoffice_convert, write_tree
from tests.libraries import base_library
from tests.specs import VALID

HEALTH = ROOT / "examples" / "region-health-records.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fixture library, a spec named agency.yaml and an empty out/ folder."""
    write_tree(tmp_path, {**base_library(), "agency.yaml": VALID})
    (tmp_path / "out").mkdir()
    return tmp_path


def draft_fixture(cli: Callable[..., Run], project: Path, kind: str) -> Path:
    result = cli(
        "draft",
        project / "agency.yaml",
        "--library",
        project / "lib",
        "-o",
        project / "out",
        "--format",
        kind,
    )
    assert result.exit_code == 0, result.stderr
    return project / "out" / f"agency.{kind}"


def verify_fixture(cli: Callable[..., Run], project: Path, document: Path) -> Run:
    return cli("verify", document, "--library", project / "lib")


@pytest.fixture(scope="module")
def health_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The region health example drafted as DOCX with the bundled library."""
    from click.testing import CliRunner

    from procuregen.cli import cli as procuregen_cli

    out = tmp_path_factory.mktemp("health")
    result = CliRunner().invoke(
        procuregen_cli, ["draft", str(HEALTH), "--format", "docx", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out / "region-health-records.docx"


def rezip(
    source: Path, target: Path, edit: Callable[[str, bytes], bytes], *, stored: bool = False
) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = zipfile.ZIP_STORED if stored else info.compress_type
            new.writestr(copy, edit(info.filename, old.read(info.filename)))
    return target


def append_update(pdf: Path, target: Path) -> None:
    """An incremental update as a reviewer's tool writes one: a note on page 1 and an
    empty signature field for the buyer."""
    from pypdf import PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(pdf, incremental=True)
    writer.add_annotation(0, Text(rect=(50, 550, 200, 650), text="Approved by legal"))
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject("Buyer"),
            NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
            NameObject("/F"): NumberObject(132),
        }
    )
    reference = writer._add_object(widget)
    page = writer.pages[-1]
    page.setdefault(NameObject("/Annots"), ArrayObject()).append(reference)
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([reference]), NameObject("/SigFlags"): NumberObject(3)}
    )
    writer.write(target)


def test_pdf_with_an_incremental_update_verifies_its_original_revision(
    project: Path, cli: Callable[..., Run]
) -> None:
    pdf = draft_fixture(cli, project, "pdf")
    original = pdf.read_bytes()
    updated = project / "out" / "signed.pdf"
    append_update(pdf, updated)
    data = updated.read_bytes()
    assert data.startswith(original) and len(data) > len(original)
    assert [(r.start, r.end) for r in revisions(data)] == [
        (0, len(original)),
        (len(original), len(data)),
    ]
    result = verify_fixture(cli, project, updated)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{updated}: verified, its original revision (bytes 0-{len(original)}) "
        "is identical to a fresh draft",
        f"  1 later revision appended after the drafted document: "
        f"revision 2 (bytes {len(original)}-{len(data)})",
        "  an unsigned signature field 'Buyer'",
        "  page 1: a Text annotation added ('Approved by legal')",
    ]


def test_a_drafted_pdf_is_one_revision(project: Path, cli: Callable[..., Run]) -> None:
    data = draft_fixture(cli, project, "pdf").read_bytes()
    assert [(r.start, r.end) for r in revisions(data)] == [(0, len(data))]


def test_pdf_rewritten_whole_with_the_same_text_exits_3(
    project: Path, cli: Callable[..., Run]
) -> None:
    from pypdf import PdfWriter

    pdf = draft_fixture(cli, project, "pdf")
    rewritten = project / "out" / "rewritten.pdf"
    PdfWriter(clone_from=pdf).write(rewritten)
    assert rewritten.read_bytes() != pdf.read_bytes()
    result = verify_fixture(cli, project, rewritten)
    assert (result.exit_code, result.stdout.splitlines()) == (
        3,
        [f"{rewritten}: the text is identical; the file differs (re-saved by another program)"],
    ), result.stderr


def test_docx_with_an_edited_clause_exits_1_naming_the_clause_and_words(
    health_docx: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        assert data.count(b"is 150 per cent") == 1
        return data.replace(b"is 150 per cent", b"is 100 per cent")

    edited = rezip(health_docx, tmp_path / "edited.docx", edit)
    result = cli("verify", edited)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{edited}: does not match a fresh draft",
        '  clause 10.2 Limitation of Liability (liability-cap-mutual): "150" is now "100" '
        'after "of each Party is"',
    ]


def test_docx_rezipped_unchanged_exits_3(
    health_docx: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    same = rezip(health_docx, tmp_path / "same.docx", lambda name, data: data, stored=True)
    assert same.read_bytes() != health_docx.read_bytes()  # not compressed
    assert cli("verify", health_docx).exit_code == 0
    assert cli("verify", same).exit_code == 3


@pytest.mark.realclient
def test_docx_resaved_by_libreoffice_exits_3(
    health_docx: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    out = tmp_path / "resaved"
    libreoffice_convert([health_docx], "docx", out, tmp_path / "lo-profile", timeout=300)
    resaved = out / health_docx.name
    result = cli("verify", resaved)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        f"{resaved}: the text is identical; the file differs (re-saved by another program)"
    )


def test_verify_help_documents_the_exit_codes(cli: Callable[..., Run]) -> None:
    text = cli("verify", "--help").stdout
    for code in ("0  identical bytes", "3  the text of every clause is identical", "1  the text"):
        assert code in text


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in files.items():
            package.writestr(name, data)
    return buffer.getvalue()


MANIFEST_NS = b"urn:procuregen:manifest:1"
# A manifest complete but for its library id, which is a path.
PATH_AS_LIBRARY = {
    "manifest_format": 1,
    "procuregen": "0.1.0",
    "document": "call-off",
    "spec": {"name": "a", "sha256": "0" * 64, "resolved_sha256": "0" * 64},
    "library": {"id": "../../etc", "title": "t", "version": "1", "license": "MIT"},
    "template": {"id": "default", "sha256": "0" * 64},
    "clauses": [],
    "approval_checklist": [],
}


def _docx_with_manifest(manifest: bytes) -> bytes:
    item = (
        b'<procuregen xmlns="' + MANIFEST_NS + b'"><manifest>' + manifest + b"</manifest>"
        b"<spec>{}</spec></procuregen>"
    )
    return _zip({"word/document.xml": b"<x/>", "customXml/item1.xml": item})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a DOCX or PDF drafted by procuregen"),
        (b"hello", "not a DOCX or PDF drafted by procuregen"),
        (b"%PDF-1.7\n%%EOF\n", "cannot read the document (PdfReadError"),
        (b"%PDF-1.7\n1 0 obj\n<< /Prev 9999999 >>\nstartxref\n9\n%%EOF\nxx", "cannot read"),
        (b"PK\x03\x04 not really a zip", "not a zip package (DOCX)"),
        (_zip({"word/document.xml": b"<x/>"}), "no procuregen manifest found"),
        (_docx_with_manifest(b"[1, 2]"), "manifest: Input should be a valid dictionary"),
        (
            _docx_with_manifest(json.dumps(PATH_AS_LIBRARY).encode()),
            "manifest.library.id: '../../etc' is not a library id",
        ),
        (_docx_with_manifest(b"{not json"), "manifest: not JSON"),
    ],
)
def test_malformed_documents_give_one_located_message(
    tmp_path: Path, cli: Callable[..., Run], content: bytes, message: str
) -> None:
    document = tmp_path / "document.bin"
    document.write_bytes(content)
    result = cli("verify", document)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{document}: "), result.stderr
    assert message in lines[0]


def test_a_truncated_pdf_is_not_verifiable(project: Path, cli: Callable[..., Run]) -> None:
    pdf = draft_fixture(cli, project, "pdf")
    truncated = project / "out" / "truncated.pdf"
    truncated.write_bytes(pdf.read_bytes()[: len(pdf.read_bytes()) // 2])
    result = verify_fixture(cli, project, truncated)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{truncated}: ")
    assert "Traceback" not in result.stderr


def test_word_changes_name_the_words() -> None:
    assert word_changes("a b c d", "a b x d") == ['"c" is now "x" after "a b"']
    assert word_changes("a b", "a b c") == ['"c" was added after "a b"']
    assert word_changes("a b c", "b c") == ['"a" was removed at the start']
