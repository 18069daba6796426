"""Clause Markdown to the Agreement's blocks: the subset a contract needs, nothing more.

Paragraphs, numbered and bulleted lists of two levels, bold, italic and tables are
allowed; `[[Term]]`, `[[Term|shown text]]` and `[[#clause-id]]` mark defined terms and
cross-references. Headings, links, images, code, quotes, rules and raw HTML are errors.
Character references (`&#x202E;`, `&shy;`) are held to the text policy for what they
decode to, as markdown-it decodes them; one that names no character is refused too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.entities import entities
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from procuregen.agreement import Block, ItemList, ListItem, Paragraph, Run, Table
from procuregen.textpolicy import LINE, TEXT, refusals

FORBIDDEN = {
    "heading_open": "headings are not allowed in a clause body (the clause title is its heading)",
    "code_block": "code blocks are not allowed in a clause body",
    "fence": "code blocks are not allowed in a clause body",
    "blockquote_open": "block quotes are not allowed in a clause body",
    "hr": "horizontal rules are not allowed in a clause body",
    "html_block": "raw HTML is not allowed in a clause body",
    "html_inline": "raw HTML is not allowed in a clause body",
    "link_open": "links are not allowed in a clause body",
    "image": "images are not allowed in a clause body",
    "code_inline": "inline code is not allowed in a clause body",
    "s_open": "strikethrough is not allowed in a clause body",
}
ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii")
BULLETS = ("\u2022", "\u2013")  # bullet, en dash


class MarkdownError(ValueError):
    """A construct outside the clause subset, at a 1-based line of the parsed text."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Reference:
    """A `[[...]]` found in text: a term use, or a cross-reference when `target` is set."""

    line: int
    term: str | None
    target: str | None
    shown: str | None


def reference_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: `[[...]]` as one `reference` token (a term or `#clause-id`)."""
    src, start = state.src, state.pos
    if not src.startswith("[[", start):
        return False
    end = reference_end(src, start)
    if end < 0:
        return False
    if not silent:
        token = state.push("reference", "", 0)
        token.content = src[start + 2 : end]
    state.pos = end + 2
    return True


def reference_end(src: str, start: int) -> int:
    """Where the `]]` of the reference opening at `start` is, or -1 if none closes there.

    The content of a reference holds no `[` and no line break, so the search stops at the
    next `[`: from every `[[` of a text together it reads each character a bounded number
    of times. (Searching for `]]` up to the end of the text, as before, made a clause body
    of 200 KB of `[[` take a minute to check.)
    """
    bracket = src.find("[", start + 2)
    end = src.find("]]", start + 2, len(src) if bracket < 0 else bracket)
    if end < 0:
        return -1
    inner = src[start + 2 : end]
    return end if inner.strip() and "\n" not in inner else -1


# As markdown-it's entity rule reads them; `\\&` (an escaped ampersand) is no reference.
_CHARACTER_REFERENCE = re.compile(
    r"(?<!\\)((?:\\\\)*)&(?:#(x[0-9a-f]{1,6}|[0-9]{1,7})|([a-z][a-z0-9]{1,31}));", re.I
)


def entity_refusal(markup: str) -> str | None:
    """Why the character reference `markup` (`&#x202E;`, `&shy;`) may not stand in a clause,
    or None. markdown-it prints U+FFFD for a number that is no character; it is refused."""
    if markup.startswith("&#"):
        digits = markup[2:-1]
        code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
        if code > 0x10FFFF:
            return f"{markup} is not a Unicode character (above U+10FFFF); delete it"
        decoded = chr(code)
    else:
        decoded = entities.get(markup[1:-1], "")
    found = refusals(decoded, LINE)
    return found[0].message(f"written as {markup}") if found else None


def entity_refusals(text: str) -> Iterator[tuple[int, str]]:
    """(offset, message) of each character reference in Markdown text that decodes to a
    refused character: the check of a clause file as it is read, before any rendering."""
    if "&" not in text:
        return
    for match in _CHARACTER_REFERENCE.finditer(text):
        start = match.start() + len(match[1])
        markup = match[0][len(match[1]) :]
        if match[3] is not None and match[3] not in entities:
            continue  # not a reference markdown-it knows: printed as written
        why = entity_refusal(markup)
        if why is not None:
            yield start, why


def _refused_text(state: StateCore) -> None:
    """markdown-it core rule, before text_join: note on each inline token why its text,
    character references decoded, breaks the text policy, for the converter to report.
    Noted once per parse, the verdict is kept with the tokens."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        text = []
        for child in token.children:
            if child.type == "text_special" and child.info == "entity":
                why = entity_refusal(child.markup)
                if why is not None:
                    token.meta["refused"] = why
                    break
            elif child.type in ("text", "text_special", "reference"):
                text.append(child.content)
        else:
            found = refusals("".join(text), TEXT)
            if found:
                token.meta["refused"] = found[0].message("in the rendered text")


