"""HTML to an archival PDF (PDF/A-3b, PDF/UA-1) with WeasyPrint, the spec and manifest attached.

Every resource comes through one fetcher that reads regular files under the template
root and `data:` URLs, nothing else: no network, no redirects, no other file. A resource
that cannot be loaded, or any error WeasyPrint logs, fails the build.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
from procuregen.render.engine import import_weasyprint
from procuregen.render.page_index import indexed_page_references
from procuregen.render.pdfua import make_pdfua

if TYPE_CHECKING:
    from procuregen.render.glyphs import Origin


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or message.startswith(("Failed to load", "Ignored")):
            self.messages.append(message)


@contextmanager
def _weasyprint_errors(where: Location) -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.messages:
        raise RenderError([Problem(where, f"PDF: {m}") for m in collector.messages])


def _fetcher(root: Path) -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    real_root = root.resolve()

    class TemplateFetcher(URLFetcher):  # type: ignore[misc]
        """Regular files under the template root and data: URLs; anything else stops the build."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(real_root) and path.is_file():
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            raise FatalURLFetchingError(f"refused to fetch {url}: only template files and data:")

    return TemplateFetcher()


def _finisher(where: Location) -> Any:
    def finish(document: Any, pdf: Any) -> None:
        del document
        make_pdfua(pdf, where)
        _compress_each_stream(pdf)

    return finish


def _compress_each_stream(pdf: Any) -> None:
    """Compress every stream on its own, except the XMP metadata, and write no object
    streams.

    WeasyPrint's default packs thousands of small objects (a tagged PDF's structure
    tree) into one compressed object stream; qpdf --check warns about some of those
    ("input stream is complete but output may still be valid"), although zlib reads
    them whole. Streams compressed one by one and a plain cross-reference table
    read cleanly everywhere. The metadata stays plain text for tools that scan files for
    XMP (PDF/A-1 forbids a filter on it).
    """
    import pydyf

    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.extra.get("Type") != "/Metadata":
            item.compress = True


def render_pdf(
    html: str,
    template: Template,
    *,
    date: dt.date,
    attachments: list[tuple[str, bytes, str]],
    origins: Sequence[Origin] = (),
) -> bytes:
    """PDF/A-3b and PDF/UA-1 bytes of `html`; `attachments` are (name, content, description).

    A character that none of the template's fonts has is an error located by `origins`.
    """
    from procuregen.render.glyphs import check_glyphs

    check_glyphs(html, template.root, origins)  # before layout: WeasyPrint would print blanks
    import_weasyprint()
    from weasyprint import HTML, Attachment
    from weasyprint.urls import FatalURLFetchingError

    where = Location(str(template.root / "agreement.html"))
    midnight = dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
    files = [
        Attachment(
            string=content,
            name=name,
            description=description,
            created=midnight,
            modified=midnight,
            relationship="Data",
        )
        for name, content, description in attachments
    ]
    # A content-derived identifier: the same inputs give the same bytes.
    identifier = hashlib.sha256(html.encode("utf-8") + b"".join(c for _, c, _ in attachments))
    try:
        with _weasyprint_errors(where):
            document = HTML(
                string=html,
                base_url=template.root.resolve().as_uri() + "/",
                url_fetcher=_fetcher(template.root),
            ).render(
                font_config=font_configuration(template), pdf_variant="pdf/a-3b", pdf_tags=True
            )
            with indexed_page_references():
                pdf = document.write_pdf(
                    pdf_variant="pdf/a-3b",
                    pdf_tags=True,
                    pdf_identifier=identifier.hexdigest()[:32].encode(),
                    attachments=files,
                    uncompressed_pdf=True,
                    finisher=_finisher(where),
                )
    except FatalURLFetchingError as exc:
        raise RenderError(Problem(where, f"PDF: {exc}")) from None
    assert isinstance(pdf, bytes)
    return pdf


_font_configuration: tuple[tuple[str, str], Any] | None = None


def font_configuration(template: Template) -> Any:
    """One WeasyPrint FontConfiguration per process for the template in use.

    WeasyPrint makes a fresh one per document when given none: a fontconfig configuration
    and a Pango font map, of which the C libraries keep about 0.25 MiB after every document
    (0.3 to 0.75 MiB in our drafts), so a batch worker grew past 250 MiB by its 200th PDF.
    Shared, the font map's caches fill once and stay. The key is the template's folder and
    content, so fonts that one template's `@font-face` rules add are never seen by another.
    """
    global _font_configuration
    key = (str(template.root.resolve()), template.files_sha256(allow_missing=True))
    if _font_configuration is None or _font_configuration[0] != key:
        import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        _font_configuration = (key, FontConfiguration())
    return _font_configuration[1]


@functools.cache  # once per process: a batch worker is warmed by --format and its plan
def warm_up() -> None:
    """Import WeasyPrint and let fontconfig and Pango load their configuration and font
    lists, so that a batch worker pays for them before its first agreement."""
    weasyprint = import_weasyprint()
    weasyprint.HTML(string="<p>procuregen</p>").render()
