"""`procuregen config [PATH]`: the project configuration in force, and where each value is from."""

from __future__ import annotations

import json
from pathlib import Path

import click

from procuregen.commands.options import json_option


@click.command("config")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True))
@json_option
def command(path: Path, as_json: bool) -> None:
    """Print the configuration that applies to PATH (a spec or a folder; default: here).

    The nearest procuregen.toml, or [tool.procuregen] in a pyproject.toml, in PATH's
    folder or a parent folder, up to the top of the git repository.
    """
    from procuregen.config import CONFIG_FILE, bundled_ids, resolve_config
    from procuregen.resources import bundled_root

    config = resolve_config(path)
    rows: list[tuple[str, str, str]] = []  # setting, value, where from
    for library_id, folder in sorted(config.libraries.items()):
        rows.append(
            (f"libraries.{library_id}", str(folder), config.source(f"libraries.{library_id}"))
        )
    for library_id in bundled_ids("clauses"):
        if library_id not in config.libraries:
            rows.append(
                (f"libraries.{library_id}", str(bundled_root("clauses") / library_id), "bundled")
            )
    for template_id, folder in sorted(config.templates.items()):
        rows.append(
            (f"templates.{template_id}", str(folder), config.source(f"templates.{template_id}"))
        )
    for template_id in bundled_ids("templates"):
        if template_id not in config.templates:
            rows.append(
                (
                    f"templates.{template_id}",
                    str(bundled_root("templates") / template_id),
                    "bundled",
                )
            )
    rows.append(
        (
            "output.folder",
            str(config.output_folder) if config.output_folder else "the current folder",
            config.source("output.folder"),
        )
    )
    rows.append(
        (
            "output.formats",
            ", ".join(config.output_formats)
            if config.output_formats
            else "the spec's output.formats",
            config.source("output.formats"),
        )
    )
    if as_json:
        report = {
            "file": str(config.file) if config.file else None,
            "project": str(config.root) if config.root else None,
            "settings": [{"setting": s, "value": v, "source": w} for s, v, w in rows],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    if config.file:
        click.echo(f"configuration: {config.file}")
        click.echo(f"project folder: {config.root}")
    else:
        click.echo(
            f"configuration: none ({CONFIG_FILE}, or [tool.procuregen] in pyproject.toml, "
            f"not found from {path} up); defaults apply"
        )
    width = max(len(s) for s, _, _ in rows)
    for setting, value, where in rows:
        click.echo(f"{setting:<{width}} = {value}  ({where})")
