"""Long words in the PDF's HTML cut into pieces between which a line may break.

A word with no break opportunity that is longer than its line (a supplier name of 20,000
characters without a space, a long URL in a narrow table column) runs off the page, and
what is off the page is lost. CSS `overflow-wrap: anywhere` would let it break between
any two characters, but not as a rule for whole paragraphs: WeasyPrint then also breaks
the first word of a link or an emphasis that starts near the end of a line ("cla|use
9.3") instead of moving it to the next line, and lets table columns shrink below their
longest ordinary word ("Quanti|ty"). Nor on the long word alone: WeasyPrint finds a
table column's narrowest width by laying the word out once per character, each time from
that character to its end, which for 20,000 characters in a price item takes a quarter of
an hour.

So every run of LONG_WORD or more characters without a space in the text of the body is
cut into pieces of PIECE characters, each in `<span class="long-word">`, which the
template's stylesheet makes an inline block: a line may break before and after each. No
character is added to the text, the pieces are laid out in time linear in their number,
and a page without long words is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Longer than any word of an ordinary contract (the bundled examples' longest are URLs
# and e-mail addresses of 40 characters).
LONG_WORD = 48
PIECE = 16  # characters; a line filled with pieces leaves at most this much unused
LONG_WORD_CLASS = "long-word"

_WORD = re.compile(rf"\S{{{LONG_WORD},}}")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")
_LONG = re.compile(rf"[^\s<>]{{{LONG_WORD},}}")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
_CHARACTER = re.compile(r"&#?[A-Za-z0-9]+;|.", re.DOTALL)  # one character, maybe escaped
# Elements whose content is not text of the page.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})


def has_long_word(text: str) -> bool:
    """Whether plain `text` holds a word of LONG_WORD or more characters."""
    return _WORD.search(text) is not None


def mark_long_words(html: str) -> str:
    """`html` with each long word of the body's text cut into `long-word` pieces.

    The HTML is the template's output, in which autoescaping leaves `<` and `>` only
    around tags, so text and tags can be told apart without parsing.
    """
    body = html.find("<body")
    if body < 0 or not _LONG.search(html, body):
        return html
    parts = [html[:body]]
    raw: str | None = None  # the raw-text element we are in, if any
    for match in _TAG_OR_TEXT.finditer(html, body):
        tag, text = match.groups()
        if tag is not None:
            name = _TAG_NAME.match(tag)
            element = name[1].lower() if name else ""
            if raw is None and element in _RAW_TEXT and not tag.startswith("</"):
                raw = element
            elif raw == element and tag.startswith("</"):
                raw = None
            parts.append(tag)
        elif raw is None:
            parts.append(_LONG.sub(_in_pieces, text))
        else:
            parts.append(text)
    return "".join(parts)


def _in_pieces(word: re.Match[str]) -> str:
    return "".join(f'<span class="{LONG_WORD_CLASS}">{piece}</span>' for piece in _pieces(word[0]))


def _pieces(word: str) -> Iterator[str]:
    """The word in pieces of PIECE characters; an escaped character (`&amp;`) or a letter
    with its combining marks is never cut."""
    characters = _CHARACTER.findall(word)
    start = 0
    while start < len(characters):
        end = min(start + PIECE, len(characters))
        while end < len(characters) and _combining(characters[end]):
            end += 1
        yield "".join(characters[start:end])
        start = end


def _combining(character: str) -> bool:
    return len(character) == 1 and unicodedata.category(character).startswith("M")
