"""Two drafted agreements compared: the clauses (from the embedded manifests, with the
visible text of each clause as the document shows it) and the resolved spec values."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procuregen.diff.model import ClauseDiff, Comparison, Kind, TextDiff, ValueChange
from procuregen.diff.words import deleted, inserted, word_diff
from procuregen.errors import Location, Problem, ProcuregenError, VerifyError, sorted_problems

CLAUSE_HEADINGS = ("Heading 2", "Heading 3")


@dataclass(frozen=True)
class Drafted:
    """What a drafted agreement says about itself, and what it shows."""

    path: Path
    manifest: dict[str, Any]
    spec: Any  # the resolved spec, as JSON
    titles: dict[str, str]  # clause id -> heading title as printed
    texts: dict[str, str]  # clause id -> visible text below its heading


def compare_agreements(a: Path, b: Path) -> Comparison:
    documents: list[Drafted] = []
    problems: list[Problem] = []
    for path in (a, b):
        try:
            documents.append(read_agreement(path))
        except ProcuregenError as error:
            problems.extend(error.problems)
    if problems:
        raise VerifyError(sorted_problems(problems))
    return diff_agreements(documents[0], documents[1])


def read_agreement(path: Path) -> Drafted:
    from procuregen.embedded import document_kind, read_embedded

    where = Location(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyError(Problem(where, f"cannot read: {exc.strerror}")) from None
    kind = document_kind(path, data)
    # The manifest checked against its schema, the zip and attachments read within bounds.
    embedded = read_embedded(path, data, kind)
    manifest = embedded.manifest
    try:
        spec = json.loads(embedded.spec)
        if kind == "pdf":
            titles, texts = _pdf_clauses(data, manifest)
        else:
            titles, texts = _docx_clauses(data, manifest)
    except Exception as exc:  # a damaged zip, PDF or spec: any reader error is bad input
        raise VerifyError(Problem(where, f"cannot read the document: {exc}")) from None
    return Drafted(path, manifest, spec, titles, texts)


def _label(number: str) -> str:
    """The number printed before a clause heading: "7.2", or "2" for "S3.2" in a schedule."""
    return number.split(".", 1)[1] if number.startswith("S") else number


def _docx_clauses(data: bytes, manifest: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Each clause's heading title and the text of the paragraphs below it, up to the next
    heading. Clauses are matched to headings in manifest order by their printed number; in
    a bilingual agreement the heading beside it in the other language continues the clause."""
    import docx

    document = docx.Document(io.BytesIO(data))
    names = {style.style_id: style.name for style in document.styles}
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    expected = [(c["id"], _label(c["number"])) for c in manifest["clauses"]]
    titles: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    current: tuple[str, str] | None = None
    position = 0
    for paragraph in document.element.body.iter(f"{w}p"):
        style = paragraph.find(f"{w}pPr/{w}pStyle")
        name = names.get(style.get(f"{w}val"), "") if style is not None else ""
        text = "".join(
            (node.text or "") if node.tag == f"{w}t" else "\t"
            for node in paragraph.iter(f"{w}t", f"{w}tab")
        )
        if name.startswith("Heading"):
            if position < len(expected) and text.startswith(expected[position][1] + " "):
                current = expected[position]
                position += 1
                titles[current[0]] = text[len(current[1]) + 1 :]
                texts[current[0]] = []
            elif current is None or not text.startswith(current[1] + " "):
                current = None
            continue
        if current is not None and text.strip():
            texts[current[0]].append(text)
    return titles, {k: "\n".join(v) for k, v in texts.items()}


