"""`procuregen clauses`: the legal team's view of a clause library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from procuregen.commands.options import json_option, library_option
from procuregen.commands.site import site_command

if TYPE_CHECKING:
    from procuregen.library import Library


def _library(library_dir: Path | None) -> Library:
    from procuregen.library import library_path, load_library

    return load_library(library_path(None, library_dir))


@click.group("clauses")
def group() -> None:
    """List, show, lint and review the clauses of a library."""


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
@click.option(
    "--since",
    "since",
    metavar="REV",
    help="Also report every clause changed since this git revision without a version bump.",
)
def lint_command(library_dir: Path | None, as_json: bool, since: str | None) -> None:
    """Check a library (--library, else the one in this folder, else the bundled one); exit 1
    on errors, 0 when there are warnings only. Always names the library it checked."""
    from procuregen.history import changed_without_bump
    from procuregen.lint import lint_library, lint_root

    root = lint_root(library_dir, Path.cwd())
    findings = lint_library(root)
    if since is not None:
        findings = sorted(
            {*findings, *changed_without_bump(root, since)},
            key=lambda f: (f.location, f.message),
        )
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    clauses = sum(1 for p in root.rglob("*.md") if p.name.count(".") == 1)
    summary = (
        f"{root}: {clauses} clauses, {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}"
    )
    if as_json:
        report = {
            "library": str(root),
            "clauses": clauses,
            "findings": [
                {
                    "severity": f.severity,
                    "file": f.location.file,
                    "line": f.location.line,
                    "column": f.location.column,
                    "message": f.message,
                }
                for f in findings
            ],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(str(finding), err=True)
        click.echo(summary)
    if errors:
        raise SystemExit(1)


group.add_command(site_command)
