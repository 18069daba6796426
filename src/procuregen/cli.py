"""The command line: parse arguments, call the library, report errors. Nothing else."""

from __future__ import annotations

from typing import Any

import click

from procuregen import __version__
from procuregen.commands import (
    check,
    clauses,
    config,
    diff,
    draft,
    explain,
    init,
    schema,
    template,
    verify,
)
from procuregen.errors import ProcuregenError


class ProcuregenGroup(click.Group):
    """Turns every ProcuregenError into `file:line:col: message` lines and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProcuregenError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            ctx.exit(1)


@click.group(cls=ProcuregenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="procuregen")
def cli() -> None:
    """Draft procurement agreements for open source software from a spec and a clause library."""


for command in (draft.command, check.command, explain.command, verify.command):
    cli.add_command(command)
for command in (schema.command, init.command, config.command, diff.command):
    cli.add_command(command)
for group in (clauses.group, template.group):
    cli.add_command(group)


def main() -> None:
    cli(prog_name="procuregen")
