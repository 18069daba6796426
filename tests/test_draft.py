"""Drafting: DOCX and PDF show the same agreement, deterministically, written safely."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from procuregen.api import build
from procuregen.errors import RenderError
from procuregen.manifest import Template
from procuregen.render.pdf import render_pdf
from tests.conftest import Run, write_tree
from tests.libraries import base_library
from tests.specs import VALID, edit


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fixture library, a spec named agency.yaml and an empty out/ folder."""
    write_tree(tmp_path, {**base_library(), "agency.yaml": VALID})
    (tmp_path / "out").mkdir()
    return tmp_path


def draft(cli: Callable[..., Run], project: Path, *args: str | Path) -> Run:
    return cli(
        "draft", project / "agency.yaml", "--library", project / "lib", "-o", project / "out", *args
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_docx_and_pdf_show_the_agreements_headings_and_parties(
    project: Path, cli: Callable[..., Run]
) -> None:
    result = draft(cli, project)
    assert result.exit_code == 0, result.stderr
    out = project / "out"
    assert sorted(p.name for p in out.iterdir()) == ["agency.docx", "agency.pdf"]
    _, _, agreement, _ = build(project / "agency.yaml", library_dir=project / "lib")
    expected = [h for s in agreement.sections for h in (s.heading, *(c.heading for c in s.clauses))]
    document = docx.Document(str(out / "agency.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert headings == expected  # no price items in this spec: no schedule
    body = "\n".join(p.text for p in document.paragraphs)
    text = pdf_text(out / "agency.pdf")
    for heading in expected:
        assert heading in text
    for line in (
        "The Buyer pays EUR 480,000.00 within 30 days.",
        "(a)\tInvoices name the reference KS-1.",
    ):
        assert line in body
    assert "The Buyer pays EUR 480,000.00 within 30 days." in text
    for name in ("Exampleby Municipality", "Supplier AB"):
        assert name in body and name in text
    assert "“Supplier” means Supplier AB, the supplier to the Buyer." in body
    assert "“Supplier” means Supplier AB, the supplier to the Buyer." in text


def test_drafting_twice_gives_identical_bytes(project: Path, cli: Callable[..., Run]) -> None:
    assert draft(cli, project).exit_code == 0
    first = {p.name: p.read_bytes() for p in (project / "out").iterdir()}
    assert draft(cli, project, "--force").exit_code == 0
    second = {p.name: p.read_bytes() for p in (project / "out").iterdir()}
    assert first == second


def test_pdf_is_archival_with_attachments(project: Path, cli: Callable[..., Run]) -> None:
    assert draft(cli, project, "--format", "pdf").exit_code == 0
    pdf = project / "out" / "agency.pdf"
    assert [p.name for p in (project / "out").iterdir()] == ["agency.pdf"]
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listing = subprocess.run(
        ["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert listing.splitlines() == ["2 embedded files", "1: manifest.json", "2: spec.resolved.json"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    from pypdf import PdfReader

    metadata = PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3" pdfaid:conformance="B"' in metadata  # PDF/A-3b
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded


def test_manifest_names_every_clause_and_the_outputs(
    project: Path, cli: Callable[..., Run]
) -> None:
    assert draft(cli, project, "--manifest").exit_code == 0
    manifest = json.loads((project / "out" / "agency.manifest.json").read_text())
    assert [c["id"] for c in manifest["clauses"]] == [
        "definitions",
        "scope",
        "payment",
        "liability-cap-mutual",
        "disputes-courts",
    ]
    assert {c["status"] for c in manifest["clauses"]} == {"approved"}
    assert manifest["library"] == {
        "id": "test-library",
        "license": "CC-BY-4.0",
        "title": "Test Library",
        "version": "2026.1",
    }
    import hashlib

    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((project / "out" / name).read_bytes()).hexdigest() == digest
    clause_file = project / "lib" / "general" / "scope.md"
    assert manifest["clauses"][1]["sha256"] == hashlib.sha256(clause_file.read_bytes()).hexdigest()


def test_verify_passes_then_names_the_edited_clause(project: Path, cli: Callable[..., Run]) -> None:
    assert draft(cli, project).exit_code == 0
    for name in ("agency.docx", "agency.pdf"):
        result = cli("verify", project / "out" / name, "--library", project / "lib")
        assert (result.exit_code, result.stdout) == (
            0,
            f"{project / 'out' / name}: verified, identical to a fresh draft\n",
        )
    clause_file = project / "lib" / "commercial" / "payment.md"
    clause_file.write_text(clause_file.read_text().replace("pays", "shall pay"))
    for name in ("agency.docx", "agency.pdf"):
        result = cli("verify", project / "out" / name, "--library", project / "lib")
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"{project / 'out' / name}: does not match a fresh draft",
            "  clause payment changed: version 1.0.0 is now 1.0.0, and its text differs",
        ]


def test_existing_output_needs_force(project: Path, cli: Callable[..., Run]) -> None:
    existing = project / "out" / "agency.pdf"
    existing.write_bytes(b"keep me")
    result = draft(cli, project)
    assert result.exit_code == 1
    assert result.stderr == f"{existing}: already exists; use --force to replace it\n"
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in (project / "out").iterdir()) == ["agency.pdf"]
    assert draft(cli, project, "--force").exit_code == 0
    assert existing.read_bytes().startswith(b"%PDF")


def test_symlink_at_the_output_path_is_refused(project: Path, cli: Callable[..., Run]) -> None:
    target = project / "elsewhere.txt"
    target.write_text("not yours")
    (project / "out" / "agency.docx").symlink_to(target)
    result = draft(cli, project, "--force")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{project / 'out' / 'agency.docx'}: is a symbolic link; refusing to write through it\n"
    )
    assert target.read_text() == "not yours"
    assert not (project / "out" / "agency.pdf").exists()


def test_a_failed_draft_writes_nothing(project: Path, cli: Callable[..., Run]) -> None:
    (project / "agency.yaml").write_text(edit("  name: CaseFlow\n", ""), encoding="utf-8")
    result = draft(cli, project)
    assert result.exit_code == 1
    assert "software.name: required unless software.publiccode supplies it" in result.stderr
    assert list((project / "out").iterdir()) == []


@pytest.mark.parametrize(
    "resource",
    [
        '<img src="http://127.0.0.1:9/x.png">',
        '<img src="file:///etc/hostname">',
        '<link rel="stylesheet" href="../outside.css">',
    ],
)
def test_pdf_fetches_nothing_outside_the_template(tmp_path: Path, resource: str) -> None:
    write_tree(tmp_path, {"outside.css": "p { color: red }", "tpl/agreement.css": ""})
    with pytest.raises(RenderError) as caught:
        render_pdf(
            f"<html><body><p>x</p>{resource}</body></html>",
            Template("t", tmp_path / "tpl"),
            date=__import__("datetime").date(2027, 1, 1),
            attachments=[],
        )
    assert "refused to fetch" in str(caught.value)


def test_the_word_template_is_what_its_build_script_makes() -> None:
    from tests.conftest import ROOT

    script = ROOT / "templates" / "default" / "build_docx_template.py"
    result = subprocess.run([__import__("sys").executable, str(script), "--check"])
    assert result.returncode == 0, "run templates/default/build_docx_template.py and commit"


def test_pdf_has_a_bookmark_for_every_section_and_clause(
    project: Path, cli: Callable[..., Run]
) -> None:
    from pypdf import PdfReader

    assert draft(cli, project, "--format", "pdf").exit_code == 0
    outline = PdfReader(project / "out" / "agency.pdf").outline
    sections = [item.title for item in outline if not isinstance(item, list)]
    clauses = [c.title for group in outline if isinstance(group, list) for c in group]
    assert sections == ["1 General", "2 Commercial", "3 Disputes"]
    assert clauses == [
        "1.1 Definitions",
        "1.2 Scope",
        "2.1 Payment",
        "2.2 Liability cap mutual",
        "3.1 Disputes courts",
    ]


def test_markup_in_spec_values_is_printed_as_text_in_both_outputs(
    project: Path, cli: Callable[..., Run]
) -> None:
    hostile = 'Acme <w:p/> & "Sons" </w:t> {{ 7*7 }}'
    (project / "agency.yaml").write_text(
        edit("  name: Supplier AB", f"  name: '{hostile}'"), encoding="utf-8"
    )
    result = draft(cli, project)
    assert result.exit_code == 0, result.stderr
    body = "\n".join(p.text for p in docx.Document(str(project / "out" / "agency.docx")).paragraphs)
    assert f"“Supplier” means {hostile}, the supplier to the Buyer." in body
    assert hostile in words(pdf_text(project / "out" / "agency.pdf"))


def words(text: str) -> str:
    return " ".join(text.split())


def test_verify_refuses_a_document_procuregen_did_not_draft(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    stranger = tmp_path / "stranger.pdf"
    stranger.write_bytes(b"%PDF-1.7\nnot really\n")
    result = cli("verify", stranger)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{stranger}: ")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = cli("verify", text)
    assert (result.exit_code, result.stderr) == (
        1,
        f"{text}: not a DOCX or PDF drafted by procuregen\n",
    )


def test_a_resource_weasyprint_cannot_load_fails_the_build(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tpl/agreement.css": "", "tpl/broken.png": b"not a picture"})
    with pytest.raises(RenderError) as caught:
        render_pdf(
            '<html><body><img src="broken.png"></body></html>',
            Template("t", tmp_path / "tpl"),
            date=__import__("datetime").date(2027, 1, 1),
            attachments=[],
        )
    assert str(caught.value).startswith(
        f"{tmp_path / 'tpl' / 'agreement.html'}: PDF: Failed to load image"
    )


def test_one_font_configuration_serves_every_pdf_of_a_template(tmp_path: Path) -> None:
    """Shared, so that a batch worker's memory stays flat; the same bytes as a fresh one."""
    from procuregen.render import pdf

    write_tree(tmp_path, {"a/agreement.css": "", "b/agreement.css": ""})
    first, other = Template("t", tmp_path / "a"), Template("t", tmp_path / "b")

    def draft_pdf(text: str, template: Template = first) -> bytes:
        html = f'<html lang="en"><body><h1>Agreement</h1><p>{text}</p></body></html>'
        date = __import__("datetime").date(2027, 1, 1)
        return render_pdf(html, template, date=date, attachments=[])

    pdf._font_configuration = None
    alone = draft_pdf("Ångström Œuvre")
    shared = pdf.font_configuration(first)
    draft_pdf("The Supplier shall deliver the Software.")
    assert draft_pdf("Ångström Œuvre") == alone
    assert pdf.font_configuration(first) is shared
    assert pdf.font_configuration(other) is not shared
    (tmp_path / "a" / "agreement.css").write_text("p { font-size: 12pt }", "utf-8")
    assert pdf.font_configuration(first) is not shared  # its stylesheet changed
