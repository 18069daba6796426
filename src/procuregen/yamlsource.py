"""Safe, located YAML: every scalar is a string, every node keeps its line and column.

Specs and clause front matter are typed by pydantic, not by YAML, so `NO` stays the
country code and `03000000` stays a CPV code. Tags, anchors, aliases, duplicate keys,
non-UTF-8 input and oversized or deeply nested documents are rejected, and so is every
character the text policy refuses, in a value, a key or a comment, written as itself or
as an escape: all of them in one run, each at its place with its field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from procuregen.errors import Location, Problem, ProcuregenError, SpecError, sorted_problems
from procuregen.textpolicy import (
    FILE,
    LINE,
    MAX_REPORTED,
    TEXT,
    Refusal,
    each_refusal,
    line_and_column,
    refusals,
    refused_characters,
    shown,
)

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Stands in for each refused character while the YAML is parsed: the YAML reader stops at
# some (U+FFFE, C0 controls, ...) and they are to be reported with their field all the same.
# It is refused itself, so in a value it marks a refused character written as itself.
STAND_IN = "\ue000"

try:  # the C parser is several times faster; PyYAML falls back when it is absent
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def value_at(data: Any, path: Path) -> Any:
    """The value at `path` in loaded YAML (dicts, lists, strings); None where there is none."""
    for part in path:
        if isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        elif isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        else:
            return None
    return data


@dataclass(frozen=True)
class LocatedDocument:
    """A YAML document as plain dicts, lists and strings, with the place of every node."""

    file: str
    data: Any
    values: Mapping[Path, Location] = field(default_factory=dict)
    keys: Mapping[Path, Location] = field(default_factory=dict)

    def locate(self, path: Path) -> Location:
        """Where `path` was written; for a missing field, where its nearest parent is."""
        found = self.values.get(path)
        if found is not None:
            return found
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            found = self.keys.get(prefix) or self.values.get(prefix)
            if found is not None:
                return found
        return Location(self.file, 1, 1)


class _Composer:
    def __init__(
        self,
        file: str,
        text: str,
        refused: dict[str, str],
        events: Iterator[yaml.Event],
        error_class: type[ProcuregenError],
    ):
        self.file = file
        self.text = text  # as written, before the refused characters were stood in for
        self.refused_characters = refused
        self.events = events
        self.error_class = error_class
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.nodes = 0
        self.refused: list[Problem] = []  # text policy: reported together, after parsing
        self.claimed: set[int] = set()  # indices of refused characters reported with a field

    def where(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def fail(self, mark: Any, message: str) -> ProcuregenError:
        return self.error_class(Problem(self.where(mark), message))

    def next(self) -> yaml.Event:
        return next(self.events)

    def document(self) -> Any:
        event = self.next()
        if not isinstance(event, yaml.StreamStartEvent):  # pragma: no cover - parser contract
            raise self.fail(event.start_mark, "not a YAML stream")
        event = self.next()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        assert isinstance(event, yaml.DocumentStartEvent)
        if event.tags:
            raise self.fail(event.start_mark, "YAML %TAG directives are not allowed")
        data = self.node(self.next(), (), 0)
        self.next()  # DocumentEndEvent
        event = self.next()
        if not isinstance(event, yaml.StreamEndEvent):
            raise self.fail(event.start_mark, "only one YAML document is allowed per file")
        return data

    def node(self, event: yaml.Event, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(event.start_mark, f"too many YAML nodes (more than {MAX_NODES})")
        if depth > MAX_DEPTH:
            raise self.fail(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(event, yaml.AliasEvent):
            raise self.fail(event.start_mark, "YAML aliases (*name) are not allowed")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self.fail(event.start_mark, "YAML anchors (&name) are not allowed")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise self.fail(event.start_mark, f"YAML tags are not allowed (found {tag})")
        self.values[path] = self.where(event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            self.check_text(event, path, TEXT)
            if not event.style and event.value in NULLS:  # plain style: None or "" by parser
                return None
            return event.value
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            while not isinstance(event := self.next(), yaml.SequenceEndEvent):
                items.append(self.node(event, (*path, len(items)), depth + 1))
            return items
        if isinstance(event, yaml.MappingStartEvent):
            return self.mapping(path, depth)
        raise self.fail(event.start_mark, "unexpected YAML content")  # pragma: no cover

    def mapping(self, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while not isinstance(event := self.next(), yaml.MappingEndEvent):
            if not isinstance(event, yaml.ScalarEvent):
                raise self.fail(event.start_mark, "a mapping key must be a plain string")
            key = event.value if STAND_IN not in event.value else self.as_written(event)
            if key in result:
                first = self.keys[(*path, key)]
                raise self.fail(
                    event.start_mark,
                    f"duplicate key {key!r} (first defined at line {first.line})",
                )
            if getattr(event, "anchor", None) is not None or event.tag not in (None, "!"):
                raise self.fail(event.start_mark, "YAML anchors and tags are not allowed")
            self.keys[(*path, key)] = self.where(event.start_mark)
            self.check_text(event, (*path, key), LINE)
            result[key] = self.node(self.next(), (*path, key), depth + 1)
        return result

    def check_text(self, event: yaml.ScalarEvent, path: Path, controls: str) -> None:
        """Note each refused character of a value or key: one written as itself at its place
        in the file, one written as an escape (such as "\\u202e") at the scalar."""
        from procuregen.validation import field_path

        if not self.refused_characters and event.style != '"' and controls != LINE:
            return  # only a double-quoted scalar writes characters the text does not hold
        found = refusals(event.value, controls)
        if not found:
            return
        field = shown(field_path(path)) or "(the document)"
        if controls == LINE:
            field += " (a key)"
        written = self.written_refusals(event)
        for refused in found:
            index = written.pop(0) if refused.char == STAND_IN and written else None
            if index is None:
                where = self.where(event.start_mark)
            else:
                self.claimed.add(index)
                refused = Refusal(
                    refused.offset, self.text[index], self.refused_characters[self.text[index]]
                )
                where = Location(self.file, *line_and_column(self.text, index))
            self.refused.append(Problem(where, f"{field}: {refused.message()}"))

    def as_written(self, event: yaml.ScalarEvent) -> str:
        """A scalar with its refused characters put back: a key, to name it in a message."""
        written = iter([self.text[index] for index in self.written_refusals(event)])
        return "".join(next(written, char) if char == STAND_IN else char for char in event.value)

    def written_refusals(self, event: yaml.ScalarEvent) -> list[int]:
        """Indices in the text of the refused characters a scalar writes as themselves."""
        if STAND_IN not in event.value or not event.start_mark or not event.end_mark:
            return []
        start, end = event.start_mark.index, event.end_mark.index
        return [start + r.offset for r in each_refusal(self.text[start:end], FILE)]


def unclaimed_problems(file: str, text: str, claimed: set[int]) -> list[Problem]:
    """Refused characters of a YAML text outside its values and keys (comments, say)."""
    problems = []
    for refused in each_refusal(text, FILE):
        if refused.offset not in claimed:
            where = Location(file, *line_and_column(text, refused.offset))
            problems.append(Problem(where, refused.message("in the YAML text")))
            if len(problems) == MAX_REPORTED:
                break
    return problems


def decode(file: str, raw: bytes, error_class: type[ProcuregenError] = SpecError) -> str:
    """Bytes to text: UTF-8 only, with the place of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error_class(
            Problem(Location(file, line, column), f"not UTF-8 text (byte offset {exc.start})")
        ) from None