@functools.cache
def parser() -> MarkdownIt:
    """The clause Markdown parser: CommonMark with tables, raw HTML seen (to be refused)."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    md.inline.ruler.before("link", "reference", reference_rule)
    md.core.ruler.before("text_join", "refused_text", _refused_text)
    return md


# The same `[[...]]` as reference_rule: no `[` or line break inside, closed by the first `]]`.
_TERM = re.compile(r"\[\[([^\[\n]*?)\]\]")


def parse(text: str) -> tuple[Token, ...]:
    """Tokens of clause Markdown. The `|` of `[[Term|shown]]` is escaped first, so that a
    term shown otherwise does not split a table cell.

    Kept per process (the tokens are never changed after parsing): in a batch, or in a
    framework whose call-off terms repeat its clauses, most clause texts come again
    unchanged, and parsing is two thirds of turning Markdown into blocks. The cache holds
    the 512 texts used last (about 27 KB each, 14 MiB at most): texts that print a
    spec's own values are new for every spec and must not pile up in a batch worker.
    """
    return _parse(text)


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> tuple[Token, ...]:
    protected = _TERM.sub(lambda m: "[[" + re.sub(r"(?<!\\)\|", r"\\|", m[1]) + "]]", text)
    return tuple(parser().parse(protected))


def parse_reference(content: str) -> tuple[str | None, str | None, str | None]:
    """Split `[[...]]` content: `#id` is a reference, `Term|shown` a term shown otherwise."""
    if content.startswith("#"):
        return None, content[1:].strip(), None
    term, _, shown = content.replace("\\|", "|").partition("|")
    return term.strip(), None, (shown.strip() or None)


def references(text: str) -> Iterator[Reference]:
    """Every `[[...]]` in Markdown text, with its 1-based line; escaped brackets do not count."""
    for token in parse(text):
        if token.type == "inline" and token.children:
            line = token.map[0] + 1 if token.map else 1
            for child in token.children:
                if child.type == "reference":
                    term, target, shown = parse_reference(child.content)
                    yield Reference(line, term, target, shown)


def check_subset(text: str) -> None:
    """Raise MarkdownError for the first construct outside the clause subset. The text
    policy is not checked here: a clause file's text is checked as it is read."""
    _Converter(lambda _: ("", ""), lambda term, shown: shown or term, policy=False).blocks(text)


