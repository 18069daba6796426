"""`procuregen diff`: two library versions, git revisions, two drafted agreements."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from lxml import etree

from procuregen.cli import ProcuregenGroup
from procuregen.commands import diff
from tests.conftest import Run, libreoffice_convert, write_tree
from tests.libraries import base_library, clause
from tests.specs import VALID, edit

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@click.group(cls=ProcuregenGroup)
def cli_with_diff() -> None:
    """The CLI's error handling around the diff command, until cli.py registers it."""


cli_with_diff.add_command(diff.command)


def run(*args: str | Path) -> Run:
    result = CliRunner().invoke(cli_with_diff, ["diff", *map(str, args)], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def version_two() -> dict[str, str]:
    """The fixture library with one clause added, one removed, one reworded and one whose
    condition changed."""
    files = base_library()
    del files["lib/commercial/price-review.md"]
    files.update(
        [
            clause(
                "warranty",
                "general",
                "The [[Supplier]] warrants the software for twelve months.\n",
                order=40,
            ),
            clause(
                "payment",
                "commercial",
                "The [[Buyer]] pays {{ value.amount | money }} within {{ value.payment_days }} "
                "days of receiving a correct invoice.\n\n"
                "1. Invoices name the reference {{ agreement.reference }}.\n"
                "2. Each invoice lists the [[Deliverable|Deliverables]].\n",
                order=10,
                version="1.1.0",
            ),
            clause(
                "data-processing",
                "data",
                "The [[Supplier]] processes [[Personal Data]] of these categories: "
                "{{ data.categories | and_list }}.\n",
                when="data.personal_data and 'development' in services",
                version="1.1.0",
                defines={"Personal Data": "has the meaning given in Article 4(1) of the GDPR."},
            ),
        ]
    )
    return files


@pytest.fixture
def libraries(tmp_path: Path) -> tuple[Path, Path]:
    write_tree(tmp_path / "v1", base_library())
    write_tree(tmp_path / "v2", version_two())
    return tmp_path / "v1" / "lib", tmp_path / "v2" / "lib"


def expected_report(a: str, b: str) -> str:
    return f"""\
Comparing two libraries
A: {a} (test-library 2026.1)
B: {b} (test-library 2026.1)

added warranty: Warranty (general)
  added in section general, order 40: version 1.0.0, approved
  body:
    {{+The [[Supplier]] warrants the software for twelve months.+}}

changed data-processing: Data processing (data)
  version 1.0.0 → 1.1.0
  condition data.personal_data → data.personal_data and 'development' in services

changed payment: Payment (commercial)
  version 1.0.0 → 1.1.0
  body:
    The [[Buyer]] pays {{{{ value.amount | money }}}} within {{{{ value.payment_days }}}} \
days{{+ of receiving a correct invoice+}}.

removed price-review: Price review (commercial)
  removed from section commercial: was version 1.0.0, draft
  body:
    [-Prices are reviewed each year.-]

1 added, 1 removed, 0 moved, 0 renumbered, 2 changed; 9 unchanged
"""


def test_two_library_versions_as_text(libraries: tuple[Path, Path]) -> None:
    a, b = libraries
    result = run(a, b)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected_report(str(a), str(b))


def test_moved_renumbered_slot_requires_and_translation_in_plain_words(tmp_path: Path) -> None:
    files = base_library()
    files["lib/library.yaml"] = files["lib/library.yaml"].replace(
        "languages: [en]", "languages: [en, sv]"
    )
    files["lib/glossary.sv.yaml"] = "Supplier: Leverantören\n"
    files["lib/general/scope.sv.md"] = "---\ntranslates: 1.0.0\ntitle: Omfattning\n---\nGammal.\n"
    changed = dict(files)
    del changed["lib/general/scope.md"]
    del changed["lib/general/scope.sv.md"]
    changed.update(
        [
            clause(
                "scope",
                "commercial",
                "The [[Supplier]] shall deliver {{ software.name }} to the [[Buyer]] under "
                "[[#payment]].\n",
                order=25,
                requires=["payment", "definitions"],
                version="2.0.0",
                slot="scope",
                default=True,
            )
        ]
    )
    changed["lib/commercial/scope.sv.md"] = "---\ntranslates: 2.0.0\ntitle: Omfattning\n---\nNy.\n"
    write_tree(tmp_path / "a", files)
    write_tree(tmp_path / "b", changed)
    result = run(tmp_path / "a" / "lib", tmp_path / "b" / "lib")
    assert result.exit_code == 0, result.stderr
    block = result.stdout.split("\n\n")[1]
    assert block == (
        "moved, renumbered, changed scope: Scope (commercial)\n"
        "  moved from section general to commercial\n"
        "  order 20 → 25\n"
        "  version 1.0.0 → 2.0.0\n"
        "  now a position of slot scope, its default\n"
        "  now requires definitions\n"
        "  translation (sv) translates version 1.0.0 → 2.0.0\n"
        "  body (sv):\n"
        "    [-Gammal-]{+Ny+}."
    )


def test_docx_redline_holds_exactly_the_expected_tracked_changes(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = libraries
    out = tmp_path / "redline.docx"
    result = run(a, b, "--format", "docx", "-o", out)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    insertions = body.findall(f".//{W}ins")
    deletions = body.findall(f".//{W}del")
    assert ["".join(i.itertext()) for i in insertions] == [
        "The [[Supplier]] warrants the software for twelve months.",
        " of receiving a correct invoice",
    ]
    assert ["".join(d.itertext()) for d in deletions] == ["Prices are reviewed each year."]
    assert all(d.find(f"{W}r/{W}delText") is not None for d in deletions)
    assert not body.findall(f".//{W}del//{W}t")
    for change in (*insertions, *deletions):
        assert change.get(f"{W}author") == "procuregen"
        assert change.get(f"{W}date") == "2000-01-01T00:00:00Z"
    ids = [c.get(f"{W}id") for c in body.iter(f"{W}ins", f"{W}del")]
    assert ids == ["1", "2", "3"]
    again = tmp_path / "again.docx"
    assert run(a, b, "--format", "docx", "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.realclient
def test_libreoffice_opens_the_redline_and_shows_the_insertion(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = libraries
    out = tmp_path / "redline.docx"
    assert run(a, b, "--format", "docx", "-o", out).exit_code == 0
    libreoffice_convert([out], "pdf", tmp_path / "pdf", tmp_path / "lo-profile", timeout=300)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "pdf" / "redline.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = re.sub(r"\s+", " ", text)
    assert "of receiving a correct invoice" in words
    assert "warrants the software for twelve months" in words


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_git_revisions_are_read_without_touching_the_work_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(repo, base_library())
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    for name in list(base_library()):
        (repo / name).unlink()
    write_tree(repo, version_two())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    (repo / "lib" / "general" / "scope.md").write_text("not a clause any more\n")
    result = run("git:HEAD~1", "git:HEAD", "--library", repo / "lib")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected_report("git:HEAD~1", "git:HEAD")
    assert (repo / "lib" / "general" / "scope.md").read_text() == "not a clause any more\n"
    assert git(repo, "rev-parse", "HEAD~0") == git(repo, "rev-parse", "HEAD")
    missing = run("git:no-such-rev", "git:HEAD", "--library", repo / "lib")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("git:no-such-rev: git rev-parse: no such revision")
    assert run("git:HEAD", "git:HEAD~1").stderr.startswith(
        "git:HEAD: a git revision needs --library DIR"
    )


def test_a_broken_revision_is_located_in_the_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files = base_library()
    files["lib/general/scope.md"] = files["lib/general/scope.md"].replace("version", "versio")
    write_tree(repo, files)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "broken")
    result = run("git:HEAD", repo / "lib", "--library", repo / "lib")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # the work tree and the revision, both reported in one run
    assert any(line.startswith(f"{repo / 'lib' / 'general' / 'scope.md'}:2:1:") for line in lines)
    assert any(line.startswith("git:HEAD:general/scope.md:2:1:") for line in lines)
    assert "Traceback" not in result.stderr


def draft(tmp_path: Path, name: str, spec: str) -> Path:
    """The spec drafted as agency.docx and agency.pdf in tmp_path/name."""
    from procuregen.cli import cli

    folder = write_tree(tmp_path / name, {**base_library(), "agency.yaml": spec})
    arguments = ["draft", folder / "agency.yaml", "--library", folder / "lib", "-o", folder]
    result = CliRunner().invoke(cli, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_two_agreements_name_the_changed_clause_and_spec_value(tmp_path: Path, kind: str) -> None:
    first = draft(tmp_path, "first", VALID)
    second = draft(tmp_path, "second", edit("amount: 480000", "amount: 500000"))
    result = run(first / f"agency.{kind}", second / f"agency.{kind}")
    assert result.exit_code == 0, result.stderr
    assert "Spec values that differ:\n  value.amount: 480000 → 500000\n" in result.stdout
    assert "\nchanged payment: Payment (2.1)\n  text:\n" in result.stdout
    assert "The Buyer pays EUR [-480,000.00-]{+500,000.00+} within 30 days." in result.stdout
    assert result.stdout.endswith(
        "0 added, 0 removed, 0 moved, 0 renumbered, 1 changed; 4 unchanged; 1 spec value differs\n"
    )


def test_an_agreement_and_a_library_are_not_compared(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = run(libraries[0], tmp_path / "notes.txt")
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"{tmp_path / 'notes.txt'}: neither a library folder nor a drafted DOCX or PDF\n"
    )
    assert run(libraries[0], tmp_path / "nothing").stderr.endswith(": no such folder or file\n")


def test_html_is_one_file_with_nothing_external_and_escapes_clause_text(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = libraries
    payment = b / "commercial" / "payment.md"
    payment.write_text(
        payment.read_text().replace(
            "correct invoice.",
            'correct invoice. <script src="https://x.test/a.js">alert(1)</script>',
        )
    )
    out = tmp_path / "report.html"
    result = run(a, b, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "<script" not in html
    assert "&lt;script src=&quot;https://x.test/a.js&quot;&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<[^>]*\s(src|href)=", html)
    assert "<ins>" in html and "<del>" in html
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".html"] == ["report.html"]


def test_output_never_overwrites_and_a_failure_writes_nothing(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = libraries
    out = tmp_path / "report.txt"
    out.write_text("keep me")
    refused = run(a, b, "-o", out)
    assert refused.exit_code == 1
    assert refused.stderr == f"{out}: already exists; not overwritten\n"
    assert out.read_text() == "keep me"
    target = tmp_path / "new.txt"
    failed = run(a, tmp_path / "missing", "-o", target)
    assert failed.exit_code == 1
    assert not target.exists()
    assert run(a, b, "--format", "docx").exit_code == 2
    written = run(a, b, "-o", target)
    assert written.exit_code == 0
    assert target.read_text() == expected_report(str(a), str(b))


def test_identical_libraries(libraries: tuple[Path, Path]) -> None:
    a, _ = libraries
    result = run(a, a)
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "No differences.\n0 added, 0 removed, 0 moved, 0 renumbered, 0 changed; 12 unchanged\n"
    )


def test_docx_is_readable_by_python_docx(libraries: tuple[Path, Path], tmp_path: Path) -> None:
    import docx

    a, b = libraries
    out = tmp_path / "r.docx"
    assert run(a, b, "--format", "docx", "-o", out).exit_code == 0
    document = docx.Document(io.BytesIO(out.read_bytes()))
    assert document.paragraphs[0].text == "Comparison of two libraries"
