"""What a template's stylesheets say about type: its font families, its own font files, and
the text the CSS prints itself.

A template declares its fonts in CSS, nowhere else: every family a `font-family` (or `font`)
declaration names, in the order written, and the files of each `@font-face`. Only the
stylesheets WeasyPrint applies are read: the HTML's `<style>` elements and `<link
rel="stylesheet">` files, and what they `@import`, each inside the template folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

# CSS keywords that stand for the renderer's choice of font rather than a family's name.
GENERIC_FAMILIES = frozenset(
    {
        "serif",
        "sans-serif",
        "monospace",
        "cursive",
        "fantasy",
        "system-ui",
        "ui-serif",
        "ui-sans-serif",
        "ui-monospace",
        "ui-rounded",
        "math",
        "emoji",
        "fangsong",
    }
)
_NOT_FAMILIES = frozenset({"inherit", "initial", "unset", "revert", "revert-layer", "default"})
_SIZE_KEYWORDS = frozenset(
    {"xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large"}
    | {"smaller", "larger"}
)
MAX_IMPORTS = 50  # a stylesheet that imports itself, or a long chain, stops here


@dataclass(frozen=True)
class Stylesheet:
    """CSS text, and the folder its relative URLs are resolved against."""

    text: str
    base: Path


@dataclass(frozen=True)
class FontFace:
    """An `@font-face` rule: a family name and its sources (template files or `local()`)."""

    family: str
    files: tuple[Path, ...]
    local: tuple[str, ...]
    embedded: tuple[bytes, ...] = ()  # fonts written into the CSS as `data:` URLs


@dataclass(frozen=True)
class TypeDeclarations:
    """The fonts a template's stylesheets declare, and the strings they print themselves."""

    families: tuple[str, ...]  # every family named, in order of first use; generics in lowercase
    faces: tuple[FontFace, ...]
    printed: str  # the strings of `content:` and `quotes:` (running headers, page labels)


def read_declarations(sheets: Sequence[Stylesheet], root: Path) -> TypeDeclarations:
    """The families, `@font-face` rules and printed strings of `sheets` and their imports."""
    import tinycss2

    families: dict[str, None] = {}
    faces: list[FontFace] = []
    printed: list[str] = []
    queue = list(sheets)
    seen = 0
    while queue and seen < MAX_IMPORTS:
        sheet = queue.pop(0)
        seen += 1
        rules = tinycss2.parse_stylesheet(sheet.text, skip_comments=True, skip_whitespace=True)
        for rule in rules:
            if rule.type == "at-rule" and rule.lower_at_keyword == "import":
                queue.extend(_imported(rule.prelude, sheet.base, root))
            elif rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
                face = _font_face(_declarations(rule.content), sheet.base, root)
                if face is not None:
                    faces.append(face)
                    families.setdefault(face.family)
                continue
            for declaration in _declarations(rule.content):
                name = declaration.lower_name
                if name == "font-family":
                    families.update(dict.fromkeys(_families(declaration.value)))
                elif name == "font":
                    families.update(
                        dict.fromkeys(_families(_shorthand_families(declaration.value)))
                    )
                elif name in ("content", "quotes"):
                    printed.extend(_strings(declaration.value))
    # A stylesheet that names no family leaves the text in CSS's initial font, `serif`.
    return TypeDeclarations(tuple(families) or ("serif",), tuple(faces), "".join(printed))


def _declarations(content: list[Any] | None) -> Iterator[Any]:
    """Every declaration in a block, nested rules (`@page`, `@media`, margin boxes) included."""
    import tinycss2

    if content is None:
        return
    for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            yield item
        elif item.type in ("qualified-rule", "at-rule"):
            yield from _declarations(item.content)


def _split_commas(tokens: Iterable[Any]) -> list[list[Any]]:
    parts: list[list[Any]] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        elif token.type not in ("whitespace", "comment"):
            parts[-1].append(token)
    return parts


