"""Pydantic errors turned into located problems: `file:line:col: field.path: message`."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from procuregen.errors import Problem
from procuregen.yamlsource import LocatedDocument

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[int | str, ...]) -> str:
    """`('value', 'items', 0, 'unit')` as `value.items[0].unit`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def validate_located(
    model: type[M], doc: LocatedDocument, data: Any = None
) -> tuple[M | None, list[Problem]]:
    """Validate `data` (default: the document's) as `model`; problems at their YAML places."""
    try:
        return model.model_validate(doc.data if data is None else data), []
    except ValidationError as exc:
        return None, list(located_problems(model, doc, exc))


def located_problems(
    model: type[BaseModel], doc: LocatedDocument, exc: ValidationError
) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if p != "[key]")
        kind = error["type"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            allowed = fields_at(model, loc[:-1])
            message = "unknown field" + (
                f" (expected one of: {', '.join(allowed)})" if allowed else ""
            )
        else:
            message = error["msg"]
        where = doc.keys.get(loc) if kind == "extra_forbidden" else None
        yield Problem(where or doc.locate(loc), f"{field_path(loc)}: {message}")


def fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at `loc`, found by walking the model's annotations."""
    current: Any = model
    for part in loc:
        annotation = unwrap_optional(current)
        if isinstance(part, int):
            args = typing.get_args(annotation)
            current = args[0] if args else None
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            current = field.annotation if field else None
        else:
            origin_args = typing.get_args(annotation)
            current = origin_args[-1] if typing.get_origin(annotation) is not None else None
    current = unwrap_optional(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def unwrap_optional(annotation: Any) -> Any:
    """`X | None` as X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
