"""A clause's `when` written out in plain words for reviewers: "when hosting is bought".

The condition is parsed with Jinja's own parser (never evaluated) and its syntax tree is
read back as English. Known spec fields have their own wording; any other comparison reads
"<field path> is <value>"; a construct with no wording gives the condition as written.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.parser import Parser
from pydantic import BaseModel

from procuregen.messages import label
from procuregen.spec.model import Spec

# Boolean names with their own wording: (when true, when false).
_TRUTH: dict[str, tuple[str, str]] = {
    "call_off_terms": (
        "it is printed in the Call-Off Terms of a framework agreement",
        "it is not printed in the Call-Off Terms of a framework agreement",
    ),
    "data.personal_data": ("personal data is processed", "no personal data is processed"),
    "data.special_categories": (
        "special categories of personal data are processed",
        "no special categories of personal data are processed",
    ),
}
# Fields compared with a value that have their own wording: path -> subject of the sentence.
_SUBJECT: dict[str, str] = {
    "law.governing_law": "the governing law",
    "language": "the language of the agreement",
}
_COMPARISON = {
    "eq": ("is", "is not"),
    "ne": ("is not", "is"),
    "lt": ("is less than", "is at least"),
    "lteq": ("is at most", "is more than"),
    "gt": ("is more than", "is at most"),
    "gteq": ("is at least", "is less than"),
}
_MIRRORED = {"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "lteq": "gteq", "gteq": "lteq"}


class _NoWords(Exception):
    """A construct the describer has no wording for."""


def parse_condition(when: str) -> nodes.Expr:
    """The syntax tree of a `when` expression, or TemplateSyntaxError."""
    parser = Parser(Environment(), when, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("unexpected text after the condition", 1)
    return expression


def describe_condition(
    when: str | None,
    documents: Mapping[str, str] | None = None,
    jurisdictions: Mapping[str, str] | None = None,
) -> str:
    """`when` in plain words: "when hosting is bought"; "always" when there is none.

    `documents` maps document kinds to their titles, `jurisdictions` country codes to the
    law of a jurisdiction pack, for better wording of `document` and `law.governing_law`.
    """
    if when is None or not when.strip():
        return "always"
    try:
        expression = parse_condition(when)
        return "when " + _Describer(documents or {}, jurisdictions or {}).words(expression, True)
    except (TemplateSyntaxError, _NoWords):
        return f"when this condition holds: {when.strip()}"


class _Describer:
    def __init__(self, documents: Mapping[str, str], jurisdictions: Mapping[str, str]) -> None:
        self.documents = documents
        self.jurisdictions = jurisdictions

    def words(self, node: nodes.Expr, positive: bool) -> str:
        if isinstance(node, nodes.Not):
            return self.words(node.node, not positive)
        if isinstance(node, nodes.And | nodes.Or):
            # De Morgan: "not (a and b)" reads "a does not hold or b does not hold".
            joins_with_and = isinstance(node, nodes.And) == positive
            kind = nodes.And if isinstance(node, nodes.And) else nodes.Or
            members = _flattened(node, kind)
            services = [_service(part) for part in members]
            if not joins_with_and and all(s is not None for s in services):
                # "development, maintenance or hosting is bought"
                names = [s for s in services if s is not None]
                verb = "is bought" if positive else "is not bought"
                return ", ".join(names[:-1]) + " or " + names[-1] + " " + verb
            parts = []
            for part in members:
                words = self.words(part, positive)
                inner = isinstance(part, nodes.And | nodes.Or) and len(words.split(" or ")) > 1
                if joins_with_and and inner and not words.startswith("either "):
                    words = "either " + words
                if not joins_with_and and isinstance(part, nodes.And | nodes.Or):
                    words = words if words.startswith("either ") else "both " + words
                parts.append(words)
            compound = any(p.startswith(("either ", "both ")) for p in parts)
            if joins_with_and:
                last = ", and " if compound else " and "
                return ", ".join(parts[:-1]) + last + parts[-1]
            return "either " + " or ".join(parts)
        if isinstance(node, nodes.Compare):
            return self.comparison(node, positive)
        if isinstance(node, nodes.Test):
            return self.test(node, positive)
        path = _path(node)
        if path is not None:
            return self.truth(path, positive)
        raise _NoWords

    def truth(self, path: str, positive: bool) -> str:
        if path in _TRUTH:
            return _TRUTH[path][0 if positive else 1]
        kind = _field_kind(path)
        if kind == "bool":
            return f"{path} is {'true' if positive else 'false'}"
        if kind == "sequence":
            return f"{path} {'has at least one entry' if positive else 'is empty'}"
        return f"{path} is {'set' if positive else 'not set'}"

    def test(self, node: nodes.Test, positive: bool) -> str:
        path = _path(node.node)
        if path is None or node.args or node.kwargs:
            raise _NoWords
        if node.name == "none":
            return f"{path} is {'not set' if positive else 'set'}"
        if node.name in ("true", "false"):
            return self.truth(path, positive == (node.name == "true"))
        raise _NoWords

    def comparison(self, node: nodes.Compare, positive: bool) -> str:
        if len(node.ops) != 1:
            raise _NoWords
        left, operand = node.expr, node.ops[0]
        right, op = operand.expr, operand.op
        if op in ("in", "notin"):
            if not isinstance(left, nodes.Const):
                raise _NoWords
            path = _path(right)
            if path is None:
                raise _NoWords
            return self.membership(str(left.value), path, positive == (op == "in"))
        if op not in _COMPARISON:
            raise _NoWords
        if isinstance(left, nodes.Const) and not isinstance(right, nodes.Const):
            left, right, op = right, left, _MIRRORED[op]
        if not isinstance(right, nodes.Const):
            raise _NoWords
        subject = self.subject(left)
        verb = _COMPARISON[op][0 if positive else 1]
        return f"{subject} {verb} {self.value(left, right.value)}"

    def membership(self, value: str, path: str, positive: bool) -> str:
        if path == "services":
            return f"{value} is {'bought' if positive else 'not bought'}"
        if path == "data.storage_locations":
            verb = "include" if positive else "do not include"
            return f"the permitted data storage locations {verb} {value} ({label('en', value)})"
        return f"{path} {'includes' if positive else 'does not include'} {value}"

    def subject(self, node: nodes.Expr) -> str:
        path = _path(node)
        if path == "document":
            return "the document"
        if path is not None:
            return _SUBJECT.get(path, path)
        counted = _count(node)
        if counted is not None:
            return counted
        raise _NoWords

    def value(self, node: nodes.Expr, value: Any) -> str:
        path = _path(node)
        if path == "document" and str(value) in self.documents:
            return f"the {self.documents[str(value)]} ({value})"
        if path == "law.governing_law" and str(value) in self.jurisdictions:
            return f"{value} ({self.jurisdictions[str(value)]})"
        if value is None:
            return "not set"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def _service(node: nodes.Expr) -> str | None:
    """The service of `'hosting' in services`, else None."""
    if (
        isinstance(node, nodes.Compare)
        and len(node.ops) == 1
        and node.ops[0].op == "in"
        and isinstance(node.expr, nodes.Const)
        and _path(node.ops[0].expr) == "services"
    ):
        return str(node.expr.value)
    return None


def _flattened(node: nodes.Expr, kind: type[nodes.And] | type[nodes.Or]) -> list[nodes.Expr]:
    """`a and (b and c)` as [a, b, c]."""
    if isinstance(node, kind):
        return [*_flattened(node.left, kind), *_flattened(node.right, kind)]
    return [node]


def _path(node: nodes.Node) -> str | None:
    """`data.personal_data` for a name or an attribute chain; None for anything else."""
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Getattr):
        inner = _path(node.node)
        return None if inner is None else f"{inner}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        inner = _path(node.node)
        return None if inner is None else f"{inner}.{node.arg.value}"
    return None


def _count(node: nodes.Expr) -> str | None:
    """`x | length` as "the number of x"; `x | selectattr("a") | list | length` as
    "the number of x with a"."""
    if not (isinstance(node, nodes.Filter) and node.name in ("length", "count")):
        return None
    inner = node.node
    if isinstance(inner, nodes.Filter) and inner.name == "list":
        inner = inner.node
    if (
        isinstance(inner, nodes.Filter)
        and inner.name == "selectattr"
        and len(inner.args) == 1
        and isinstance(inner.args[0], nodes.Const)
        and inner.node is not None
    ):
        path = _path(inner.node)
        return None if path is None else f"the number of {path} with {inner.args[0].value}"
    path = _path(inner) if inner is not None else None
    return None if path is None else f"the number of {path}"


def _field_kind(path: str) -> str:
    """ "bool", "sequence", "model" or "value" for a spec field path; "value" when unknown."""
    model: type[BaseModel] | None = Spec
    annotation: Any = None
    for part in path.split("."):
        if model is None or part not in model.model_fields:
            return "value"
        annotation = _without_none(model.model_fields[part].annotation)
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    if annotation is bool:
        return "bool"
    if typing.get_origin(annotation) in (tuple, list):
        return "sequence"
    return "model" if model is not None else "value"


def _without_none(annotation: Any) -> Any:
    """`X | None` as X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        remaining = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(remaining) == 1:
            return remaining[0]
    return annotation
