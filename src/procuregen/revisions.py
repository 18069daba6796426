"""PDF revisions: where each incremental update begins, and what the later ones changed.

A PDF that is signed or annotated after it was drafted usually keeps its first bytes
as they were and appends an incremental update: new and changed objects, a new
cross-reference section whose trailer names the previous one (`/Prev`), and a new
`startxref ... %%EOF`. The drafted document is then the first revision: every byte up
to the end of its own `%%EOF` line.

Revisions are found from the cross-reference chain, not by the first `%%EOF` in the
file: the last `startxref` names the newest cross-reference section, each trailer's
`/Prev` the one before, and a revision ends at the `%%EOF` whose `startxref` names its
section. A linearized file's first-page section (whose `startxref` is a dummy) and the
main section it points to make up one revision.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Offsets of at most 20 digits: Python refuses to convert a longer run of digits to an int.
_EOF = re.compile(rb"startxref\s+(\d{1,20})\s*%%EOF[ \t]*(?:\r\n|\r|\n)?")
_PREV = re.compile(rb"/Prev\s+(\d{1,20})\b")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_MAX_SECTIONS = 10_000


@dataclass(frozen=True)
class Revision:
    """Bytes [start, end) of a PDF added by one save."""

    number: int  # 1 is the original
    start: int
    end: int


def revisions(data: bytes) -> list[Revision]:
    """The revisions of a PDF, oldest first; one revision when the chain cannot be read.

    Never raises for a malformed file: what cannot be read is one revision, the whole
    file, and the byte comparison decides.
    """
    markers = list(_EOF.finditer(data))
    if not markers:
        return [Revision(1, 0, len(data))]
    sections = _xref_chain(data, int(markers[-1].group(1)))
    # Each %%EOF under the section its startxref names, in file order: a forged file with
    # thousands of revisions is then read in linear time, not sections times markers.
    naming: dict[int, tuple[list[int], list[int]]] = {}
    for marker in markers:
        starts, marker_ends = naming.setdefault(int(marker.group(1)), ([], []))
        starts.append(marker.start())
        marker_ends.append(marker.end())
    ends: set[int] = set()
    for offset in sections:
        # The revision of this section ends at the first %%EOF after it that names it.
        starts, marker_ends = naming.get(offset, ([], []))
        index = bisect.bisect_right(starts, offset)
        if index < len(starts):
            ends.add(marker_ends[index])
    ends.add(len(data))
    found: list[Revision] = []
    start = 0
    for end in sorted(ends):
        # Trailing whitespace after the last %%EOF belongs to the last revision.
        if end == len(data) and found and not data[start:end].strip():
            found[-1] = Revision(found[-1].number, found[-1].start, end)
            break
        found.append(Revision(len(found) + 1, start, end))
        start = end
    return found


def _xref_chain(data: bytes, offset: int) -> list[int]:
    """Offsets of the cross-reference sections from the newest, through every /Prev."""
    chain: list[int] = []
    seen: set[int] = set()
    current: int | None = offset
    while current is not None and current not in seen and len(chain) < _MAX_SECTIONS:
        if not 0 <= current < len(data):
            break
        seen.add(current)
        chain.append(current)
        current = _previous(data, current)
    return chain


def _previous(data: bytes, offset: int) -> int | None:
    """The /Prev of the cross-reference section at `offset` (a table or a stream)."""
    limit = data.find(b"startxref", offset)
    if limit < 0:
        return None
    if data.startswith(b"xref", offset):
        trailer = data.find(b"trailer", offset, limit)
        if trailer < 0:
            return None
        dictionary = data[trailer:limit]
    elif _OBJ.match(data, offset):
        stream = data.find(b"stream", offset, limit)
        dictionary = data[offset : stream if stream >= 0 else limit]
    else:
        return None
    match = _PREV.search(dictionary)
    return int(match.group(1)) if match else None


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """pypdf logs what it repairs; the caller reports problems itself."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def describe_later(data: bytes, original: Revision, all_revisions: list[Revision]) -> list[str]:
    """What the revisions after `original` add or change, read with pypdf, in plain words."""
    from pypdf import PdfReader

    later = [r for r in all_revisions if r.number > original.number]
    if not later:
        return []
    with quiet_pypdf():
        try:
            before = PdfReader(io.BytesIO(data[: original.end]))
            after = PdfReader(io.BytesIO(data))
            found = _changes(before, after, all_revisions)
        except Exception as exc:  # a damaged update: say so, and what we know
            found = [f"its contents cannot be read ({type(exc).__name__}: {exc})"]
    span = ", ".join(f"revision {r.number} (bytes {r.start}-{r.end})" for r in later)
    count = f"{len(later)} later revision{'s' if len(later) > 1 else ''}"
    return [
        f"{count} appended after the drafted document: {span}",
        *(found or ["no signature fields, annotations or page changes"]),
    ]


