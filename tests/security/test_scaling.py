"""Linear scaling (docs/security.md, "scaling").

No test here measures time. Each counts work that does not depend on the machine: the
characters the Markdown parser reads from a clause body, the Python operations of a
clause selection, how often the tagged PDF's list of pages is built; and drafting checks
what is printed: every row of a 10,000-row price schedule, every character of a name
too long for any line.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, SupportsIndex

import pytest

from procuregen.api import build
from procuregen.assemble import spec_context
from procuregen.assemble.selection import Selection
from procuregen.library import load_library
from procuregen.markdown import check_subset
from procuregen.spec import read_spec
from procuregen.usage import Usage
from tests.conftest import Run, libreoffice_convert, write_tree
from tests.libraries import base_library, clause
from tests.specs import VALID, edit

# -- characters read by the Markdown parser ---------------------------------------------


class _CountingText(str):
    """A text that counts the characters read from it through its methods: a search
    counts what it scanned, a slice or an index what it returned."""

    reads: list[int]

    def __new__(cls, value: str, reads: list[int]) -> _CountingText:
        text = super().__new__(cls, value)
        text.reads = reads
        return text

    def _window(self, start: SupportsIndex | None, end: SupportsIndex | None) -> range:
        return range(len(self))[slice(start, end)]

    def find(
        self, sub: str, start: SupportsIndex | None = None, end: SupportsIndex | None = None
    ) -> int:
        found = str.find(self, sub, start, end)
        window = self._window(start, end)
        stop = found + len(sub) if found >= 0 else window.stop
        self.reads[0] += max(stop - window.start, 0)
        return found

    def startswith(
        self,
        prefix: str | tuple[str, ...],
        start: SupportsIndex | None = None,
        end: SupportsIndex | None = None,
    ) -> bool:
        self.reads[0] += len(prefix) if isinstance(prefix, str) else max(map(len, prefix))
        return str.startswith(self, prefix, start, end)

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        value = str.__getitem__(self, key)
        self.reads[0] += max(len(value), 1)
        return value


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of characters every inline parse reads from its text (one counter)."""
    from markdown_it import parser_inline
    from markdown_it.rules_inline.state_inline import StateInline

    reads = [0]

    class CountingState(StateInline):
        def __init__(self, src: str, *args: Any) -> None:
            super().__init__(_CountingText(src, reads), *args)

    monkeypatch.setattr(parser_inline, "StateInline", CountingState)
    return reads


