"""The defaults a spec relied on: every value of the resolved spec that its file did not write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from procuregen.spec.load import SpecFile
from procuregen.validation import field_path
from procuregen.yamlsource import Path


def applied_defaults(spec_file: SpecFile) -> list[tuple[str, Any]]:
    """(field, value) for each default applied (unset optional fields are not defaults)."""
    source = spec_file.source
    written = {p[:end] for p in (*source.values, *source.keys) for end in range(1, len(p) + 1)}
    return [
        (field_path(path), value)
        for path, value in _leaves(spec_file.spec.model_dump(mode="json"), ())
        if path not in written and value not in (None, [], {})
    ]


def _leaves(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    else:
        yield path, value
