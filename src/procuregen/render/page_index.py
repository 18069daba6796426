"""pydyf's list of page references, built once per page added instead of once per read.

`pydyf.PDF.page_references` builds a tuple of every page's reference each time it is
read, and WeasyPrint's tagging reads it for every structure element it writes: a tagged
PDF costs pages times elements, quadratic in the length of a document. A price schedule of
10,000 rows (334 pages, about 170,000 structure elements) spent 48 s there. While a PDF
is written, the property keeps the tuple it built until the next page is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_CACHE = "_procuregen_page_references"


@contextmanager
def indexed_page_references() -> Iterator[None]:
    """While active, `pydyf.PDF.page_references` is built once per page added; the same
    tuple as pydyf's own."""
    import pydyf

    built = pydyf.PDF.page_references
    if getattr(built.fget, "procuregen_indexed", False):  # already active further up
        yield
        return

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        key = (id(kids), len(kids))
        cached = pdf.__dict__.get(_CACHE)
        if cached is None or cached[0] != key:
            cached = (key, built.fget(pdf))
            pdf.__dict__[_CACHE] = cached
        references: tuple[bytes, ...] = cached[1]
        return references

    page_references.procuregen_indexed = True  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = built
