"""`procuregen explain`: every clause of the library, in or out of the agreement, and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from procuregen.spec import Spec

from procuregen.commands.options import (
    echo_warnings,
    json_option,
    ledger_option,
    library_option,
    strict_option,
)


@click.command("explain")
@click.argument("spec", type=click.Path(path_type=Path))
@library_option
@json_option
@strict_option
@ledger_option
@click.option(
    "--deviations", is_flag=True, help="Print the call-off's deviations from its framework."
)
def command(
    spec: Path,
    library_dir: Path | None,
    as_json: bool,
    strict: bool,
    ledger: Path | None,
    deviations: bool,
) -> None:
    """Show each clause of the library: in or out of SPEC's agreement, and why."""
    from procuregen.api import build
    from procuregen.approvals import approval_checklist
    from procuregen.spec.defaults import applied_defaults
    from procuregen.spec.load import value_sources

    spec_file, library, agreement, trace = build(
        spec, library_dir=library_dir, strict=strict, ledger=ledger
    )
    checklist = [str(item) for item in approval_checklist(agreement)]
    defaults = applied_defaults(spec_file)
    echo_warnings(trace.warnings)
    if deviations:
        _print_deviations(spec, spec_file.spec, as_json)
        return
    sources = value_sources(spec_file)
    if as_json:
        report = {
            "library": {"id": library.id, "version": library.meta.version},
            "document": trace.document,
            "clauses": [asdict(d) for d in trace.decisions],
            "defaults": [{"field": name, "value": value} for name, value in defaults],
            "approval_checklist": checklist,
            "warnings": [
                {"location": str(w.location), "message": w.message} for w in trace.warnings
            ],
        }
        if trace.terms:
            report["call_off_terms"] = [asdict(d) for d in trace.terms]
        if len(spec_file.layers) > 1:
            report["layers"] = [str(p) for p in spec_file.layers]
            report["value_sources"] = sources
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
    console = Console(soft_wrap=False)
    console.print(table)
    if defaults:
        applied = Table(
            title="Defaults applied (the spec does not set these)", title_justify="left"
        )
        applied.add_column("Field", no_wrap=True)
        applied.add_column("Value", overflow="fold")
        for name, value in defaults:
            applied.add_row(name, json.dumps(value, ensure_ascii=False))
        console.print(applied)
    if len(spec_file.layers) > 1:
        origin = Table(title="Where each value comes from", title_justify="left")
        origin.add_column("Field", no_wrap=True)
        origin.add_column("File", overflow="fold")
        for name, file in sources.items():
            origin.add_row(name, file)
        console.print(origin)
    if checklist:
        console.print(f"Approval checklist ({len(checklist)}):")
        for item in checklist:
            console.print(f"  - {item}", highlight=False)


def _print_deviations(spec: Path, resolved: Spec, as_json: bool) -> None:
    from procuregen.framework_check import deviation_rows

    if resolved.framework is None:
        raise click.UsageError(f"{spec} names no framework (add framework: PATH)")
    rows = deviation_rows(resolved.framework_deviations)
    if as_json:
        report = {"framework": resolved.framework, "deviations": rows}
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"{spec}: no deviations from {resolved.framework}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec}: deviations from {resolved.framework}", title_justify="left")
    for column in ("Deviation", "Framework", "Call-off"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["what"], row["framework"], row["call_off"])
    Console(soft_wrap=False).print(table)