def load_text(
    file: str, text: str, error_class: type[ProcuregenError] = SpecError, *, first_line: int = 1
) -> LocatedDocument:
    """Parse YAML text into a LocatedDocument; `first_line` offsets embedded YAML."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise error_class(Problem(Location(file, 1, 1), f"larger than {MAX_BYTES} bytes"))
    if first_line != 1:
        text = "\n" * (first_line - 1) + text
    refused = refused_characters(text, FILE)
    readable = text.translate({ord(char): STAND_IN for char in refused}) if refused else text
    composer = _Composer(file, text, refused, yaml.parse(readable, Loader=_Loader), error_class)
    try:
        data = composer.document()
    except yaml.YAMLError as exc:
        raise error_class(
            [*unclaimed_problems(file, text, set()), _yaml_problem(file, exc)]
        ) from None
    refused_problems = list(composer.refused)
    if refused:
        refused_problems += unclaimed_problems(file, text, composer.claimed)
    if refused_problems:
        raise error_class(sorted_problems(refused_problems))
    return LocatedDocument(file, data, composer.values, composer.keys)


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        return Problem(where, f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}")
    return Problem(Location(file, 1, 1), f"invalid YAML: {exc}")


def load_bytes(
    file: str, raw: bytes, error_class: type[ProcuregenError] = SpecError
) -> LocatedDocument:
    """Parse YAML bytes (UTF-8 only) into a LocatedDocument."""
    if len(raw) > MAX_BYTES:
        raise error_class(Problem(Location(file, 1, 1), f"larger than {MAX_BYTES} bytes"))
    return load_text(file, decode(file, raw, error_class), error_class)
