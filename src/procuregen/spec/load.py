"""Read a spec file into a Spec, or report every problem in it at once."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from procuregen.errors import Location, Problem, SpecError, sorted_problems
from procuregen.spec.layers import resolve_layers
from procuregen.spec.layers import value_sources as layer_sources
from procuregen.spec.model import Spec
from procuregen.spec.rules import cross_field_problems
from procuregen.validation import validate_located
from procuregen.yamlsource import MAX_BYTES, LocatedDocument, Path, decode, load_bytes, load_text

PUBLICCODE_FIELDS: tuple[tuple[Path, Path], ...] = (
    (("name",), ("software", "name")),
    (("legal", "license"), ("software", "license")),
    (("url",), ("software", "repository")),
    (("description", "en", "shortDescription"), ("software", "description")),
)

# Characters JSON leaves raw in a string that YAML refuses or reads as a line break;
# escaped as \uXXXX (JSON allows them only inside a string) YAML reads them as JSON does.
_YAML_ONLY = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


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


def load_json(file: str, raw: bytes) -> LocatedDocument:
    """JSON (a resolved spec as a drafted document embeds it) read by the spec files'
    YAML loader, JSON being the YAML subset it is: the same limits (bytes, nodes, depth),
    every scalar a string, every node located (`file:line:col`)."""
    if len(raw) > MAX_BYTES:
        raise SpecError(Problem(Location(file, 1, 1), f"larger than {MAX_BYTES} bytes"))
    text = decode(file, raw)
    doc = load_text(file, _YAML_ONLY.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    try:
        json.loads(text)  # what YAML read is JSON too, not any YAML
    except json.JSONDecodeError as exc:
        where = Location(file, exc.lineno, exc.colno)
        raise SpecError(Problem(where, f"not JSON: {exc.msg}")) from None
    return doc


def read_resolved_spec(file: str, raw: bytes, *, default_name: str) -> Spec:
    """A resolved spec as a drafted document embeds it, checked exactly as a spec file
    is: the same loader and limits, field validation and cross-field rules.

    Nothing is read from disk: `extends:` is no field, and `software.publiccode` was
    merged in when the document was drafted.
    """
    return validate_spec(load_json(file, raw), base_dir=None, default_name=default_name)


def validate_spec(doc: LocatedDocument, *, base_dir: FsPath | None, default_name: str) -> Spec:
    """Type a located document as a Spec, with defaults resolved; `base_dir` None for a
    resolved spec, whose `software.publiccode` is not read again."""
    if not isinstance(doc.data, dict):
        raise SpecError(Problem(Location(doc.file, 1, 1), "a spec must be a YAML mapping"))
    if base_dir is not None:
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
