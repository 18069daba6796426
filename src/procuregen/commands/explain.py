"""`procuregen explain`: every clause of the library, in or out of the agreement, and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from procuregen.commands.options import json_option, library_option


@click.command("explain")
@click.argument("spec", type=click.Path(path_type=Path))
@library_option
@json_option
def command(spec: Path, library_dir: Path | None, as_json: bool) -> None:
    """Show each clause of the library: in or out of SPEC's agreement, and why."""
    from procuregen.api import build

    _, library, _, trace = build(spec, library_dir=library_dir)
    if as_json:
        report = {
            "library": {"id": library.id, "version": library.meta.version},
            "document": trace.document,
            "clauses": [asdict(d) for d in trace.decisions],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec}: {library.id} {library.meta.version}", title_justify="left")
    table.add_column("No.", no_wrap=True)
    table.add_column("Clause", no_wrap=True)
    table.add_column("In", no_wrap=True)
    table.add_column("Why", overflow="fold")
    for decision in trace.decisions:
        table.add_row(
            decision.number or "",
            decision.clause,
            "in" if decision.included else "out",
            decision.reason,
            style=None if decision.included else "dim",
        )
    Console(soft_wrap=False).print(table)
