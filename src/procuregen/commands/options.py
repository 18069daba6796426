"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from procuregen.errors import Problem

library_option = click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Clause library folder (with library.yaml), searched before the bundled libraries.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
ledger_option = click.option(
    "--ledger",
    "ledger",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML or CSV of earlier call-offs' amounts, checked with the call-off against its "
    "framework's ceiling (docs/framework-check.md).",
)
template_option = click.option(
    "--template",
    "template_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Template folder (agreement.docx, .html, .css); overrides the spec's output.template.",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat warnings as errors: exit 1 and write nothing."
)


def echo_warnings(warnings: Iterable[Problem]) -> None:
    """Warnings go to stderr as `file:line:col: warning: message`; the exit code is unchanged."""
    for warning in warnings:
        click.echo(str(warning), err=True)
