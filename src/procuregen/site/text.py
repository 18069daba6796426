"""Clause Markdown as safe HTML for the review site.

The parser is CommonMark with raw HTML off (a `<script>` in a clause is printed as those
characters), links and images off (no URL from a clause ever becomes an `href`), tables
on. `[[Term]]` and `[[#clause-id]]` become links chosen by the site, never by the text;
Jinja tags and values are shown as they are written, marked as code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from procuregen.markdown import parse_reference, reference_rule
from procuregen.site.conditions import describe_condition

_TERM = re.compile(r"\[\[([^\[\]\n]*)\]\]")
_JINJA_CONDITION = re.compile(r"^\{%-?\s*(?:if|elif)\s+(.*?)\s*-?%\}$", re.DOTALL)


@dataclass(frozen=True)
class Link:
    """Where a `[[...]]` points on the site: a relative URL (None: nowhere) and a tooltip."""

    href: str | None
    title: str
    css: str
    text: str | None = None  # shown instead of the reference's own text


# Resolves (term, target) to a link: exactly one of them is set.
Resolver = Callable[[str | None, str | None], Link]


def _jinja_rule(state: StateInline, silent: bool) -> bool:
    """`{{ value }}` and `{% tag %}` as one token each, so Markdown inside them is not parsed."""
    opening = state.src[state.pos : state.pos + 2]
    if opening not in ("{{", "{%"):
        return False
    closing = "}}" if opening == "{{" else "%}"
    end = state.src.find(closing, state.pos + 2)
    if end < 0:
        return False
    if not silent:
        token = state.push("jinja", "", 0)
        token.content = state.src[state.pos : end + 2]
    state.pos = end + 2
    return True


def _jinja_line_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line that is one Jinja tag (`{% if ... %}`, `{% endif %}`) is a block of its own,
    so that the branches of a clause show as they are written."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]].strip()
    if not line.startswith("{%") or line.find("%}") != len(line) - 2:
        return False
    if not silent:
        token = state.push("jinja_line", "", 0)
        token.content = line
        token.map = [start, start + 1]
    state.line = start + 1
    return True


def _render_jinja_line(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return f'<p class="jinja-line">{_render_jinja(self, tokens, idx, options, env)}</p>\n'


def _render_reference(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    term, target, shown = parse_reference(tokens[idx].content)
    resolve: Resolver = env["resolve"]
    link = resolve(term, target)
    text = escapeHtml(link.text or shown or term or f"#{target}")
    title = escapeHtml(link.title)
    if link.href is None:
        return f'<span class="{link.css}" title="{title}">{text}</span>'
    return f'<a class="{link.css}" href="{escapeHtml(link.href)}" title="{title}">{text}</a>'


def _render_jinja(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    content = tokens[idx].content
    condition = _JINJA_CONDITION.match(content)
    title = ""
    if condition is not None:
        title = f' title="{escapeHtml(describe_condition(condition[1]))}"'
    return f'<code class="jinja"{title}>{escapeHtml(content)}</code>'


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    md.disable(["link", "image", "autolink", "html_inline", "html_block"])
    md.block.ruler.before(
        "paragraph", "jinja_line", _jinja_line_rule, {"alt": ["paragraph", "list"]}
    )
    md.inline.ruler.before("emphasis", "reference", reference_rule)
    md.inline.ruler.before("emphasis", "jinja", _jinja_rule)
    md.add_render_rule("reference", _render_reference)
    md.add_render_rule("jinja", _render_jinja)
    md.add_render_rule("jinja_line", _render_jinja_line)
    return md


def _protected(text: str) -> str:
    """The `|` of `[[Term|shown]]` escaped, so that it does not split a table cell."""
    return _TERM.sub(lambda m: "[[" + re.sub(r"(?<!\\)\|", r"\\|", m[1]) + "]]", text)


def render_block(text: str, resolve: Resolver) -> str:
    """Clause Markdown (a body) as HTML: every character of the text escaped."""
    return str(_parser().render(_protected(text), {"resolve": resolve}))


def render_inline(text: str, resolve: Resolver) -> str:
    """One paragraph of clause Markdown (a definition) as inline HTML."""
    return str(_parser().renderInline(_protected(text), {"resolve": resolve}))


def plain_text(text: str) -> str:
    """Clause Markdown as words for the search index: `[[Term|shown]]` as shown, spaces
    collapsed."""

    def shown(match: re.Match[str]) -> str:
        term, target, alternative = parse_reference(match[1])
        return alternative or term or target or ""

    return " ".join(_TERM.sub(shown, text).split())
