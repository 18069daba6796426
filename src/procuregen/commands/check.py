"""`procuregen check`: validate specs and assemble their agreements; write nothing."""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.errors import Problem, ProcuregenError, sorted_problems


@click.command("check")
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Clause library folder; default: the one the spec names, bundled.",
)
def command(specs: tuple[Path, ...], library_dir: Path | None) -> None:
    """Validate each SPEC and assemble its agreement; write nothing."""
    from procuregen.api import check_spec

    problems: list[Problem] = []
    for spec in specs:
        try:
            check_spec(spec, library_dir=library_dir)
        except ProcuregenError as error:
            problems.extend(error.problems)
        else:
            click.echo(f"{spec}: ok")
    if problems:
        raise ProcuregenError(sorted_problems(problems))
