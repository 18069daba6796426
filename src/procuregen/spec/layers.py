"""Layered specs: `extends: agencies/exampleby.yaml` merges a spec over the one it names.

The child's values override the parent's; mappings merge key by key; a list, a scalar or a
null in the child replaces the parent's value whole. Every value keeps the place of the
file that wrote it, so errors and warnings point into the right layer. The path is
relative to the spec that writes it and must stay inside the project folder (the folder of
the project configuration, else the first spec's folder). Chains are allowed up to
MAX_DEPTH files; a cycle is an error naming the chain.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FsPath

from procuregen.errors import Location, Problem, SpecError
from procuregen.validation import field_path
from procuregen.yamlsource import LocatedDocument, Path, load_bytes, value_at

EXTENDS = "extends"
MAX_DEPTH = 10


def resolve_layers(
    path: FsPath, doc: LocatedDocument
) -> tuple[LocatedDocument, tuple[FsPath, ...]]:
    """The spec at `path` merged over every spec it extends, and the chain of files.

    The chain starts with `path` itself; `extends` is removed from the merged document.
    """
    if not isinstance(doc.data, dict) or EXTENDS not in doc.data:
        return doc, (path,)
    from procuregen.config import project_root

    root = project_root(path).resolve()
    layers: list[tuple[FsPath, LocatedDocument]] = [(path, doc)]
    seen = [path.resolve()]
    while isinstance(doc.data, dict) and EXTENDS in doc.data:
        parent = _parent_path(path, doc, root, seen)
        if len(layers) >= MAX_DEPTH:
            raise SpecError(
                Problem(
                    _at(doc),
                    f"extends: more than {MAX_DEPTH} layers "
                    f"({' -> '.join(str(p) for p, _ in layers)} -> {parent} ...)",
                )
            )
        try:
            raw = parent.read_bytes()
        except OSError as exc:
            raise SpecError(
                Problem(_at(doc), f"extends: cannot read {str(parent)!r}: {exc.strerror}")
            ) from None
        path, doc = parent, load_bytes(str(parent), raw, SpecError)
        if not isinstance(doc.data, dict):
            raise SpecError(Problem(Location(doc.file, 1, 1), "a spec must be a YAML mapping"))
        seen.append(parent.resolve())
        layers.append((path, doc))
    merged = _without_extends(layers[-1][1])
    for _, layer in reversed(layers[:-1]):
        merged = merge(merged, _without_extends(layer))
    return merged, tuple(p for p, _ in layers)


def _at(doc: LocatedDocument) -> Location:
    return doc.values.get((EXTENDS,)) or doc.locate((EXTENDS,))


def _parent_path(path: FsPath, doc: LocatedDocument, root: FsPath, seen: list[FsPath]) -> FsPath:
    name = doc.data[EXTENDS]
    where = _at(doc)
    if not isinstance(name, str):
        raise SpecError(Problem(where, "extends: the path of one spec file, relative to this one"))
    if FsPath(name).is_absolute():
        raise SpecError(
            Problem(where, f"extends: {name!r} must be relative to this spec, not absolute")
        )
    parent = FsPath(os.path.normpath(path.parent / name))
    target = parent.resolve()
    if not target.is_relative_to(root):
        raise SpecError(Problem(where, f"extends: {name!r} is outside the project folder {root}"))
    if target in seen:
        chain = " -> ".join(str(p) for p in [*_shown(seen, root), _shown([target], root)[0]])
        raise SpecError(Problem(where, f"extends: a cycle: {chain}"))
    return parent


def _shown(paths: list[FsPath], root: FsPath) -> list[FsPath]:
    return [p.relative_to(root) if p.is_relative_to(root) else p for p in paths]


def _without_extends(doc: LocatedDocument) -> LocatedDocument:
    if not isinstance(doc.data, dict) or EXTENDS not in doc.data:
        return doc
    data = {k: v for k, v in doc.data.items() if k != EXTENDS}
    values = {p: loc for p, loc in doc.values.items() if p[:1] != (EXTENDS,)}
    keys = {p: loc for p, loc in doc.keys.items() if p[:1] != (EXTENDS,)}
    return LocatedDocument(doc.file, data, values, keys)


def merge(parent: LocatedDocument, child: LocatedDocument) -> LocatedDocument:
    """`child` over `parent`: mappings merge key by key, anything else in `child` replaces.

    Each value and key keeps the location (and so the file) of the layer that wrote it.
    """
    replaced: set[Path] = set()

    def walk(old: object, new: object, at: Path) -> object:
        if isinstance(old, dict) and isinstance(new, dict):
            result = dict(old)
            for key, value in new.items():
                result[key] = walk(old[key], value, (*at, key)) if key in old else value
            return result
        replaced.add(at)
        return new

    data = walk(parent.data, child.data, ())

    def shadowed(path: Path, written: Mapping[Path, Location]) -> bool:
        return path in written or any(path[:end] in replaced for end in range(len(path) + 1))

    values = {p: loc for p, loc in parent.values.items() if not shadowed(p, child.values)}
    values.update(child.values)
    keys = {p: loc for p, loc in parent.keys.items() if not shadowed(p, child.keys)}
    keys.update(child.keys)
    return LocatedDocument(child.file, data, values, keys)


def value_sources(source: LocatedDocument) -> dict[str, str]:
    """For each value written (`field.path` of a scalar or an empty list or mapping), its file."""
    sources: dict[str, str] = {}
    for path, where in sorted(source.values.items(), key=lambda item: item[1]):
        if path and not _is_container(value_at(source.data, path)):
            sources[field_path(path)] = where.file
    return dict(sorted(sources.items()))


def _is_container(value: object) -> bool:
    return isinstance(value, dict | list) and bool(value)