def _changes(before: Any, after: Any, all_revisions: list[Revision]) -> list[str]:
    found: list[str] = []
    old_fields = {name: signed for name, signed, _ in _signature_fields(before)}
    for name, signed, value in _signature_fields(after):
        if old_fields.get(name) == signed:
            continue
        if not signed:
            found.append(f"an unsigned signature field {name!r}")
            continue
        found.append(f"a signature in field {name!r}{_signature_details(value, all_revisions)}")
    old_pages, new_pages = len(before.pages), len(after.pages)
    if new_pages > old_pages:
        found.append(f"{new_pages - old_pages} page(s) added after page {old_pages}")
    elif new_pages < old_pages:
        found.append(f"{old_pages - new_pages} page(s) removed (now {new_pages} pages)")
    for index in range(min(old_pages, new_pages)):
        page_before, page_after = before.pages[index], after.pages[index]
        if _page_look(page_before) != _page_look(page_after):
            found.append(f"page {index + 1}: what the page shows was changed")
        added = Counter(_annotations(page_after)) - Counter(_annotations(page_before))
        removed = Counter(_annotations(page_before)) - Counter(_annotations(page_after))
        for (subtype, text), count in sorted(added.items()):
            times = f"{count} " if count > 1 else "a "
            found.append(
                f"page {index + 1}: {times}{subtype} annotation added"
                + (f" ({text!r})" if text else "")
            )
        for (subtype, _), count in sorted(removed.items()):
            found.append(f"page {index + 1}: {count} {subtype} annotation(s) removed")
    catalog = after.trailer["/Root"]
    if "/DSS" in catalog and "/DSS" not in before.trailer["/Root"]:
        found.append("a document security store (/DSS: validation data for signatures)")
    return found


def _signature_fields(reader: Any) -> list[tuple[str, bool, Any]]:
    """(full name, signed, /V) of every signature field in the AcroForm."""
    form = reader.trailer["/Root"].get("/AcroForm")
    if form is None:
        return []
    fields: list[tuple[str, bool, Any]] = []

    def walk(items: Any, parent: str, kind: Any, depth: int) -> None:
        if depth > 32:
            return
        for reference in items or []:
            item = reference.get_object()
            name = str(item.get("/T", ""))
            full = f"{parent}.{name}" if parent and name else parent or name
            field_type = item.get("/FT", kind)
            if "/Kids" in item and any("/T" in k.get_object() for k in item["/Kids"]):
                walk(item["/Kids"], full, field_type, depth + 1)
            elif field_type == "/Sig":
                value = item.get("/V")
                fields.append((full or "(unnamed)", value is not None, value))

    walk(form.get_object().get("/Fields"), "", None, 0)
    return fields


def _signature_details(value: Any, all_revisions: list[Revision]) -> str:
    signature = value.get_object()
    parts = []
    if "/Name" in signature:
        parts.append(f"by {signature['/Name']}")
    if "/M" in signature:
        parts.append(f"dated {signature['/M']}")
    if "/SubFilter" in signature:
        parts.append(str(signature["/SubFilter"]).lstrip("/"))
    byte_range = signature.get("/ByteRange")
    if byte_range is not None and len(byte_range) == 4:
        covered = int(byte_range[2]) + int(byte_range[3])
        signed = [r.number for r in all_revisions if r.end == covered]
        parts.append(f"signing revisions 1-{signed[0]}" if signed else f"signing bytes 0-{covered}")
    return f" ({', '.join(parts)})" if parts else ""


def _page_look(page: Any) -> tuple[bytes, str, str]:
    """What decides how a page looks, apart from its annotations."""
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    return data, str(page.mediabox), str(page.get("/Rotate", 0))


def _annotations(page: Any) -> list[tuple[str, str]]:
    """(subtype, text) of each annotation; widgets of signature fields are reported as fields."""
    found = []
    for reference in page.get("/Annots") or []:
        annotation = reference.get_object()
        subtype = str(annotation.get("/Subtype", "/Unknown")).lstrip("/")
        if subtype == "Widget":
            parent = annotation.get("/Parent")
            kind = annotation.get("/FT") or (parent.get_object().get("/FT") if parent else None)
            if kind == "/Sig":
                continue
        text = str(annotation.get("/Contents", ""))[:80]
        found.append((subtype, text))
    return found
