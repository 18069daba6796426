"""Every example drafted and opened by real programs: LibreOffice, poppler, qpdf, python-docx."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from procuregen.agreement import Agreement
from tests.conftest import EXAMPLES, Drafted, Run, libreoffice_convert

pytestmark = pytest.mark.realclient


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def drafted(drafted_examples: dict[str, Drafted]) -> dict[str, tuple[Agreement, Path, Path]]:
    """Each example drafted once: its Agreement, DOCX and PDF."""
    return {name: (d.agreement, d.docx, d.pdf) for name, d in drafted_examples.items()}


@pytest.fixture(scope="module")
def libreoffice_pdfs(
    drafted: dict[str, tuple[Agreement, Path, Path]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Every drafted DOCX converted to PDF by LibreOffice, in one run."""
    out = tmp_path_factory.mktemp("libreoffice")
    profile = tmp_path_factory.mktemp("lo-profile")
    libreoffice_convert([d for _, d, _ in drafted.values()], "pdf", out, profile)
    return out


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def headings(agreement: Agreement) -> list[str]:
    """Level 1 and 2 headings in order: sections and schedules, their clauses, and the
    sections of the terms a schedule embeds."""
    return [
        h
        for s in (*agreement.sections, *agreement.schedules)
        for h in (s.heading, *(c.heading for c in s.clauses), *(t.heading for t in s.terms))
    ]


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_our_pdf_has_every_heading_and_every_party(
    drafted: dict[str, tuple[Agreement, Path, Path]], example: str
) -> None:
    agreement, _, pdf = drafted[example]
    text = words(pdf_text(pdf))
    for heading in headings(agreement):
        assert heading in text
    spec = agreement.spec
    assert spec.buyer.name in text
    assert spec.supplier_list
    for supplier in spec.supplier_list:
        assert supplier.name in text


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_our_pdf_passes_qpdf_and_carries_its_attachments(
    drafted: dict[str, tuple[Agreement, Path, Path]], example: str
) -> None:
    _, _, pdf = drafted[example]
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    listing = subprocess.run(
        ["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert listing.splitlines() == ["2 embedded files", "1: manifest.json", "2: spec.resolved.json"]


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_python_docx_reads_the_agreements_headings(
    drafted: dict[str, tuple[Agreement, Path, Path]], example: str
) -> None:
    agreement, document, _ = drafted[example]
    word = docx.Document(str(document))
    paragraphs = list(word.paragraphs)
    if agreement.parallel is not None:  # bilingual: each pair is a table row; read the left
        paragraphs += [p for table in word.tables for p in table.rows[0].cells[0].paragraphs]
    found = [p.text for p in paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    expected = headings(agreement)
    assert sorted(found) == sorted(expected) if agreement.parallel else found == expected


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_libreoffice_opens_and_converts_our_docx(
    drafted: dict[str, tuple[Agreement, Path, Path]], libreoffice_pdfs: Path, example: str
) -> None:
    agreement, document, _ = drafted[example]
    converted = libreoffice_pdfs / f"{document.stem}.pdf"
    info = subprocess.run(
        ["pdfinfo", str(converted)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert pages > 0
    text = words(pdf_text(converted))
    assert agreement.spec.buyer.name in text
    assert headings(agreement)[-1] in text


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_verify_passes_on_every_drafted_document(
    drafted: dict[str, tuple[Agreement, Path, Path]], example: str, cli: Callable[..., Run]
) -> None:
    _, document, pdf = drafted[example]
    for path in (document, pdf):
        result = cli("verify", path)
        assert result.exit_code == 0, result.stderr