def _pdf_clauses(data: bytes, manifest: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The same from a PDF: its bookmarks give every heading; each is found in the text,
    from the end (the contents page lists them too), and a clause's text runs to the next.
    Lines repeated at the top or bottom of pages (headers, footers) are left out."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    text = " ".join(_without_running_lines(pages).split())
    headings = [" ".join(title.split()) for title in _outline_titles(reader.outline)]
    starts: list[tuple[int, str]] = []
    end = len(text)
    for heading in reversed(headings):
        found = text.rfind(heading, 0, end)
        if found < 0:
            continue
        starts.append((found, heading))
        end = found
    starts.reverse()
    titles: dict[str, str] = {}
    texts: dict[str, str] = {}
    remaining = list(starts)
    for clause in manifest["clauses"]:
        label = _label(clause["number"]) + " "
        for index, (start, heading) in enumerate(remaining):
            if heading.startswith(label):
                stop = remaining[index + 1][0] if index + 1 < len(remaining) else len(text)
                titles[clause["id"]] = heading[len(label) :]
                texts[clause["id"]] = text[start + len(heading) : stop].strip()
                remaining = remaining[index + 1 :]
                break
    return titles, texts


def _outline_titles(outline: Any) -> Iterator[str]:
    for item in outline:
        if isinstance(item, list):
            yield from _outline_titles(item)
        else:
            yield str(item.title)


def _without_running_lines(pages: list[str]) -> str:
    """The pages' text without lines that, digits aside, open or close two or more pages."""
    seen: dict[str, int] = {}
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        for line in {*lines[:2], *lines[-2:]}:
            key = re.sub(r"\d+", "#", line)
            seen[key] = seen.get(key, 0) + 1
    kept: list[str] = []
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        edges = {*lines[:2], *lines[-2:]}
        kept.extend(
            line for line in lines if not (line in edges and seen[re.sub(r"\d+", "#", line)] > 1)
        )
    return "\n".join(kept)


def diff_agreements(old: Drafted, new: Drafted) -> Comparison:
    a, b = old.manifest, new.manifest
    notes: list[str] = []
    if a.get("document") != b.get("document"):
        notes.append(f"document {a.get('document')} → {b.get('document')}")
    la, lb = a["library"], b["library"]
    if (la["id"], la["version"]) != (lb["id"], lb["version"]):
        notes.append(f"library {la['id']} {la['version']} → {lb['id']} {lb['version']}")
    if a.get("procuregen") != b.get("procuregen"):
        notes.append(f"drafted by procuregen {a.get('procuregen')} → {b.get('procuregen')}")
    if a.get("template") != b.get("template"):
        notes.append(f"template {a['template']['id']} changed")
    before = {c["id"]: c for c in a["clauses"]}
    after = {c["id"]: c for c in b["clauses"]}
    order = [c["id"] for c in b["clauses"]] + [i for i in before if i not in after]
    clauses: list[ClauseDiff] = []
    unchanged = 0
    for clause_id in order:
        ca, cb = before.get(clause_id), after.get(clause_id)
        if ca is None:
            assert cb is not None
            text = new.texts.get(clause_id, "")
            clauses.append(
                ClauseDiff(
                    clause_id,
                    new.titles.get(clause_id, ""),
                    cb["number"],
                    ("added",),
                    (f"added as {cb['number']}, version {cb['version']}",),
                    (TextDiff("text", inserted(text)),),
                )
            )
        elif cb is None:
            text = old.texts.get(clause_id, "")
            clauses.append(
                ClauseDiff(
                    clause_id,
                    old.titles.get(clause_id, ""),
                    ca["number"],
                    ("removed",),
                    (f"removed; was {ca['number']}, version {ca['version']}",),
                    (TextDiff("text", deleted(text)),),
                )
            )
        else:
            found = _changed(ca, cb, old, new)
            if found is None:
                unchanged += 1
            else:
                clauses.append(found)
    return Comparison(
        "agreements",
        _name(old),
        _name(new),
        tuple(notes),
        tuple(clauses),
        unchanged,
        tuple(_values(old.spec, new.spec, "")),
    )


def _name(document: Drafted) -> str:
    library = document.manifest["library"]
    return f"{document.path} ({library['id']} {library['version']})"


def _changed(a: dict[str, Any], b: dict[str, Any], old: Drafted, new: Drafted) -> ClauseDiff | None:
    clause_id = b["id"]
    kinds: list[Kind] = []
    notes: list[str] = []
    texts: list[TextDiff] = []
    if a["number"] != b["number"]:
        moved = a["number"].split(".")[0] != b["number"].split(".")[0]
        kinds.append("moved" if moved else "renumbered")
        notes.append(f"clause {a['number']} → {b['number']}")
    title_a, title_b = old.titles.get(clause_id, ""), new.titles.get(clause_id, "")
    if title_a != title_b:
        texts.append(TextDiff("title", word_diff(title_a, title_b)))
    text_a, text_b = old.texts.get(clause_id, ""), new.texts.get(clause_id, "")
    if text_a != text_b:
        texts.append(TextDiff("text", word_diff(text_a, text_b)))
    if a["version"] != b["version"]:
        notes.append(f"version {a['version']} → {b['version']}")
    if a.get("status") != b.get("status"):
        notes.append(f"status {a.get('status')} → {b.get('status')}")
    if texts or len(notes) > len(kinds):
        kinds.append("changed")
    if not kinds:
        return None
    return ClauseDiff(clause_id, title_b, b["number"], tuple(kinds), tuple(notes), tuple(texts))


def _values(old: Any, new: Any, path: str) -> Iterator[ValueChange]:
    """Every leaf value that differs, by field path (`buyer.name`, `services[1]`)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            child = f"{path}.{key}" if path else str(key)
            if key not in new:
                yield ValueChange(child, _json(old[key]), None)
            elif key not in old:
                yield ValueChange(child, None, _json(new[key]))
            else:
                yield from _values(old[key], new[key], child)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (x, y) in enumerate(zip(old, new, strict=True)):
            yield from _values(x, y, f"{path}[{index}]")
        return
    if old != new:
        yield ValueChange(path, _json(old), _json(new))


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
