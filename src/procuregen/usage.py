"""Which spec values an agreement uses: recorded while clauses render, so none is dropped unseen.

Clause templates see the spec through read-only views. A view hands out the spec's own
values and notes the path of every leaf it hands out (`value.amount`, `services`); a nested
model or a list of models comes back as another view, so only what a template actually
reaches down to counts as used. A value the spec wrote that no clause, condition or template
used is reported as a warning at its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from procuregen.errors import Problem
from procuregen.validation import field_path
from procuregen.yamlsource import LocatedDocument, value_at
from procuregen.yamlsource import Path as YamlPath

# Fields that steer the tool rather than appear in an agreement's text.
STEERING: tuple[YamlPath, ...] = (
    ("procuregen",),
    ("library",),
    ("document",),
    ("language",),
    ("clauses",),
    ("output",),
    ("software", "publiccode"),
    ("software", "allow_non_osi"),
)


@dataclass
class Usage:
    """The spec paths an assembly used; one per assembly, never shared between specs."""

    spec: BaseModel
    used: set[YamlPath] = field(default_factory=set)
    paths: dict[int, YamlPath] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, model in _models(self.spec, ()):
            self.paths.setdefault(id(model), path)

    def view(self, value: Any, path: YamlPath | None = None) -> Any:
        """`value` as a template may see it: a view of a model or a list of models, or itself."""
        if isinstance(value, BaseModel):
            return ModelView(value, self)
        if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            return ListView(value, self)
        if path is not None:
            self.used.add(path)
        return value

    def top_level(self, name: str, value: Any) -> Any:
        """A top-level value of the context: a view, or a text or list that notes its use.

        Naming a value in a context is not using it; comparing, testing or printing it is.
        """
        if isinstance(value, str):
            return TrackedText(value, self, (name,))
        if isinstance(value, tuple) and not (value and isinstance(value[0], BaseModel)):
            return TrackedList(value, self, (name,))
        return self.view(value)

    def is_used(self, path: YamlPath) -> bool:
        return any(path[:end] in self.used for end in range(1, len(path) + 1))


class TrackedText(str):
    """A top-level text (`accessibility`): every comparison or print of it is noted."""

    def __new__(cls, value: str, usage: Usage, path: YamlPath) -> TrackedText:
        text = super().__new__(cls, value)
        text._usage, text._path = usage, path  # type: ignore[attr-defined]
        return text

    def _use(self) -> None:
        self._usage.used.add(self._path)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        self._use()
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._use()
        return str.__ne__(self, other)

    def __hash__(self) -> int:
        return str.__hash__(self)

    def __str__(self) -> str:
        self._use()
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        self._use()
        return str.__format__(self, spec)


class TrackedList(tuple[Any, ...]):
    """A top-level list of texts (`services`): testing, counting or listing it is noted."""

    def __new__(cls, value: tuple[Any, ...], usage: Usage, path: YamlPath) -> TrackedList:
        items = super().__new__(cls, value)
        items._usage, items._path = usage, path  # type: ignore[attr-defined]
        return items

    def _use(self) -> None:
        self._usage.used.add(self._path)  # type: ignore[attr-defined]

    def __contains__(self, item: object) -> bool:
        self._use()
        return tuple.__contains__(self, item)

    def __iter__(self) -> Iterator[Any]:
        self._use()
        return tuple.__iter__(self)

    def __len__(self) -> int:
        self._use()
        return tuple.__len__(self)

    def __getitem__(self, index: Any) -> Any:
        self._use()
        return tuple.__getitem__(self, index)


class ModelView:
    """A spec model as templates see it: its fields and properties, each use recorded."""

    __slots__ = ("_model", "_usage")

    def __init__(self, model: BaseModel, usage: Usage) -> None:
        self._model = model
        self._usage = usage

    def unwrap(self) -> BaseModel:
        """The model itself: for messages, never for templates."""
        return self._model

    def view_attribute(self, name: str) -> tuple[bool, Any]:
        """(True, value) for a field or property of the model; (False, None) for anything else."""
        model = self._model
        kind = type(model)
        if name not in kind.model_fields and not isinstance(getattr(kind, name, None), property):
            return False, None
        value = getattr(model, name)
        base = self._usage.paths.get(id(model))
        return True, self._usage.view(value, None if base is None else (*base, name))

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ModelView):
            return self._model == other._model
        return self._model == other

    def __hash__(self) -> int:
        return hash(id(self._model))


class ListView:
    """A list of spec models: iterating or indexing it gives views."""

    __slots__ = ("_items", "_usage")

    def __init__(self, items: tuple[BaseModel, ...], usage: Usage) -> None:
        self._items = items
        self._usage = usage

    def __iter__(self) -> Iterator[Any]:
        return (self._usage.view(item) for item in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __getitem__(self, index: int) -> Any:
        return self._usage.view(self._items[index])


def unused_values(
    source: LocatedDocument, usages: Iterable[Usage], printed: Iterable[YamlPath]
) -> list[Problem]:
    """A warning for every value the spec file wrote that the agreement does not use."""
    usages = list(usages)
    printed = tuple(printed)
    warnings: list[Problem] = []
    reported: set[YamlPath] = set()
    for path, where in sorted(source.values.items(), key=lambda item: item[1]):
        if not path or _under(path, STEERING) or _under(path, printed):
            continue
        if not isinstance(value_at(source.data, path), str):
            continue  # a mapping or list: its values are checked one by one
        if any(usage.is_used(path) for usage in usages):
            continue
        # One warning for a whole unused list item or mapping, at its first value.
        shown = _unused_root(path, usages)
        if shown in reported:
            continue
        reported.add(shown)
        warnings.append(
            Problem(
                source.keys.get(shown, where) if shown != path else where,
                f"{field_path(shown)}: not used by this agreement (no clause in it prints or "
                "tests this value); remove it, or check the services and positions chosen",
                warning=True,
            )
        )
    return warnings


def _unused_root(path: YamlPath, usages: list[Usage]) -> YamlPath:
    root = path
    for end in range(len(path) - 1, 0, -1):
        prefix = path[:end]
        if any(
            any(used[: len(prefix)] == prefix for used in usage.used) or usage.is_used(prefix)
            for usage in usages
        ):
            break
        root = prefix
    return root


def _under(path: YamlPath, prefixes: Iterable[YamlPath]) -> bool:
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


def _models(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, BaseModel]]:
    if isinstance(value, BaseModel):
        yield path, value
        for name in type(value).model_fields:
            yield from _models(getattr(value, name), (*path, name))
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _models(item, (*path, index))
    elif isinstance(value, Mapping):
        return


def view_context(usage: Usage, names: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level names of a clause context, each noting its use."""
    return {name: usage.top_level(name, value) for name, value in names.items()}
