"""`procuregen init`: a commented starter spec that passes `check`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click


@click.command("init")
@click.argument("path", default="spec.yaml", type=click.Path(path_type=Path, dir_okay=False))
def command(path: Path) -> None:
    """Write a commented starter spec to PATH (default spec.yaml); never overwrites."""
    from procuregen.output import write_new

    starter = resources.files("procuregen.data").joinpath("starter-spec.yaml").read_bytes()
    write_new(path, starter)
    click.echo(f"wrote {path}; edit it, then run: procuregen check {path}")
