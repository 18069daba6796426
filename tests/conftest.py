"""Shared fixtures: fixture trees written into tmp_path, and the CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from procuregen.agreement import Agreement, Block, Definitions, ItemList, Paragraph
from procuregen.agreement import Run as TextRun
from procuregen.cli import cli as procuregen_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SHARED_DATA = ROOT.parent / "shared" / "data"


def libreoffice_convert(
    documents: list[Path], to: str, out: Path, profile: Path, timeout: int = 600
) -> None:
    """Convert documents with headless LibreOffice (a private profile, so runs do not clash)."""
    import subprocess

    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            *map(str, documents),
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
    )


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `{relative path: text}` under root and return root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture(scope="session", autouse=True)
def private_code_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled templates cache in a folder of this test session, not the user's."""
    import os

    folder = tmp_path_factory.mktemp("code-cache") / "templates"
    os.environ["PROCUREGEN_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    return lambda files: write_tree(tmp_path, files)


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run `procuregen ARGS...` in-process and return exit code, stdout and stderr."""

    def run(*args: str | Path) -> Run:
        result = CliRunner().invoke(procuregen_cli, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def runs_text(runs: tuple[TextRun, ...]) -> str:
    return "".join(run.text for run in runs)


def block_text(block: Block) -> str:
    """The printed text of one block of the document model."""
    if isinstance(block, Paragraph):
        return runs_text(block.runs)
    if isinstance(block, ItemList):
        return "\n".join(
            f"{item.label} {runs_text(item.runs)}"
            + (f"\n{block_text(item.sublist)}" if item.sublist else "")
            for item in block.items
        )
    if isinstance(block, Definitions):
        return "\n".join(f"\u201c{d.term}\u201d {runs_text(d.runs)}" for d in block.entries)
    return "\n".join(
        " | ".join(runs_text(cell) for cell in row) for row in (block.header, *block.rows)
    )


def agreement_text(agreement: Agreement) -> str:
    """Every heading and block of an agreement, body and schedules, as plain text."""
    lines: list[str] = []
    for section in (*agreement.sections, *agreement.schedules):
        lines.append(section.heading)
        parts = (
            (section.heading, section.clauses),
            *((t.heading, t.clauses) for t in section.terms),
        )
        for _, clauses in parts:
            for clause in clauses:
                lines.append(clause.heading)
                lines.extend(block_text(b) for b in clause.blocks)
    return "\n".join(lines)


@dataclass(frozen=True)
class Drafted:
    agreement: Agreement
    docx: Path
    pdf: Path
    stderr: str


@pytest.fixture(scope="session")
def drafted_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Drafted]:
    """Each example drafted once for the whole run: its Agreement, DOCX, PDF and warnings."""
    from procuregen.api import build

    out = tmp_path_factory.mktemp("drafted")
    result = CliRunner().invoke(procuregen_cli, ["draft", *map(str, EXAMPLES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    drafted = {}
    for example in EXAMPLES:
        agreement = build(example)[2]
        name = agreement.spec.output.name
        drafted[example.stem] = Drafted(
            agreement, out / f"{name}.docx", out / f"{name}.pdf", result.stderr
        )
    return drafted