def test_a_body_of_brackets_is_parsed_in_work_linear_in_its_length(
    counted_reads: list[int],
) -> None:
    """From every `[[` the term rule searched to the end of the text for `]]`: 24,000
    characters read per character of a 25 KB body, twice as many for 50 KB."""
    per_character = []
    for size in (25_000, 50_000):
        # each body its own text: parsed tokens are kept per text
        body = f"Body of {size} characters: " + "[[" * (size // 2)
        counted_reads[0] = 0
        check_subset(body)
        assert counted_reads[0] >= len(body), "the body was not parsed under the counter"
        per_character.append(counted_reads[0] / len(body))
    assert per_character[1] <= 1.05 * per_character[0], per_character
    assert per_character[1] <= 100, per_character


def test_lint_and_check_of_a_200_kb_body_of_brackets_read_it_a_bounded_number_of_times(
    counted_reads: list[int], tree: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    body = "[[" * 100_000
    files = base_library()
    path, text = clause("brackets", "general", body + "\n", order=90)
    files[path] = text
    root = tree({**files, "spec.yaml": VALID})
    library = root / "lib"

    lint = cli("clauses", "lint", "--library", library)
    assert lint.exit_code == 0, lint.stderr
    assert "13 clauses, 0 errors" in lint.stdout
    check = cli("check", root / "spec.yaml", "--library", library)
    assert check.exit_code == 0, check.stderr
    assert check.stdout.strip().endswith("spec.yaml: ok")
    assert len(body) <= counted_reads[0] <= 100 * len(body), counted_reads[0]


# -- Python operations of a clause selection ---------------------------------------------


def _library_with(tmp_path: Path, clauses: int) -> Path:
    """The base library and `clauses` more: half plain with a condition, half positions,
    two to a slot."""
    files = base_library()
    for n in range(clauses // 2):
        path, text = clause(f"extra-{n}", "general", f"Extra {n}.\n", when="value.amount > 0")
        files[path] = text
    for n in range(clauses // 4):
        for position in range(2):
            path, text = clause(
                f"slot-{n}-{position}",
                "commercial",
                f"Position {position}.\n",
                slot=f"slot-{n}",
                default=position == 0,
            )
            files[path] = text
    return write_tree(tmp_path / f"library-{clauses}", files) / "lib"


def _operations(call: Callable[[], object]) -> int:
    """The Python bytecode operations `call` executes, in every frame it enters."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def test_clause_selection_work_grows_linearly_with_clauses_and_slots(tmp_path: Path) -> None:
    """Each slot's positions were found by scanning every clause: 1,200 clauses in 300
    slots cost four times the operations of 600 clauses in 150."""
    spec_file = read_spec(write_tree(tmp_path, {"spec.yaml": VALID}) / "spec.yaml")
    spec = spec_file.spec
    operations = []
    included = []
    for clauses in (0, 600, 1200):
        library = load_library(_library_with(tmp_path, clauses))
        context = {**spec_context(spec, Usage(spec)), "language": "en"}

        def select(library: Any = library, context: Any = context) -> dict[str, Any]:
            selection = Selection(spec, library, "call-off", context, spec_file.locate)
            choices = selection.run()
            assert not selection.problems, selection.problems
            return choices

        choices = select()  # conditions are compiled once per library, on first use
        assert len(choices) == len(library.clauses)
        included.append(sum(choice.included for choice in choices.values()))
        operations.append(_operations(select))
    # every conditional clause is in, and one position of each slot
    assert included[1:] == [included[0] + 300 + 150, included[0] + 600 + 300]
    assert operations[2] <= 2.2 * operations[1], operations


# -- a price schedule of 10,000 rows -------------------------------------------------------

ROWS = 10_000


def _price_schedule(rows: int) -> str:
    items = "".join(
        f"    - {{description: Item {n:05d}, quantity: 1, unit: lot, unit_price: 48}}\n"
        for n in range(rows)
    )
    return edit("  amount: 480000\n", f"  amount: {48 * rows}\n  items:\n{items}")


def test_a_price_schedule_of_10000_rows_drafts_a_docx_and_its_pdf_in_row_groups(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """The DOCX holds every row in order (drafting it took two minutes of CPU while lxml
    moved the body between documents, in time quadratic in its elements); the PDF's HTML
    puts the rows in groups of at most 50, since WeasyPrint lays a group out in time
    quadratic in its rows."""
    spec = write_tree(tmp_path, {"spec.yaml": _price_schedule(ROWS)}) / "spec.yaml"
    result = cli("draft", spec, "-o", tmp_path / "out", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "out" / "spec.pdf").exists()
    with zipfile.ZipFile(tmp_path / "out" / "spec.docx") as package:
        document = package.read("word/document.xml").decode()
    items = re.findall(r"<w:t[^>]*>Item (\d{5})</w:t>", document)
    assert items == [f"{n:05d}" for n in range(ROWS)]

    from procuregen.drafting import find_template
    from procuregen.render.html import render_html

    html = render_html(build(spec)[2], find_template("default"))
    groups = re.findall(r"<tbody>(.*?)</tbody>", html, re.DOTALL)
    price_groups = [group for group in groups if "<td>Item " in group]
    assert max(group.count("<tr>") for group in price_groups) <= 50
    rows = [n for group in price_groups for n in re.findall(r"<td>Item (\d{5})</td>", group)]
    assert rows == [f"{n:05d}" for n in range(ROWS)]


# -- the tagged PDF's page list ----------------------------------------------------------


def test_a_tagged_pdf_builds_its_list_of_pages_once_per_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pydyf built the tuple of every page reference for each structure element that
    WeasyPrint's tagging wrote: pages times elements."""
    import datetime as dt

    import pydyf
    from pypdf import PdfReader

    from procuregen.drafting import find_template
    from procuregen.render.pdf import render_pdf

    built = pydyf.PDF.page_references
    builds = [0]

    def counted(pdf: Any) -> Any:
        builds[0] += 1
        return built.fget(pdf)

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counted))
    paragraphs = "".join(f"<p>Paragraph {n} of a long document.</p>" for n in range(900))
    html = f'<!DOCTYPE html><html lang="en"><head><title>Pages</title></head><body>{paragraphs}</body></html>'
    pdf = render_pdf(html, find_template("default"), date=dt.date(2027, 1, 1), attachments=[])
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 15
    assert 0 < builds[0] <= pages, (builds[0], pages)
    assert pydyf.PDF.page_references.fget is counted  # put back as it was


# -- words longer than a line ---------------------------------------------------------------

GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшщэюя"
LENGTH = 5_000


def _unbroken(alphabet: str, length: int) -> str:
    """A word of `length` letters, no two stretches of it alike for a long way."""
    size = len(alphabet)
    pairs = (alphabet[n // size % size] + alphabet[n % size] for n in range(length // 2))
    return "".join(pairs)


NAME = _unbroken(GREEK, LENGTH)  # the supplier's name, printed in several places
ITEM = _unbroken(CYRILLIC, LENGTH)  # a price item's description, in a table cell


def _letters_of(text: str, alphabet: str) -> str:
    """The letters of `alphabet` in `text`, in order: every copy of a word written only in
    them, whatever lines, pages, headers and table cells came between its letters."""
    return "".join(c for c in text if c in alphabet)


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def drafted_long_words(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A call-off with a name and a price item of 5,000 letters, drafted once."""
    from click.testing import CliRunner

    from procuregen.cli import cli as procuregen_cli

    folder = tmp_path_factory.mktemp("long-words")
    spec = edit("  name: Supplier AB\n", f"  name: {NAME}\n")
    item = f"  items:\n    - {{description: {ITEM}, quantity: 1, unit: lot, unit_price: 480000}}\n"
    spec = edit("  amount: 480000\n", f"  amount: 480000\n{item}", spec)
    path = write_tree(folder, {"spec.yaml": spec}) / "spec.yaml"
    result = CliRunner().invoke(procuregen_cli, ["draft", str(path), "-o", str(folder / "out")])
    assert result.exit_code == 0, result.output
    yield folder / "out"


def _assert_whole(text: str) -> None:
    names = _letters_of(text, GREEK)
    assert len(names) >= 3 * LENGTH, len(names)  # the cover, the parties, the signatures
    assert names == NAME * (len(names) // LENGTH), "a part of the name is missing"
    assert _letters_of(text, CYRILLIC) == ITEM, "a part of the price item is missing"


def test_a_name_and_a_price_item_longer_than_any_line_print_whole_in_the_pdf(
    drafted_long_words: Path,
) -> None:
    """Without a break opportunity the words ran off the page: the PDF showed the first
    90 letters of each copy of the name and lost the rest."""
    _assert_whole(_pdf_text(drafted_long_words / "spec.pdf"))


def test_a_name_and_a_price_item_longer_than_any_line_print_whole_from_the_docx(
    drafted_long_words: Path, tmp_path: Path
) -> None:
    """The DOCX as LibreOffice lays it out, read back from the PDF it prints."""
    libreoffice_convert(
        [drafted_long_words / "spec.docx"], "pdf", tmp_path, tmp_path / "lo-profile", timeout=300
    )
    _assert_whole(_pdf_text(tmp_path / "spec.pdf"))
    with zipfile.ZipFile(io.BytesIO((drafted_long_words / "spec.docx").read_bytes())) as docx:
        document = docx.read("word/document.xml").decode()
    table = document[: document.index(ITEM)].rsplit("<w:tbl>", 1)[1]
    assert '<w:tblLayout w:type="fixed"/>' in table  # Word keeps the table on the page
