"""What a drafted DOCX or PDF says it was built from, read from a document that may be forged.

- DOCX: the custom XML part in procuregen's namespace (`customXml/procuregen.xml`, or
  whatever a word processor renamed it to), through the bounded zip reader
  (`archive.py`), at most `MAX_PART` bytes, parsed without DTDs or entities. Exactly
  one such part.
- PDF: the attachments `manifest.json` and `spec.resolved.json`, each exactly once,
  decompressed by pypdf with its output limits lowered to the size each may have.

The manifest is validated against its schema (`manifest.read_manifest`); the spec is
handed back as bytes, for `spec.load.read_resolved_spec` to check as a spec file is
checked. Every failure is a VerifyError (or SpecError) located at the document.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procuregen.archive import open_zip
from procuregen.drafting import MANIFEST_ATTACHMENT, SPEC_ATTACHMENT
from procuregen.errors import Location, Problem, SpecError, VerifyError
from procuregen.manifest import MAX_MANIFEST_BYTES, read_manifest
from procuregen.render.docx import CUSTOM_XML_NS
from procuregen.yamlsource import MAX_BYTES as MAX_SPEC_BYTES

# The manifest and the spec as XML text: `&` and `<` may be escaped, five bytes for one.
MAX_PART = 16 * 1024 * 1024
_LIMITS = {MANIFEST_ATTACHMENT: MAX_MANIFEST_BYTES, SPEC_ATTACHMENT: MAX_SPEC_BYTES}


@dataclass(frozen=True)
class Embedded:
    """The manifest (valid against manifest.EmbeddedManifest) and the resolved spec."""

    manifest: dict[str, Any]
    spec: bytes  # JSON, not yet checked
    spec_file: str  # where problems in the spec are located: `agreement.pdf:spec.resolved.json`


def document_kind(path: Path, data: bytes) -> str:
    """ "pdf" or "docx", from the document's first bytes; else a VerifyError."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK"):
        return "docx"
    raise _fail(path, "not a DOCX or PDF drafted by procuregen")


def read_embedded(path: Path, data: bytes, kind: str) -> Embedded:
    """The manifest and resolved spec a drafted document carries, read within bounds."""
    manifest, spec = _docx_parts(path, data) if kind == "docx" else _pdf_parts(path, data)
    return Embedded(read_manifest(manifest, Location(str(path))), spec, spec_file(path))


def spec_file(path: Path) -> str:
    return f"{path}:{SPEC_ATTACHMENT}"


def _fail(path: Path, message: str) -> VerifyError:
    return VerifyError(Problem(Location(str(path)), message))


def _docx_parts(path: Path, data: bytes) -> tuple[bytes, bytes]:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    found: list[tuple[str, Any]] = []
    with open_zip(data, Location(str(path)), VerifyError) as package:
        for name in package.names():
            if not name.startswith("customXml/") or name.count("/") != 1 or "Props" in name:
                continue
            text = package.read(name, MAX_PART)
            try:
                root = etree.fromstring(text, parser)
            except etree.XMLSyntaxError as exc:
                raise _fail(path, f"{name}: not well-formed XML: {exc}") from None
            if root.tag == f"{{{CUSTOM_XML_NS}}}procuregen":
                found.append((name, root))
    if not found:
        raise _fail(path, "no procuregen manifest found (no custom XML part in its namespace)")
    if len(found) > 1:
        names = " and ".join(name for name, _ in found)
        raise _fail(path, f"two procuregen manifests ({names}); a drafted document has one")
    name, root = found[0]
    manifest = root.find(f"{{{CUSTOM_XML_NS}}}manifest")
    spec = root.find(f"{{{CUSTOM_XML_NS}}}spec")
    if manifest is None or spec is None:
        raise _fail(path, f"{name}: no manifest or no spec in the procuregen part")
    return (manifest.text or "").encode("utf-8"), (spec.text or "").encode("utf-8")


def _pdf_parts(path: Path, data: bytes) -> tuple[bytes, bytes]:
    from pypdf import PdfReader

    from procuregen.revisions import quiet_pypdf

    with quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            entries: dict[str, list[Any]] = {}
            for entry in reader.attachment_list:
                if entry.name in _LIMITS:
                    entries.setdefault(entry.name, []).append(entry)
        except Exception as exc:  # pypdf raises many kinds for a damaged file
            raise _fail(path, f"cannot read the document ({type(exc).__name__}: {exc})") from None
        files = {name: _attachment(path, name, entries.get(name, [])) for name in _LIMITS}
    return files[MANIFEST_ATTACHMENT], files[SPEC_ATTACHMENT]


def _attachment(path: Path, name: str, entries: list[Any]) -> bytes:
    """One attachment's bytes, decompressed no further than the size it may have."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    if not entries:
        raise _fail(path, f"no procuregen manifest found (no attachment {name})")
    if len(entries) > 1:
        raise _fail(path, f"{len(entries)} attachments named {name}; a drafted PDF has one")
    limit = _LIMITS[name] + 1  # one byte more: the reader of the bytes names the limit
    try:
        with apply_configuration(
            zlib_maximum_output_length=limit,
            zlib_maximum_recovery_input_length=1,  # a damaged stream is not repaired
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
            array_based_stream_maximum_output_length=limit,
            stream_decoding_work_maximum_length=4 * limit,
        ):
            content = entries[0].content
    except LimitReachedError:
        content = None
    except Exception as exc:
        raise _fail(path, f"{name}: cannot be read ({type(exc).__name__}: {exc})") from None
    if content is None or len(content) >= limit:
        if name == SPEC_ATTACHMENT:  # the same words as for a spec file too large
            where = Location(spec_file(path), 1, 1)
            raise SpecError(Problem(where, f"larger than {MAX_SPEC_BYTES} bytes"))
        raise _fail(path, f"manifest: more than {MAX_MANIFEST_BYTES} bytes")
    assert isinstance(content, bytes)
    return content
