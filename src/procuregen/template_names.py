"""Static check of the spec fields a clause template or condition names, against the Spec model."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from pydantic import BaseModel

from procuregen.spec import Spec
from procuregen.validation import unwrap_optional

ANY = object()  # a value whose shape is not known statically: anything goes
# Names a clause may use besides the spec's fields (see assemble.context).
EXTRA_NAMES: dict[str, Any] = {"call_off_terms": bool}
UNKNOWN = object()  # a name the spec does not have


@dataclass(frozen=True)
class UnknownName:
    line: int  # 1-based line of the template
    name: str  # as written, e.g. data.personal_dta


def unknown_names(tree: nodes.Template) -> Iterator[UnknownName]:
    """Every name or attribute chain in a parsed template that the Spec model does not have."""
    scope: dict[str, Any] = {name: field.annotation for name, field in Spec.model_fields.items()}
    scope.update(EXTRA_NAMES)
    yield from _walk(tree, scope)


def _walk(node: nodes.Node, scope: dict[str, Any]) -> Iterator[UnknownName]:
    if isinstance(node, nodes.For):
        yield from _walk(node.iter, scope)
        inner = {**scope, "loop": ANY}
        element = _element(_resolve(node.iter, scope))
        for target in _targets(node.target):
            inner[target] = element if isinstance(node.target, nodes.Name) else ANY
        for child in (*node.body, *node.else_):
            yield from _walk(child, inner)
        if node.test is not None:
            yield from _walk(node.test, inner)
        return
    if isinstance(node, nodes.Assign | nodes.AssignBlock):
        for target in _targets(node.target):
            scope[target] = ANY
    loads = not isinstance(node, nodes.Name) or node.ctx == "load"
    reference = isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name) and loads
    if reference and _resolve(node, scope) is UNKNOWN:
        yield UnknownName(node.lineno, _dotted(node))
        return
    for child in node.iter_child_nodes():
        yield from _walk(child, scope)


def _targets(target: nodes.Node) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]


def _resolve(node: nodes.Node, scope: dict[str, Any]) -> Any:
    if isinstance(node, nodes.Name):
        return scope.get(node.name, UNKNOWN)
    if isinstance(node, nodes.Getattr):
        return _member(_resolve(node.node, scope), node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _resolve(node.node, scope)
        if isinstance(node.arg.value, str):
            return _member(base, node.arg.value)
        return _element(base) if base is not UNKNOWN else UNKNOWN
    return ANY


def _member(base: Any, name: str) -> Any:
    if base is UNKNOWN:
        return UNKNOWN
    model = unwrap_optional(base)
    if isinstance(model, type) and issubclass(model, BaseModel):
        if name in model.model_fields:
            return model.model_fields[name].annotation
        prop = getattr(model, name, None)
        if isinstance(prop, property) and prop.fget is not None:
            return typing.get_type_hints(prop.fget).get("return", ANY)
        return UNKNOWN
    return ANY


def _element(annotation: Any) -> Any:
    if annotation is UNKNOWN or annotation is ANY:
        return annotation
    args = typing.get_args(unwrap_optional(annotation))
    return args[0] if args else ANY


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}[{node.arg.value!r}]"
    return "(expression)"


def field_paths(tree: nodes.Template) -> set[str]:
    """Every spec field path a parsed template reads, e.g. `value.items.unit_price`."""
    found: set[str] = set()
    scope = {name: name for name in Spec.model_fields}
    _collect(tree, scope, found)
    return found


def _collect(node: nodes.Node, scope: dict[str, str], found: set[str]) -> None:
    if isinstance(node, nodes.For):
        _collect(node.iter, scope, found)
        inner = dict(scope)
        source = _path(node.iter, scope)
        for target in _targets(node.target):
            if source is not None and isinstance(node.target, nodes.Name):
                inner[target] = source
            else:
                inner.pop(target, None)
        for child in (*node.body, *node.else_):
            _collect(child, inner, found)
        return
    if isinstance(node, nodes.Getattr | nodes.Name):
        path = _path(node, scope)
        if path is not None:
            found.add(path)
            return
    for child in node.iter_child_nodes():
        _collect(child, scope, found)


def _path(node: nodes.Node, scope: dict[str, str]) -> str | None:
    if isinstance(node, nodes.Name):
        return scope.get(node.name)
    if isinstance(node, nodes.Getattr):
        base = _path(node.node, scope)
        return f"{base}.{node.attr}" if base is not None else None
    return None
