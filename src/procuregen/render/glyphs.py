"""No blank glyphs: every character the PDF prints must be in one of the template's fonts.

WeasyPrint draws a character that no font has as empty space, yet keeps it in the text
layer: a name can read whole when copied and be half missing on paper. So before any layout
the text of the HTML, and the strings its CSS prints, are checked against the fonts the
template's stylesheets name (`render/fonts.py`). A character none of them has is reported
where it was written: at the spec value (`supplier.name`), in the clause file, or else at
the template.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from procuregen.errors import Location, Problem, RenderError, sorted_problems
from procuregen.render.fonts import TemplateFonts, template_fonts
from procuregen.render.stylesheets import Stylesheet, linked_stylesheet, read_declarations
from procuregen.validation import field_path
from procuregen.yamlsource import LocatedDocument

if TYPE_CHECKING:
    from procuregen.agreement import Agreement, Block, NumberedClause, Run
    from procuregen.library import Library

# Characters a renderer shows without a glyph of their own: format controls (joiners,
# marks, soft hyphens), line breaks, variation selectors and the Hangul fillers.
_UNDRAWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_UNDRAWN = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0}) | frozenset(range(0xFE00, 0xFE10))
FONT_HELP = "docs/templates.md, Fonts"


@dataclass(frozen=True)
class Origin:
    """A text the agreement may print, and where a person wrote it."""

    location: Location
    field: str  # `supplier.name`, `clause payment-terms`
    text: str
    verbatim: bool = False  # `text` is the file's own, from `location` on: offsets are places
    rendered: bool = False  # text after rendering: consulted only when no written text has it


def check_glyphs(html: str, root: Path, origins: Sequence[Origin] = ()) -> None:
    """Raise a RenderError naming each printed character that no font of the template has."""
    page = _PrintedPage()
    page.feed(html)
    page.close()
    sheets = [Stylesheet(text, root) for text in page.styles]
    sheets += [s for s in (linked_stylesheet(href, root, root) for href in page.links) if s]
    declarations = read_declarations(sheets, root)
    printed = {c for c in {*"".join(page.text), *declarations.printed} if _drawn(c)}
    where = Location(str(root / "agreement.html"))
    fonts = template_fonts(declarations, where)
    lacking = sorted(c for c in printed if ord(c) not in fonts.coverage)
    if lacking:
        raise RenderError(sorted_problems(_problems(lacking, fonts, origins, where)))


def printed_origins(
    spec: LocatedDocument | None, library: Library | None, agreement: Agreement
) -> tuple[Origin, ...]:
    """Where the agreement's text was written: spec values, library.yaml, the clause files
    (front matter and body, in each language), and last the clauses as rendered."""
    origins = list(located_values(spec)) if spec is not None else []
    clauses = [c for a in (agreement, agreement.parallel) if a is not None for c in a.clauses]
    files: dict[str, str] = {}
    if library is not None:
        origins += located_values(library.index)
        for clause_id in dict.fromkeys(c.id for c in clauses):
            clause = library.clauses.get(clause_id)
            if clause is None:
                continue
            files[clause_id] = clause.file
            for text in (clause, *clause.translations.values()):
                origins += located_values(text.front, f"clause {clause_id}: ")
                where = Location(text.file, text.body_line, 1)
                origins.append(Origin(where, f"clause {clause_id}", text.body, verbatim=True))
    for numbered in clauses:
        where = Location(files.get(numbered.id, numbered.path))
        origins.append(
            Origin(where, f"clause {numbered.id}", _clause_text(numbered), rendered=True)
        )
    return tuple(origins)


def located_values(doc: LocatedDocument, prefix: str = "") -> Iterator[Origin]:
    """Every text value of a YAML document, at its place, named by its field path."""

    def walk(value: object, path: tuple[str | int, ...]) -> Iterator[Origin]:
        if isinstance(value, str):
            yield Origin(doc.locate(path), prefix + field_path(path), value)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*path, index))

    return walk(doc.data, ())


class _PrintedPage(HTMLParser):
    """The text an HTML page prints (outside its head, styles and scripts), its `<style>`
    elements and the stylesheets it links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.styles: list[str] = []
        self.links: list[str] = []
        self._head = False
        self._raw: str | None = None  # inside <style> or <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "head":
            self._head = True
        elif tag == "body":
            self._head = False
        elif tag in ("style", "script"):
            self._raw = tag
        elif tag == "link" and _is_stylesheet(attributes):
            self.links.append(str(attributes["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None
        elif tag == "head":
            self._head = False

    def handle_data(self, data: str) -> None:
        if self._raw == "style":
            self.styles.append(data)
        elif self._raw is None and not self._head:
            self.text.append(data)


def _is_stylesheet(attributes: dict[str, str | None]) -> bool:
    rel = (attributes.get("rel") or "").lower().split()
    return "stylesheet" in rel and bool(attributes.get("href"))


def _drawn(character: str) -> bool:
    code = ord(character)
    return not (
        unicodedata.category(character) in _UNDRAWN_CATEGORIES
        or code in _UNDRAWN
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
    )


def _problems(
    lacking: list[str], fonts: TemplateFonts, origins: Sequence[Origin], where: Location
) -> Iterator[Problem]:
    """One problem per written value holding such characters, one per character in a file."""
    held: dict[Origin, list[str]] = {}
    for character in lacking:
        holders = [o for o in origins if not o.rendered and character in o.text]
        holders = holders or [o for o in origins if o.rendered and character in o.text]
        for origin in holders:
            held.setdefault(origin, []).append(character)
        if not holders:
            yield Problem(where, f"template: {_name(character)} {_advice(fonts)}")
    for origin, characters in held.items():
        if origin.verbatim:
            for character in characters:
                at = _place(origin, origin.text.index(character))
                yield Problem(at, f"{origin.field}: {_name(character)} {_advice(fonts)}")
            continue
        characters.sort(key=origin.text.index)
        names = [f"{_name(c)} (character {origin.text.index(c) + 1})" for c in characters]
        advice = _advice(fonts, plural=len(names) > 1)
        yield Problem(origin.location, f"{origin.field}: {_and(names)} {advice}")


def _advice(fonts: TemplateFonts, *, plural: bool = False) -> str:
    """What is wrong, and what to do about it."""
    it = "them" if plural else "it"
    advice = (
        f"cannot be printed: none of the template's fonts has {it} ({', '.join(fonts.families)}); "
        f"write {it} another way, or add a font that has {it} to the template's font-family "
        f"({FONT_HELP})"
    )
    if fonts.missing:
        advice += (
            f"; not installed: {', '.join(fonts.missing)} (the bundled template's fonts are "
            "Debian's fonts-liberation2, fonts-dejavu-core, fonts-noto-core and fonts-noto-cjk)"
        )
    return advice


def _name(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, '(no name)')}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _place(origin: Origin, offset: int) -> Location:
    """The line and column of `offset` in a verbatim text that starts at its location."""
    before = origin.text[:offset]
    line = origin.location.line + before.count("\n")
    column = (
        offset - (before.rfind("\n") + 1) + (origin.location.column if "\n" not in before else 1)
    )
    return Location(origin.location.file, line, column)


def _clause_text(clause: NumberedClause) -> str:
    return "\n".join([clause.title, *(_block_text(b) for b in clause.blocks)])


def _block_text(block: Block) -> str:
    from procuregen.agreement import Definitions, ItemList, Paragraph, Table

    if isinstance(block, Paragraph):
        return _runs(block.runs)
    if isinstance(block, ItemList):
        return "\n".join(
            _runs(i.runs) + ("\n" + _block_text(i.sublist) if i.sublist else "")
            for i in block.items
        )
    if isinstance(block, Table):
        return "\n".join(_runs(cell) for row in (block.header, *block.rows) for cell in row)
    if isinstance(block, Definitions):
        return "\n".join(f"{e.term} {_runs(e.runs)}" for e in block.entries)
    return ""  # pragma: no cover - Block has no other kind


def _runs(runs: Iterable[Run]) -> str:
    return "".join(run.text for run in runs)
