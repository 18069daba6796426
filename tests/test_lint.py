"""`clauses lint`: a clean library gives nothing; each defect gives exactly one finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
        " aliases, requires, conflicts, defines, source)",
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
