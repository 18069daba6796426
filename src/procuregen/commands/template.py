"""`procuregen template init|check DIR`: a team's own template folder."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("template")
def group() -> None:
    """Start and check a template folder (agreement.docx, agreement.html, agreement.css)."""


@group.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def init_command(folder: Path) -> None:
    """Write the bundled template into FOLDER as a starting point; never overwrites."""
    from procuregen.template_check import init_template

    for path in init_template(folder):
        click.echo(f"wrote {path}")
    click.echo(
        f"edit them (placeholders and styles: docs/templates.md), then run: "
        f"procuregen template check {folder}"
    )


@group.command("check")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def check_command(folder: Path) -> None:
    """Check FOLDER before it is used: parts, placeholders and unsafe content."""
    from procuregen.errors import RenderError
    from procuregen.template_check import template_problems

    problems = template_problems(folder)
    if problems:
        raise RenderError(problems)
    click.echo(f"{folder}: ok")
