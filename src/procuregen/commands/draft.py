"""`procuregen draft`: specs to DOCX and PDF agreements."""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.commands.options import echo_warnings, library_option, strict_option
from procuregen.errors import Problem, ProcuregenError, sorted_problems


@click.command("draft")
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default="the current folder",
    help="Folder to write the documents into.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["docx", "pdf"]),
    multiple=True,
    help="Draft only this format (repeatable); default: the spec's output.formats.",
)
@library_option
@click.option("--force", is_flag=True, help="Replace existing outputs.")
@click.option("--manifest", "write_manifest", is_flag=True, help="Also write NAME.manifest.json.")
@strict_option
def command(
    specs: tuple[Path, ...],
    out_dir: Path,
    formats: tuple[str, ...],
    library_dir: Path | None,
    force: bool,
    write_manifest: bool,
    strict: bool,
) -> None:
    """Draft the agreement of each SPEC as DOCX and PDF; a failed spec writes nothing."""
    from procuregen.api import draft

    if not out_dir.is_dir():
        raise click.UsageError(f"-o {out_dir}: no such folder")
    problems: list[Problem] = []
    for spec in specs:
        try:
            written, warnings = draft(
                spec,
                out_dir=out_dir,
                formats=formats or None,
                library_dir=library_dir,
                force=force,
                write_manifest=write_manifest,
                strict=strict,
            )
        except ProcuregenError as error:
            problems.extend(error.problems)
        else:
            echo_warnings(warnings)
            for path in written:
                click.echo(f"wrote {path}")
    if problems:
        raise ProcuregenError(sorted_problems(problems))
