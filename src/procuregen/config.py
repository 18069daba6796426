"""Project configuration: `procuregen.toml`, or `[tool.procuregen]` in a `pyproject.toml`.

The nearest one in a spec's folder or a parent folder counts; the search stops at the
filesystem root or at a folder holding `.git` (the top of a repository). Relative paths
are relative to the file that names them. Every value keeps the place it was written,
so `procuregen config` can say where it came from and errors point into the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from procuregen.errors import (
    AssemblyError,
    LibraryError,
    Location,
    Problem,
    ProcuregenError,
    sorted_problems,
)
from procuregen.resources import bundled_root

if TYPE_CHECKING:
    from procuregen.spec.load import SpecFile

CONFIG_FILE = "procuregen.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "procuregen")
Format = Literal["docx", "pdf"]
PathText = Annotated[str, StringConstraints(min_length=1)]
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ConfigError(ProcuregenError):
    """The project configuration is not valid."""


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file and the table in it that holds procuregen's settings."""

    path: Path
    table: tuple[str, ...] = ()  # () for procuregen.toml, ("tool", "procuregen") in pyproject

    @property
    def root(self) -> Path:
        """The project folder: the folder of the configuration file."""
        return self.path.parent


class ProjectConfig(BaseModel):
    """The resolved configuration: absolute paths, and where each value was written."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    file: Path | None = Field(None, description="The configuration file; None: defaults only.")
    root: Path | None = Field(None, description="The project folder (the file's folder).")
    libraries: Mapping[str, Path] = Field(default_factory=dict, description="Library id: folder.")
    templates: Mapping[str, Path] = Field(default_factory=dict, description="Template id: folder.")
    output_folder: Path | None = Field(None, description="Default output folder of `draft`.")
    output_formats: tuple[Format, ...] | None = Field(
        None, description="Default formats when neither --format nor the spec names them."
    )
    sources: Mapping[str, Location] = Field(
        default_factory=dict,
        description="For each value (`libraries.ID`, `templates.ID`, `output.folder`, "
        "`output.formats`), where it was written; a value not here is a default.",
    )

    def source(self, field: str) -> str:
        """`file:line:col` of the value, or `default`."""
        found = self.sources.get(field)
        return str(found) if found is not None else "default"


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    folder: PathText | None = None
    formats: list[Format] | None = Field(None, min_length=1)


class _RawConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    libraries: dict[str, PathText] = Field(default_factory=dict)
    templates: Any = None  # a list of folders or a table of id = folder: checked on its own
    output: _Output = Field(default_factory=_Output)


# --- finding the file -------------------------------------------------------------------


def find_config_file(start: Path) -> ConfigFile | None:
    """The nearest configuration at or above `start` (a file's folder, or a folder)."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    while True:
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return ConfigFile(candidate)
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_procuregen_table(pyproject):
            return ConfigFile(pyproject, PYPROJECT_TABLE)
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def project_root(spec: Path) -> Path:
    """The project folder of a spec: its configuration file's folder, else its own folder."""
    found = find_config_file(spec.parent)
    return found.root if found else spec.parent.resolve()


def _has_procuregen_table(pyproject: Path) -> bool:
    """A `[tool.procuregen]` table; a broken pyproject.toml is reported only when it has one."""
    text = _read_text(pyproject)
    if not _TOOL_TABLE.search(text):
        try:
            return _table(tomllib.loads(text), PYPROJECT_TABLE) is not None
        except tomllib.TOMLDecodeError:
            return False
    _parse(pyproject, text)
    return True


_TOOL_TABLE = re.compile(r"^\s*\[\s*tool\s*\.\s*procuregen\b", re.MULTILINE)


# --- what the configuration names ---------------------------------------------------------


def bundled_ids(kind: Literal["clauses", "templates"]) -> list[str]:
    """The ids of the bundled libraries (`clauses`) or templates."""
    root = bundled_root(kind)
    marker = "library.yaml" if kind == "clauses" else None
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and (marker is None or (p / marker).is_file())
    )


def configured_library(spec_file: SpecFile, library_id: str) -> Path | None:
    """The folder the project configuration names for `library_id`; None for a bundled one.

    A library id that is neither configured nor bundled is an error at the spec's
    `library:` line, listing the libraries that are known.
    """
    return library_folder(library_id, spec_file.path, spec_file.locate(("library",)))


