"""What the clause bounds would refuse, found without rendering, for `clauses lint`.

Where an operation's inputs are written in the template (`"a" * 20000000000`,
`"%20000000000d" | format(x)`, `range(100000)`, `x / 0`), the runtime check itself is run
on them, so that lint and rendering refuse the same things with the same words. A macro
that calls itself, and a clause that includes itself (through others or not), are found
from the parsed templates.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import nodes

from procuregen import bounded_filters, bounded_formats, bounded_ops
from procuregen.bounds import CLAUSE_BOUNDS, BoundExceeded, Bounds

_UNKNOWN = object()  # a value not written in the template
# Methods of texts and numbers that the runtime checks before they run.
_GROWING_METHODS = ("center", "ljust", "rjust", "zfill", "expandtabs", "replace", "to_bytes")


@dataclass(frozen=True)
class BoundFinding:
    line: int  # 1-based line of the template
    message: str
    warning: bool = False

    @property
    def severity(self) -> Literal["error", "warning"]:
        return "warning" if self.warning else "error"


def bound_findings(tree: nodes.Template, bounds: Bounds = CLAUSE_BOUNDS) -> Iterator[BoundFinding]:
    """Every operation of a parsed template that the bounds would refuse, as far as the
    template shows it, and every macro that calls itself."""
    for node in tree.find_all((nodes.BinExpr, nodes.Filter, nodes.Call)):
        try:
            _check(node, bounds)
        except BoundExceeded as refusal:
            yield BoundFinding(node.lineno, str(refusal.message))
        except ZeroDivisionError:
            yield BoundFinding(node.lineno, "division by zero")
        else:
            times = _repeats(node)
            if times > bounds.text:
                yield BoundFinding(
                    node.lineno,
                    f"multiplies by {times:,}: if the value is a text or a list, rendering "
                    f"refuses it, as a clause may make at most {bounds.text:,} characters at a "
                    "time",
                    warning=True,
                )
    yield from _recursive_macros(tree, bounds)


def _repeats(node: nodes.Node) -> int:
    """The written count of `value * count` whose value is not written, else 0."""
    if not isinstance(node, nodes.Mul):
        return 0
    left, right = _constant(node.left), _constant(node.right)
    for value, count in ((left, right), (right, left)):
        if value is _UNKNOWN and isinstance(count, int) and not isinstance(count, bool):
            return count
    return 0


def _check(node: nodes.Node, bounds: Bounds) -> None:
    """Raise what the runtime would raise for `node`, where its inputs are constants."""
    if isinstance(node, nodes.BinExpr):
        _check_operator(node, bounds)
    elif isinstance(node, nodes.Filter):
        _check_filter(node, bounds)
    elif isinstance(node, nodes.Call):
        _check_call(node, bounds)


def _check_operator(node: nodes.BinExpr, bounds: Bounds) -> None:
    left, right = _constant(node.left), _constant(node.right)
    divides = isinstance(node, nodes.Div | nodes.FloorDiv) or (
        isinstance(node, nodes.Mod) and not isinstance(left, str)
    )
    if divides and _is_number(right) and right == 0:
        raise ZeroDivisionError
    if isinstance(node, nodes.Mod) and isinstance(left, str):
        bounded_formats.check_percent(bounds, left, () if right is _UNKNOWN else right)
    elif isinstance(node, nodes.Mul | nodes.Pow) and _UNKNOWN not in (left, right):
        bounded_ops.binary(bounds, node.operator, left, right)
    elif isinstance(node, nodes.Pow) and isinstance(right, int) and right > bounds.digits * 4:
        raise BoundExceeded(
            f"raising to the power {right:,} makes a number of more than {bounds.digits:,} "
            "digits (or a decimal overflow) for any number but 0 and 1"
        )


def _check_filter(node: nodes.Filter, bounds: Bounds) -> None:
    arguments = [_constant(a) for a in node.args]
    keywords = {str(k.key): _constant(k.value) for k in node.kwargs}
    check = bounded_filters.FILTER_CHECKS.get(node.name)
    if check is None or _UNKNOWN in arguments or _UNKNOWN in keywords.values():
        return
    value = _constant(node.node) if node.node is not None else _UNKNOWN
    check(bounds, "" if value is _UNKNOWN else value, *arguments, **keywords)


def _check_call(node: nodes.Call, bounds: Bounds) -> None:
    arguments = [_constant(a) for a in node.args]
    if _UNKNOWN in arguments:
        return
    if isinstance(node.node, nodes.Name) and node.node.name == "range":
        bounded_filters.bounded_range(bounds)(*arguments)
    elif isinstance(node.node, nodes.Getattr):
        owner = _constant(node.node.node)
        method = node.node.attr
        if method in ("format", "format_map") and isinstance(owner, str):
            for _, _, spec, _ in _fields(owner):
                if spec and "{" not in spec:
                    bounded_formats.format_width(bounds, spec)
        elif method in _GROWING_METHODS:
            # Methods in clauses are those of texts, numbers and lists: checked as a text's.
            text = owner if isinstance(owner, str) else ""
            bounded_ops.check_method(bounds, text, method, tuple(arguments))


def _fields(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError:  # a malformed format fails at its line when rendered
        return []


def _constant(node: nodes.Node) -> Any:
    """The value of a literal (a text, a number, a list of them), else _UNKNOWN."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Neg):
        value = _constant(node.node)
        return -value if _is_number(value) else _UNKNOWN
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [_constant(item) for item in node.items]
        if _UNKNOWN in items:
            return _UNKNOWN
        return items if isinstance(node, nodes.List) else tuple(items)
    return _UNKNOWN


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- macros that call themselves ---------------------------------------------------------