def _families(tokens: Iterable[Any]) -> Iterator[str]:
    """The family names of a `font-family` value: a quoted name, or identifiers joined."""
    for part in _split_commas(tokens):
        if len(part) == 1 and part[0].type == "string":
            yield part[0].value
        elif part and all(token.type == "ident" for token in part):
            name = " ".join(token.value for token in part)
            lowered = name.lower()
            if lowered in GENERIC_FAMILIES:
                yield lowered
            elif lowered not in _NOT_FAMILIES:
                yield name


def _shorthand_families(tokens: list[Any]) -> list[Any]:
    """The family list of a `font` shorthand: what follows its size (and line height)."""
    meaningful = [t for t in tokens if t.type not in ("whitespace", "comment")]
    first_comma = next(
        (i for i, t in enumerate(meaningful) if t.type == "literal" and t.value == ","),
        len(meaningful),
    )
    size_at = -1
    for index, token in enumerate(meaningful[:first_comma]):
        is_size = token.type in ("dimension", "percentage", "number") or (
            token.type == "ident" and token.lower_value in _SIZE_KEYWORDS
        )
        if is_size or (token.type == "literal" and token.value == "/"):
            size_at = index
    if size_at < 0:
        return []  # a system font keyword (`font: caption`) names no family
    return meaningful[size_at + 1 :]


def _strings(tokens: Iterable[Any]) -> Iterator[str]:
    for token in tokens:
        if token.type == "string":
            yield token.value
        elif token.type == "function":
            yield from _strings(token.arguments)


def _url(token: Any) -> str | None:
    if token.type in ("url", "string"):
        return str(token.value)
    if token.type == "function" and token.lower_name == "url":
        inner = [t for t in token.arguments if t.type == "string"]
        return str(inner[0].value) if inner else None
    return None


def _inside(url: str, base: Path, root: Path) -> Path | None:
    """The template file a relative URL names; None for anything else (the fetcher refuses it)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = (base / unquote(parts.path)).resolve()
    return path if path.is_relative_to(root.resolve()) and path.is_file() else None


def linked_stylesheet(url: str, base: Path, root: Path) -> Stylesheet | None:
    """The stylesheet a `<link>` or `@import` names, when it is a file of the template."""
    path = _inside(url, base, root)
    if path is None:
        return None
    return Stylesheet(path.read_text(encoding="utf-8", errors="replace"), path.parent)


def _imported(prelude: list[Any], base: Path, root: Path) -> Iterator[Stylesheet]:
    urls = [url for url in map(_url, prelude) if url]
    sheet = linked_stylesheet(urls[0], base, root) if urls else None
    if sheet is not None:
        yield sheet


def _font_face(declarations: Iterable[Any], base: Path, root: Path) -> FontFace | None:
    family: str | None = None
    files: list[Path] = []
    local: list[str] = []
    embedded: list[bytes] = []
    for declaration in declarations:
        if declaration.lower_name == "font-family":
            family = next(_families(declaration.value), None)
        elif declaration.lower_name == "src":
            for source in _split_commas(declaration.value):
                if not source:
                    continue
                if source[0].type == "function" and source[0].lower_name == "local":
                    local.extend(_families(source[0].arguments))
                    continue
                url = _url(source[0]) or ""
                data = _data(url)
                path = _inside(url, base, root) if url and data is None else None
                if data is not None:
                    embedded.append(data)
                elif path is not None:
                    files.append(path)
    if family is None:
        return None
    return FontFace(family, tuple(files), tuple(local), tuple(embedded))


def _data(url: str) -> bytes | None:
    """The bytes of a `data:` URL; None for any other URL or a broken one."""
    import base64
    import binascii

    if url[:5].lower() != "data:":
        return None
    header, comma, payload = url[5:].partition(",")
    if not comma:
        return None
    if header.lower().endswith(";base64"):
        try:
            return base64.b64decode(payload)
        except (binascii.Error, ValueError):
            return None
    return unquote_to_bytes(payload)