def library_folder(library_id: str, start: Path, where: Location | None = None) -> Path | None:
    """The configured folder of `library_id` for a spec or folder at `start`; None: bundled.

    Unknown ids are an error at `where` (default: `start`), listing the known libraries.
    """
    config = resolve_config(start)
    folder = config.libraries.get(library_id)
    key = f"libraries.{library_id}"
    if folder is not None:
        if not (folder / "library.yaml").is_file():
            raise LibraryError(
                Problem(
                    config.sources.get(key) or Location(str(config.file)),
                    f"{key}: no library.yaml in {folder}",
                )
            )
        return folder
    bundled = bundled_ids("clauses")
    if library_id in bundled:
        return None
    known = [f"{i} ({config.source(f'libraries.{i}')})" for i in sorted(config.libraries)]
    known += [f"{i} (bundled)" for i in bundled]
    advice = (
        f"add it under [libraries] in {config.file}"
        if config.file
        else f"no {CONFIG_FILE} names libraries for this spec; add one with [libraries] "
        f'{library_id} = "path/to/library"'
    )
    raise AssemblyError(
        Problem(
            where or Location(str(start)),
            f"library: unknown library {library_id!r}; known libraries: {', '.join(known)}; "
            f"{advice}, or use --library",
        )
    )


def output_formats(spec_file: SpecFile) -> tuple[str, ...]:
    """The formats to draft when no --format is given: the spec's own `output.formats` when
    it (or a layer it extends) writes them, else the configuration's, else the default."""
    if ("output", "formats") not in spec_file.source.values:
        configured = resolve_config(spec_file.path).output_formats
        if configured:
            return configured
    return tuple(spec_file.spec.output.formats)


def output_folder(start: Path, given: Path | None) -> Path:
    """Where `draft` writes: -o when given, else the configuration's folder, else here."""
    if given is not None:
        return given
    return resolve_config(start).output_folder or Path()


# --- reading and validating ---------------------------------------------------------------


def resolve_config(start: Path) -> ProjectConfig:
    """The configuration that applies at `start` (a spec, or a folder); defaults if none."""
    found = find_config_file(start)
    if found is None:
        return ProjectConfig()
    return read_config(found)


def read_config(config_file: ConfigFile) -> ProjectConfig:
    """Parse and validate one configuration file; raise ConfigError naming every problem."""
    path = config_file.path
    text = _read_text(path)
    document = _parse(path, text)
    data = _table(document, config_file.table)
    if data is None:
        data = {}
    where = _Locator(str(path), text, config_file.table)
    problems: list[Problem] = []
    raw: _RawConfig | None = None
    try:
        raw = _RawConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(where.problems(exc, _RawConfig))
    given_templates = data.get("templates", [])
    template_folders: list[str] | dict[str, str] = []
    if isinstance(given_templates, list):
        adapter: TypeAdapter[Any] = _TEMPLATE_LIST
    elif isinstance(given_templates, dict):
        adapter = _TEMPLATE_TABLE
    else:
        adapter = _TEMPLATE_LIST
        problems.append(
            Problem(
                where.locate(("templates",)),
                "templates: a list of template folders, or a table of id = folder",
            )
        )
        given_templates = []
    try:
        template_folders = adapter.validate_python(given_templates)
    except ValidationError as exc:
        problems.extend(where.problems(exc, _RawConfig, ("templates",)))
    if raw is not None:
        problems.extend(_bad_ids(raw, template_folders, where))
    if problems or raw is None:
        raise ConfigError(sorted_problems(problems))
    base = path.parent
    sources: dict[str, Location] = {}
    libraries: dict[str, Path] = {}
    for library_id, folder in raw.libraries.items():
        libraries[library_id] = _relative(base, folder)
        sources[f"libraries.{library_id}"] = where.locate(("libraries", library_id))
    templates: dict[str, Path] = {}
    if isinstance(template_folders, list):
        for index, folder in enumerate(template_folders):
            resolved = _relative(base, folder)
            template_id = resolved.name
            if template_id in templates:
                problems.append(
                    Problem(
                        where.locate(("templates", index)),
                        f"templates[{index}]: a second template named {template_id!r}; "
                        "name them with a [templates] table of id = folder",
                    )
                )
            templates[template_id] = resolved
            sources[f"templates.{template_id}"] = where.locate(("templates",))
    else:
        for template_id, folder in template_folders.items():
            templates[template_id] = _relative(base, folder)
            sources[f"templates.{template_id}"] = where.locate(("templates", template_id))
    if problems:
        raise ConfigError(sorted_problems(problems))
    output_folder = None
    if raw.output.folder is not None:
        output_folder = _relative(base, raw.output.folder)
        sources["output.folder"] = where.locate(("output", "folder"))
    if raw.output.formats is not None:
        sources["output.formats"] = where.locate(("output", "formats"))
    return ProjectConfig(
        file=path,
        root=base,
        libraries=libraries,
        templates=templates,
        output_folder=output_folder,
        output_formats=tuple(raw.output.formats) if raw.output.formats else None,
        sources=sources,
    )


