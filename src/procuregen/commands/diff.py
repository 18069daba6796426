"""`procuregen diff`: what changed between two libraries or two drafted agreements."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "html", "docx"]),
    default="text",
    show_default=True,
    help="text and html print to stdout unless -o is given; docx needs -o.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this new file; an existing file is never overwritten.",
)
@click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The library folder in a git repository that git:REV sides read.",
)
def command(
    a: str, b: str, output_format: str, output: Path | None, library_dir: Path | None
) -> None:
    """Compare A and B: two library folders, two revisions `git:REV` of --library DIR, or
    two drafted agreements (DOCX or PDF). Reports added, removed, moved, renumbered and
    changed clauses with a word-level redline; for agreements also the spec values."""
    from procuregen.diff import compare, render

    if output_format == "docx" and output is None:
        raise click.UsageError("--format docx needs -o FILE")
    if output is not None and (output.is_symlink() or output.exists()):
        from procuregen.errors import Location, OutputError, Problem

        raise OutputError(Problem(Location(str(output)), "already exists; not overwritten"))
    report = render(compare(a, b, library_dir), output_format)
    if output is None:
        click.echo(report.decode("utf-8"), nl=False)
        return
    from procuregen.output import write_new

    write_new(output, report)
    click.echo(f"wrote {output}")
