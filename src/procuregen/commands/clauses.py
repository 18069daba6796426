"""`procuregen clauses`: the legal team's view of a clause library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from procuregen.commands.options import json_option, library_option

if TYPE_CHECKING:
    from procuregen.library import Library


def _library(library_dir: Path | None) -> Library:
    from procuregen.library import library_path, load_library

    return load_library(library_path(None, library_dir))


@click.group("clauses")
def group() -> None:
    """List, show and lint the clauses of a library."""


@group.command("list")
@library_option
@json_option
def list_command(library_dir: Path | None, as_json: bool) -> None:
    """List every clause: id, version, status, section, documents, slot and condition."""
    library = _library(library_dir)
    rows = [
        {
            "id": c.id,
            "title": c.meta.title,
            "version": c.meta.version,
            "status": c.meta.status,
            "section": c.meta.section,
            "documents": list(c.meta.documents),
            "slot": c.meta.slot,
            "when": c.meta.when,
            "path": c.path,
        }
        for c in library.clauses.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{library.id} {library.meta.version}", title_justify="left")
    table.add_column("Clause", no_wrap=True)
    for column in ("Version", "Status", "Section", "Documents", "Slot", "When"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["version"]),
            str(row["status"]),
            str(row["section"]),
            ", ".join(row["documents"]),  # type: ignore[arg-type]
            str(row["slot"] or ""),
            str(row["when"] or ""),
        )
    Console(soft_wrap=False).print(table)


@group.command("show")
@click.argument("clause_id")
@library_option
def show_command(clause_id: str, library_dir: Path | None) -> None:
    """Print one clause file as it is in the library."""
    from procuregen.errors import LibraryError, Location, Problem

    library = _library(library_dir)
    clause = library.clauses.get(clause_id)
    if clause is None:
        raise LibraryError(
            Problem(Location(str(library.root)), f"no clause {clause_id!r} in {library.id}")
        )
    click.echo(f"# {clause.path}  (sha256 {clause.sha256})")
    click.echo((library.root / clause.path).read_text(encoding="utf-8"), nl=False)


@group.command("lint")
@library_option
@json_option
def lint_command(library_dir: Path | None, as_json: bool) -> None:
    """Check a library; exit 1 on errors, 0 when there are warnings only."""
    from procuregen.library import library_path
    from procuregen.lint import lint_library

    findings = lint_library(library_path(None, library_dir))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "severity": f.severity,
                        "file": f.location.file,
                        "line": f.location.line,
                        "column": f.location.column,
                        "message": f.message,
                    }
                    for f in findings
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for finding in findings:
            click.echo(str(finding), err=True)
    if any(f.severity == "error" for f in findings):
        raise SystemExit(1)