def _bad_ids(
    raw: _RawConfig, templates: list[str] | dict[str, str], where: _Locator
) -> list[Problem]:
    problems = []
    named = [("libraries", i) for i in raw.libraries]
    if isinstance(templates, dict):
        named += [("templates", i) for i in templates]
    for table, name in named:
        if not _SLUG.match(name):
            problems.append(
                Problem(
                    where.locate((table, name)),
                    f"{table}.{name}: an id is lower-case letters and digits joined by "
                    "single hyphens",
                )
            )
    return problems


def _relative(base: Path, value: str) -> Path:
    return Path(os.path.normpath(base / Path(value).expanduser()))


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(Problem(Location(str(path)), f"cannot read: {exc.strerror}")) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(Problem(Location(str(path), line, column), "not UTF-8 text")) from None


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_AT.search(message)
        where = Location(str(path), 1, 1)
        if found:
            where = Location(str(path), int(found.group(1)), int(found.group(2)))
            message = message[: found.start()]
        message = message.replace(" (at end of document)", "")
        raise ConfigError(Problem(where, f"invalid TOML: {message}")) from None


def _table(document: dict[str, Any], table: tuple[str, ...]) -> dict[str, Any] | None:
    current: Any = document
    for part in table:
        current = current.get(part) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else None


# --- locating a key in TOML text ------------------------------------------------------------

_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ASSIGN = re.compile(rf"^(\s*)({_DOTTED})\s*=")


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class _Locator:
    """tomllib keeps no positions: find the line that writes a key by reading the text."""

    def __init__(self, file: str, text: str, table: tuple[str, ...]) -> None:
        self.file = file
        self.lines = text.splitlines()
        self.table = table

    def locate(self, path: tuple[str | int, ...]) -> Location:
        keys: list[str] = list(self.table)
        for part in path:
            if isinstance(part, int):
                break
            keys.append(part)
        best: tuple[int, int, int] | None = None  # matched length, line, column
        current: tuple[str, ...] = ()
        for number, line in enumerate(self.lines, 1):
            candidate: tuple[str, ...] | None = None
            column = 1
            if line.lstrip().startswith("[["):
                current = ("\0",)  # an array of tables: nothing of ours is in it
                continue
            if header := _HEADER.match(line):
                current = _key_parts(header.group(1))
                candidate, column = current, line.index("[") + 1
            elif assign := _ASSIGN.match(line):
                candidate = current + _key_parts(assign.group(2))
                column = len(assign.group(1)) + 1
                if tuple(keys[: len(candidate)]) == candidate and len(candidate) < len(keys):
                    # an inline table: point at the inner key when it is on this line
                    inner = re.search(
                        rf"""(?<![\w"'-])["']?{re.escape(keys[len(candidate)])}["']?\s*=""",
                        line[assign.end() :],
                    )
                    if inner:
                        column = assign.end() + inner.start() + 1
                        candidate = (*candidate, keys[len(candidate)])
            if candidate is None or tuple(keys[: len(candidate)]) != candidate:
                continue
            if best is None or len(candidate) > best[0]:
                best = (len(candidate), number, column)
        return Location(self.file, best[1], best[2]) if best else Location(self.file, 1, 1)

    def problems(
        self, exc: ValidationError, model: type[BaseModel], prefix: tuple[str, ...] = ()
    ) -> list[Problem]:
        problems = []
        for error in exc.errors(include_url=False):
            loc = (*prefix, *(p for p in error["loc"] if p != "[key]"))
            kind = error["type"]
            if kind == "extra_forbidden":
                allowed = _fields_at(model, loc[:-1])
                message = "unknown setting" + (
                    f" (expected one of: {', '.join(allowed)})" if allowed else ""
                )
            elif kind in ("string_type", "string_too_short"):
                message = "must be a non-empty string (a path)"
            else:
                message = error["msg"]
            problems.append(Problem(self.locate(loc), f"{_field(loc)}: {message}"))
        return problems


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return list(current.model_fields)


def _field(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_TEMPLATE_LIST: TypeAdapter[list[str]] = TypeAdapter(list[PathText], config=ConfigDict(strict=True))
_TEMPLATE_TABLE: TypeAdapter[dict[str, str]] = TypeAdapter(
    dict[str, PathText], config=ConfigDict(strict=True)
)
