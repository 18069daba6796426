"""`clauses lint`: a clean library gives nothing; each defect gives exactly one finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from procuregen.lint import lint_library
from tests.conftest import Run, write_tree
from tests.libraries import base_library, clause


def findings(tmp_path: Path, files: dict[str, str]) -> list[str]:
    write_tree(tmp_path, files)
    return [str(f).replace(f"{tmp_path}/", "") for f in lint_library(tmp_path / "lib")]


def test_the_fixture_library_is_clean(tmp_path: Path) -> None:
    assert findings(tmp_path, base_library()) == []


DEFECTS = dict(
    [
        clause("bad-front", "general", "Text.\n", colour="blue"),
        clause("nowhere", "ghost-section", "Text.\n"),
        clause("needs-ghost", "general", "Text.\n", requires=["ghost"]),
        clause("points-nowhere", "general", "See [[#ghost]].\n"),
        clause("two-a", "commercial", "A.\n", slot="twin", default=True),
        clause("two-b", "commercial", "B.\n", slot="twin", default=True),
        clause("undefined-term", "general", "The [[Ghost Term]] applies.\n"),
        clause("unused-definition", "general", "Text.\n", defines={"Orphan": "means nothing."}),
        clause("unreachable", "unused", "Text.\n"),
        clause("bad-jinja", "general", "Line.\n{% if buyer.name %}unclosed\n"),
        clause("bad-field", "general", "Line.\n\n{{ buyer.nmae }}\n"),
        clause("bad-condition", "general", "Text.\n", when="data.personal_dta"),
        clause("heading", "general", "Intro.\n\n## Heading\n"),
        clause("misfiled", "data", "Text.\n"),
        clause("joined", "general", "{% if buyer.name %}\nShown {% endif %}\nnext line.\n"),
    ]
)
DEFECTS["lib/general/dup-id.md"] = clause("payment", "general", "Twin.\n")[1].replace(
    "id: payment", "id: dup-id"
)
DEFECTS["lib/data/dup-id.md"] = DEFECTS["lib/general/dup-id.md"].replace(
    "section: general", "section: data"
)
DEFECTS["lib/general/misfiled.md"] = DEFECTS.pop("lib/data/misfiled.md")


def test_each_defect_gives_exactly_one_finding(tmp_path: Path) -> None:
    assert findings(tmp_path, {**base_library(), **DEFECTS}) == [
        "lib/commercial/two-a.md:10:7: error: slot 'twin' needs exactly one default position;"
        " it has 2 (two-a, two-b)",
        "lib/general/bad-condition.md:10:7: error: when: data.personal_dta is not a field of the"
        " spec",
        "lib/general/bad-field.md:13: error: template: buyer.nmae is not a field of the spec",
        "lib/general/bad-front.md:10:1: error: colour: unknown field (expected one of: id, title,"
        " version, status, section, order, documents, when, mandatory, optional, slot, default,"
        " aliases, needs_approval, approved_by, approved_on, approved_version, requires, conflicts,"
        " defines, source)",
        "lib/general/bad-jinja.md:12: error: template: Unexpected end of template. Jinja was"
        " looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that"
        " needs to be closed is 'if'.",
        "lib/general/dup-id.md:2:5: error: id: 'dup-id' is also the id of lib/data/dup-id.md",
        "lib/general/heading.md:13: error: headings are not allowed in a clause body (the clause"
        " title is its heading)",
        "lib/general/joined.md:12: warning: a block tag ends this line after text, so the next"
        " line is joined to it; put the tag on a line of its own",
        "lib/general/misfiled.md:6:10: error: section: 'data', but the file is in folder 'general'",
        "lib/general/needs-ghost.md:11:3: error: requires: no clause 'ghost'",
        "lib/general/points-nowhere.md:11: error: [[#ghost]]: no such clause or schedule",
        "lib/general/undefined-term.md:11: error: [[Ghost Term]]: no clause defines this term",
        "lib/general/unused-definition.md:11:11: warning: defines: 'Orphan' is never used",
        "lib/ghost-section/nowhere.md:6:10: error: section: 'ghost-section' is not a section of"
        " library 'test-library'",
        "lib/unused/unreachable.md:6:10: error: no document of call-off has section 'unused':"
        " the clause can never appear",
    ]


def test_lint_command_exit_codes(tmp_path: Path, cli: Callable[..., Run]) -> None:
    write_tree(tmp_path, base_library())
    clean = cli("clauses", "lint", "--library", tmp_path / "lib")
    assert (clean.exit_code, clean.stderr) == (0, "")
    write_tree(
        tmp_path, dict([clause("orphan", "general", "Text.\n", defines={"Orphan": "means x."})])
    )
    warned = cli("clauses", "lint", "--library", tmp_path / "lib")
    assert warned.exit_code == 0
    assert warned.stderr.endswith("warning: defines: 'Orphan' is never used\n")
    write_tree(tmp_path, dict([clause("broken", "general", "{{ buyer.nmae }}\n")]))
    failed = cli("clauses", "lint", "--library", tmp_path / "lib", "--json")
    assert failed.exit_code == 1
    assert '"message": "template: buyer.nmae is not a field of the spec"' in failed.stdout


def test_nothing_outside_the_library_root_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(clause("outside", "general", "Secret.\n")[1], encoding="utf-8")
    files = base_library()
    write_tree(tmp_path, files)
    (tmp_path / "lib" / "general" / "outside.md").symlink_to(outside)
    (tmp_path / "lib" / "linked").symlink_to(tmp_path, target_is_directory=True)
    assert findings(tmp_path, {}) == [
        "lib/general/outside.md: error: is a link that leaves the library; not read",
        "lib/linked: error: a linked folder is not read; copy it in",
    ]


def test_an_unknown_filter_is_found_at_its_line(tmp_path: Path) -> None:
    files = {
        **base_library(),
        **dict([clause("f", "general", "Line.\n{{ buyer.name | nosuch }}\n")]),
    }
    assert findings(tmp_path, files) == [
        "lib/general/f.md:12: error: template: No filter named 'nosuch'."
    ]


def test_lint_names_the_library_and_lints_the_one_in_the_current_folder(
    tmp_path: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {**base_library(), **dict([clause("broken", "general", "{{ x }}\n")])})
    monkeypatch.chdir(tmp_path / "lib")
    result = cli("clauses", "lint")
    assert result.exit_code == 1, "a broken fork in the current folder is linted, not the bundled"
    assert "broken.md" in result.stderr
    assert result.stdout.strip().startswith(f"{tmp_path / 'lib'}: ")
    assert result.stdout.strip().endswith("1 error, 0 warnings")


def test_a_clause_relying_on_a_deprecated_one_is_a_finding(tmp_path: Path) -> None:
    files = {
        **base_library(),
        **dict(
            [
                clause("legacy", "general", "Old text.\n", status="deprecated", order=90),
                clause("user", "general", "See [[#legacy]].\n", requires=["legacy"], order=91),
            ]
        ),
    }
    found = findings(tmp_path, files)
    assert (
        "lib/general/user.md:11:3: error: requires: user relies on legacy, which is deprecated"
        in found
    )
    assert (
        "lib/general/user.md:14: error: [[#legacy]]: user relies on legacy, which is deprecated"
        in found
    )


def test_a_broken_front_matter_does_not_hide_the_body_findings(tmp_path: Path) -> None:
    files = {**base_library(), "lib/general/bad.md": "---\nid: bad\ncolour: red\n---\n{% if %}\n"}
    found = findings(tmp_path, files)
    assert any(f.startswith("lib/general/bad.md:5: error: template:") for f in found), found
    assert any("colour: unknown field" in f for f in found)


def test_since_reports_a_clause_changed_without_a_version_bump(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    import subprocess

    write_tree(tmp_path, base_library())

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "library")
    scope = tmp_path / "lib" / "general" / "scope.md"
    scope.write_text(scope.read_text("utf-8") + "A new sentence.\n", encoding="utf-8")
    result = cli("clauses", "lint", "--library", tmp_path / "lib", "--since", "HEAD")
    assert result.exit_code == 1
    assert (
        f"{scope}:4:10: error: version: scope changed since HEAD but is still 1.0.0; raise it"
    ) in result.stderr
