"""Read a spec file into a Spec, or report every problem in it at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from procuregen.errors import Location, Problem, SpecError, sorted_problems
from procuregen.spec.layers import resolve_layers
from procuregen.spec.layers import value_sources as layer_sources
from procuregen.spec.model import Spec
from procuregen.spec.rules import cross_field_problems
from procuregen.validation import validate_located
from procuregen.yamlsource import LocatedDocument, Path, load_bytes

PUBLICCODE_FIELDS: tuple[tuple[Path, Path], ...] = (
    (("name",), ("software", "name")),
    (("legal", "license"), ("software", "license")),
    (("url",), ("software", "repository")),
    (("description", "en", "shortDescription"), ("software", "description")),
)


@dataclass(frozen=True)
class SpecFile:
    """A validated spec with the YAML it came from, so later stages can point into it."""

    path: FsPath
    spec: Spec
    source: LocatedDocument  # with `extends:`, the merged layers, each value in its own file
    sha256: str  # of `path`'s bytes
    layers: tuple[FsPath, ...] = ()  # `path`, then the spec it extends, and so on

    def locate(self, path: Path) -> Location:
        return self.source.locate(path)


def read_spec(path: FsPath | str) -> SpecFile:
    """Load and validate the spec at `path`; raise SpecError naming every problem."""
    path = FsPath(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(Problem(Location(str(path)), f"cannot read spec: {exc.strerror}")) from None
    doc, layers = resolve_layers(path, load_bytes(str(path), raw, SpecError))
    spec = validate_spec(doc, base_dir=path.parent, default_name=path.stem)
    return SpecFile(path, spec, doc, hashlib.sha256(raw).hexdigest(), layers)


def value_sources(spec_file: SpecFile) -> dict[str, str]:
    """For each value the spec's files write (`field.path`), the file that wrote it."""
    return layer_sources(spec_file.source)


def load_spec(path: FsPath | str) -> Spec:
    """The Spec at `path`; raise SpecError naming every problem."""
    return read_spec(path).spec


def validate_spec(doc: LocatedDocument, *, base_dir: FsPath, default_name: str) -> Spec:
    """Type a located document as a Spec, with defaults resolved."""
    if not isinstance(doc.data, dict):
        raise SpecError(Problem(Location(doc.file, 1, 1), "a spec must be a YAML mapping"))
    doc = _with_publiccode(doc, base_dir)
    problems = list(cross_field_problems(doc))
    data = _with_default_language(_with_default_name(doc.data, default_name))
    spec, invalid = validate_located(Spec, doc, data)
    problems.extend(invalid)
    if problems or spec is None:
        raise SpecError(sorted_problems(problems))
    return spec


def _with_default_name(data: dict[str, Any], default_name: str) -> dict[str, Any]:
    output = data.get("output")
    if output is None:
        return {**data, "output": {"name": default_name}}
    if isinstance(output, dict) and output.get("name") is None:
        return {**data, "output": {**output, "name": default_name}}
    return data


def _with_default_language(data: dict[str, Any]) -> dict[str, Any]:
    """A bilingual spec's `language` is its first language unless it says otherwise."""
    languages = data.get("languages")
    if data.get("language") is None and isinstance(languages, list) and languages:
        return {**data, "language": languages[0]}
    return data


def _with_publiccode(doc: LocatedDocument, base_dir: FsPath) -> LocatedDocument:
    software = doc.data.get("software")
    if not isinstance(software, dict) or not isinstance(software.get("publiccode"), str):
        return doc
    where = doc.locate(("software", "publiccode"))
    name = software["publiccode"]
    target = (base_dir / name).resolve()
    if FsPath(name).is_absolute() or not target.is_relative_to(base_dir.resolve()):
        raise SpecError(
            Problem(where, f"software.publiccode: {name!r} must stay inside the spec's folder")
        )
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise SpecError(
            Problem(where, f"software.publiccode: cannot read {name!r}: {exc.strerror}")
        ) from None
    publiccode = load_bytes(str(base_dir / name), raw, SpecError)
    merged = dict(software)
    values = dict(doc.values)
    for source, target_path in PUBLICCODE_FIELDS:
        value: Any = publiccode.data
        for part in source:
            value = value.get(part) if isinstance(value, dict) else None
        field = target_path[-1]
        if isinstance(value, str) and merged.get(field) is None:
            merged[field] = value.strip()
            values[target_path] = publiccode.locate(source)
    return LocatedDocument(doc.file, {**doc.data, "software": merged}, values, doc.keys)
