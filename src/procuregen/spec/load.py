"""Read a spec file into a Spec, or report every problem in it at once."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from procuregen.errors import Location, Problem, SpecError, sorted_problems
from procuregen.spec.model import Spec
from procuregen.spec.rules import cross_field_problems
from procuregen.yamlsource import LocatedDocument, Path, load_bytes

PUBLICCODE_FIELDS: tuple[tuple[Path, Path], ...] = (
    (("name",), ("software", "name")),
    (("legal", "license"), ("software", "license")),
    (("url",), ("software", "repository")),
    (("description", "en", "shortDescription"), ("software", "description")),
)


def load_spec(path: FsPath | str) -> Spec:
    """Load and validate the spec at `path`; raise SpecError naming every problem."""
    path = FsPath(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(Problem(Location(str(path)), f"cannot read spec: {exc.strerror}")) from None
    doc = load_bytes(str(path), raw, SpecError)
    return validate_spec(doc, base_dir=path.parent, default_name=path.stem)


def validate_spec(doc: LocatedDocument, *, base_dir: FsPath, default_name: str) -> Spec:
    """Type a located document as a Spec, with defaults resolved."""
    if not isinstance(doc.data, dict):
        raise SpecError(Problem(Location(doc.file, 1, 1), "a spec must be a YAML mapping"))
    doc = _with_publiccode(doc, base_dir)
    problems = list(cross_field_problems(doc))
    data = _with_default_name(doc.data, default_name)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems.extend(_located(doc, exc))
        spec = None
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


def field_path(loc: tuple[int | str, ...]) -> str:
    """`('value', 'items', 0, 'unit')` as `value.items[0].unit`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _located(doc: LocatedDocument, exc: ValidationError) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if p != "[key]")
        kind = error["type"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            allowed = _fields_at(loc[:-1])
            message = "unknown field" + (
                f" (expected one of: {', '.join(allowed)})" if allowed else ""
            )
        else:
            message = error["msg"]
        where = doc.keys.get(loc) if kind == "extra_forbidden" else None
        yield Problem(where or doc.locate(loc), f"{field_path(loc)}: {message}")


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at `loc`, found by walking the Spec model's annotations."""
    model: Any = Spec
    for part in loc:
        annotation = _unwrap(model)
        if isinstance(part, int):
            args = typing.get_args(annotation)
            model = args[0] if args else None
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            model = field.annotation if field else None
        else:
            return []
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` as X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