class _Converter:
    def __init__(
        self,
        number_of: Callable[[str], tuple[str, str]],
        show_term: Callable[[str, str | None], str],
        *,
        policy: bool = True,
    ) -> None:
        self.number_of = number_of
        self.show_term = show_term
        self.policy = policy  # hold the parsed text to the text policy
        self.tokens: tuple[Token, ...] = ()
        self.index = 0
        self.line = 1

    def blocks(self, text: str) -> tuple[Block, ...]:
        self.tokens = parse(text)
        self.index = 0
        result: list[Block] = []
        while self.index < len(self.tokens):
            result.append(self.block(level=0))
        return tuple(result)

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        if token.map:
            self.line = token.map[0] + 1
        if token.type in FORBIDDEN:
            raise MarkdownError(self.line, FORBIDDEN[token.type])
        return token

    def block(self, level: int) -> Block:
        token = self.take()
        if token.type == "paragraph_open":
            runs = self.inline(self.take())
            self.take()  # paragraph_close
            return Paragraph(runs)
        if token.type in ("ordered_list_open", "bullet_list_open"):
            return self.item_list(token.type == "ordered_list_open", level + 1)
        if token.type == "table_open":
            return self.table()
        raise MarkdownError(self.line, f"unexpected {token.type.replace('_', ' ')}")

    def item_list(self, ordered: bool, level: int) -> ItemList:
        if level > 2:
            raise MarkdownError(self.line, "lists may be nested two levels deep, no more")
        items: list[ListItem] = []
        while self.take().type == "list_item_open":
            runs: tuple[Run, ...] = ()
            sublist: ItemList | None = None
            while (inner := self.tokens[self.index]).type != "list_item_close":
                if inner.type == "paragraph_open" and not runs and sublist is None:
                    self.take()
                    runs = self.inline(self.take())
                    self.take()
                elif inner.type in ("ordered_list_open", "bullet_list_open") and sublist is None:
                    self.take()
                    sublist = self.item_list(inner.type == "ordered_list_open", level + 1)
                else:
                    self.take()
                    raise MarkdownError(
                        self.line, "a list item holds one paragraph and at most one nested list"
                    )
            self.take()  # list_item_close
            items.append(ListItem(_label(ordered, level, len(items)), runs, sublist))
        return ItemList(ordered, level, tuple(items))

    def table(self) -> Table:
        header: list[tuple[Run, ...]] = []
        rows: list[tuple[tuple[Run, ...], ...]] = []
        row: list[tuple[Run, ...]] = []
        while (token := self.take()).type != "table_close":
            if token.type == "inline":
                row.append(self.inline(token))
            elif token.type == "tr_close":
                if header:
                    rows.append(tuple(row))
                else:
                    header = row
                row = []
        return Table(tuple(header), tuple(rows))

    def inline(self, token: Token) -> tuple[Run, ...]:
        if self.policy:
            self.hold_to_policy(token)
        runs: list[Run] = []
        bold = italic = False
        for child in token.children or ():
            kind = child.type
            if kind in FORBIDDEN:
                raise MarkdownError(self.line, FORBIDDEN[kind])
            if kind == "strong_open" or kind == "strong_close":
                bold = kind == "strong_open"
            elif kind == "em_open" or kind == "em_close":
                italic = kind == "em_open"
            elif kind == "text":
                runs.append(Run(child.content, bold, italic))
            elif kind in ("softbreak", "hardbreak"):
                runs.append(Run(" ", bold, italic))
            elif kind == "reference":
                term, target, shown = parse_reference(child.content)
                if target is not None:
                    text, anchor = self.number_of(target)
                    runs.append(Run(text, bold, italic, target=anchor))
                else:
                    assert term is not None
                    runs.append(Run(self.show_term(term, shown), bold, italic, term=term))
            else:
                raise MarkdownError(self.line, f"{kind.replace('_', ' ')} is not allowed here")
        return _merged(runs)

    def hold_to_policy(self, token: Token) -> None:
        """The rendered text, character references decoded, as the text policy wants it: a
        template can print what its file may not hold (`{{ "\\u202e" }}`)."""
        refused = token.meta.get("refused")
        if refused:
            raise MarkdownError(self.line, refused)


def _label(ordered: bool, level: int, index: int) -> str:
    if not ordered:
        return BULLETS[level - 1]
    if level == 1:
        letters = "abcdefghijklmnopqrstuvwxyz"
        return f"({letters[index % 26] * (index // 26 + 1)})"
    return f"({ROMAN[index]})" if index < len(ROMAN) else f"({index + 1})"


def _merged(runs: list[Run]) -> tuple[Run, ...]:
    """Adjacent plain runs with the same emphasis joined: fewer, longer runs render faster."""
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.term is None
            and last.target is None
            and run.term is None
            and run.target is None
            and (last.bold, last.italic) == (run.bold, run.italic)
        ):
            merged[-1] = Run(last.text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return tuple(merged)


def to_blocks(
    text: str,
    number_of: Callable[[str], tuple[str, str]],
    show_term: Callable[[str, str | None], str] = lambda term, shown: shown or term,
) -> tuple[Block, ...]:
    """Markdown to blocks; `number_of` turns a clause id into its reference text and the
    anchor of its target in the document."""
    return _Converter(number_of, show_term).blocks(text)