Edge = tuple[str, int, bool]  # the macro or template reached, the line, only under a condition


def _recursive_macros(tree: nodes.Template, bounds: Bounds) -> Iterator[BoundFinding]:
    macros = {m.name: m for m in tree.find_all(nodes.Macro)}
    graph = {name: list(_calls(macro.body, set(macros), False)) for name, macro in macros.items()}
    for name, line, path, always in cycles(graph):
        through = f" through {', '.join(path[1:-1])}" if len(path) > 2 else ""
        if always:
            yield BoundFinding(
                line,
                f"macro {name} calls itself{through} on every call: that never ends, and "
                f"rendering stops it after {bounds.depth} levels; give it a condition to stop",
            )
        else:
            yield BoundFinding(
                line,
                f"macro {name} calls itself{through}: rendering refuses calls nested more "
                f"than {bounds.depth} deep",
                warning=True,
            )


def _calls(body: list[nodes.Node], names: set[str], conditional: bool) -> Iterator[Edge]:
    """Calls of the macros `names` in `body`, each marked if it runs only under a condition."""
    for node in body:
        yield from _calls_in(node, names, conditional)


def _calls_in(node: nodes.Node, names: set[str], conditional: bool) -> Iterator[Edge]:
    if isinstance(node, nodes.Macro):
        return  # a macro defined inside runs only when called
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in names
    ):
        yield node.node.name, node.lineno, conditional
    branches: tuple[str, ...] = ()
    if isinstance(node, nodes.If):
        branches = ("body", "elif_", "else_")
    elif isinstance(node, nodes.For):
        branches = ("body", "else_", "test")
    elif isinstance(node, nodes.CondExpr):
        branches = ("expr1", "expr2")
    elif isinstance(node, nodes.And | nodes.Or):
        branches = ("right",)
    elif isinstance(node, nodes.CallBlock):
        branches = ("body",)  # the caller's body runs only if the macro calls caller()
    for name, child in node.iter_fields():
        children = child if isinstance(child, list) else [child]
        for item in children:
            if isinstance(item, nodes.Node):
                yield from _calls_in(item, names, conditional or name in branches)


def cycles(graph: Mapping[str, list[Edge]]) -> Iterator[tuple[str, int, list[str], bool]]:
    """Each cycle of `graph` once, from its first node: (node, line of the edge that starts
    it, the path back to the node, whether every edge on it is unconditional). A cycle of
    unconditional edges is preferred over one that has conditional edges."""
    reported: set[str] = set()
    for start in graph:
        if start in reported:
            continue
        found = _path_back(graph, start, unconditional=True) or _path_back(
            graph, start, unconditional=False
        )
        if found is None:
            continue
        path, line, always = found
        reported.update(path)
        yield start, line, path, always


def _path_back(
    graph: Mapping[str, list[Edge]], start: str, unconditional: bool
) -> tuple[list[str], int, bool] | None:
    """A path from `start` back to itself, with the line of its first edge."""
    stack: list[tuple[str, list[str], int]] = [(start, [start], 0)]
    seen: set[str] = set()
    while stack:
        node, path, first_line = stack.pop()
        for target, line, conditional in graph.get(node, []):
            if unconditional and conditional:
                continue
            line_of_first = first_line or line
            if target == start:
                return [*path, target], line_of_first, unconditional
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target], line_of_first))
    return None


# -- clauses that include themselves ---------------------------------------------------------


def included(tree: nodes.Template) -> Iterator[Edge]:
    """The templates a parsed template includes, imports or extends by a written name."""
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            yield target.value, node.lineno, False


def include_cycles(graph: Mapping[str, list[Edge]]) -> Iterator[tuple[str, int, str]]:
    """Each cycle of includes once: (template, line of its include, message)."""
    for name, line, path, _ in cycles(graph):
        if len(path) == 2:
            yield name, line, f"{name} includes itself: that never ends; remove the include"
        else:
            chain = " which includes ".join(path[1:])
            yield name, line, f"{name} includes {chain}: that never ends; remove an include"
