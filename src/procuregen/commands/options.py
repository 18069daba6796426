"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

library_option = click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Clause library folder (with library.yaml), searched before the bundled libraries.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
