"""`procuregen schema`: the spec format as JSON Schema, for editors."""

from __future__ import annotations

import json

import click


@click.command("schema")
def command() -> None:
    """Print the JSON Schema of the spec format, with field descriptions."""
    from procuregen.spec import Spec

    click.echo(json.dumps(Spec.model_json_schema(), indent=2, ensure_ascii=False))
