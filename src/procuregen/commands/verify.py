"""`procuregen verify`: does a document match what its manifest says it was built from?"""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.commands.options import library_option


@click.command("verify")
@click.argument("document", type=click.Path(path_type=Path))
@library_option
def command(document: Path, library_dir: Path | None) -> None:
    """Rebuild DOCUMENT from its embedded spec and manifest; exit 1 if it differs."""
    from procuregen.verify import verify_document

    result = verify_document(document, library_dir)
    if result.matches:
        click.echo(f"{document}: verified, identical to a fresh draft")
        return
    click.echo(f"{document}: does not match a fresh draft", err=True)
    for difference in result.differences:
        click.echo(f"  {difference}", err=True)
    raise SystemExit(1)
