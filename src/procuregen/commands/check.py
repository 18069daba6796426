"""`procuregen check`: validate specs and assemble their agreements; write nothing."""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.commands.options import (
    echo_warnings,
    ledger_option,
    strict_option,
    template_option,
)
from procuregen.errors import Problem, ProcuregenError, sorted_problems


@click.command("check")
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Clause library folder; default: the one the spec names, bundled.",
)
@strict_option
@ledger_option
@template_option
def command(
    specs: tuple[Path, ...],
    library_dir: Path | None,
    strict: bool,
    ledger: Path | None,
    template_dir: Path | None,
) -> None:
    """Validate each SPEC and assemble its agreement; write nothing."""
    from procuregen.api import check_spec

    problems: list[Problem] = []
    for spec in specs:
        try:
            _, trace = check_spec(
                spec,
                library_dir=library_dir,
                strict=strict,
                ledger=ledger,
                template_dir=template_dir,
            )
        except ProcuregenError as error:
            problems.extend(error.problems)
        else:
            echo_warnings(trace.warnings)
            click.echo(f"{spec}: ok")
    if problems:
        raise ProcuregenError(sorted_problems(problems))
