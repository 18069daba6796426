"""`procuregen clauses site -o DIR [--library DIR] [--example SPEC]...`, as a click command.

`procuregen.commands.clauses` registers it under `clauses`; it only parses arguments and
calls `build_site`.
"""

from __future__ import annotations

from pathlib import Path

import click

from procuregen.commands.options import library_option


@click.command("site")
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the site into (created; files of an earlier site are replaced).",
)
@library_option
@click.option(
    "--example",
    "examples",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A spec to show which clauses its agreement includes (repeatable); "
    "default: the repository's examples, for the bundled library.",
)
def site_command(out_dir: Path, library_dir: Path | None, examples: tuple[Path, ...]) -> None:
    """Write a static HTML review site of a library: open DIR/index.html in a browser."""
    from procuregen.library import library_path, load_library
    from procuregen.site import build_site

    library = load_library(library_path(None, library_dir))
    build_site(library, out_dir, list(examples) if examples else None)
    click.echo(f"{out_dir / 'index.html'}: {len(library.clauses)} clauses of {library.id}")
