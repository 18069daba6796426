"""`procuregen verify`: does a document match what its manifest says it was built from?"""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.commands.options import library_option


@click.command("verify")
@click.argument("document", type=click.Path(path_type=Path))
@library_option
def command(document: Path, library_dir: Path | None) -> None:
    """Rebuild DOCUMENT from its embedded spec and manifest and compare.

    \b
    Exit codes:
      0  identical bytes: the document is a fresh draft, byte for byte. For a PDF
         signed or annotated afterwards (incremental updates), its original
         revision is, and what the later revisions add is listed.
      3  the text of every clause is identical; the file differs (re-saved by
         another program).
      1  the text differs (the clauses and the words are named), the manifest
         names other clause versions, library, template or procuregen, or the
         document cannot be verified.
    """
    from procuregen.verify import DIFFERS, IDENTICAL, verify_document

    result = verify_document(document, library_dir)
    lines = [f"  {line}" for line in result.later]
    if result.outcome == IDENTICAL:
        if result.original is None:
            click.echo(f"{document}: verified, identical to a fresh draft")
        else:
            click.echo(
                f"{document}: verified, its original revision (bytes 0-{result.original.end})"
                " is identical to a fresh draft"
            )
        for line in lines:
            click.echo(line)
        return
    if result.outcome == DIFFERS:
        click.echo(f"{document}: does not match a fresh draft", err=True)
        for difference in result.differences:
            click.echo(f"  {difference}", err=True)
        for line in lines:
            click.echo(line, err=True)
    else:
        click.echo(
            f"{document}: the text is identical; the file differs (re-saved by another program)"
        )
        for line in [f"  {d}" for d in result.differences] + lines:
            click.echo(line)
    raise SystemExit(result.exit_code)
