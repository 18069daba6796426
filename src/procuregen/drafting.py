"""From an assembled Agreement to output bytes: DOCX, PDF and the manifest, all in memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from procuregen.agreement import Agreement
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template, build_manifest, manifest_json, resolved_spec_json
from procuregen.resources import bundled_root

FORMATS = ("docx", "pdf")
SPEC_ATTACHMENT = "spec.resolved.json"
MANIFEST_ATTACHMENT = "manifest.json"


def find_template(name: str) -> Template:
    """A bundled template set by name."""
    root = bundled_root("templates") / name
    missing = [f for f in Template.FILES if not (root / f).is_file()]
    if missing:
        raise RenderError(
            Problem(Location(str(root)), f"template {name!r} lacks {', '.join(missing)}")
        )
    return Template(name, root)


@dataclass(frozen=True)
class Drafted:
    """The bytes of each requested format, and the manifest embedded in them."""

    outputs: dict[str, bytes]  # by format
    manifest: dict[str, Any]


def draft_agreement(
    agreement: Agreement, spec_source_sha256: str, formats: Iterable[str]
) -> Drafted:
    """Render the requested formats of `agreement`; nothing is written."""
    template = find_template(agreement.spec.output.template)
    manifest = build_manifest(agreement, spec_source_sha256, template)
    manifest_bytes = manifest_json(manifest)
    spec_bytes = resolved_spec_json(agreement.spec)
    outputs: dict[str, bytes] = {}
    for kind in formats:
        if kind == "docx":
            from procuregen.render.docx import render_docx

            outputs["docx"] = render_docx(agreement, template, manifest_bytes, spec_bytes)
        elif kind == "pdf":
            from procuregen.render.html import render_html
            from procuregen.render.pdf import render_pdf

            spec = agreement.spec
            outputs["pdf"] = render_pdf(
                render_html(agreement, template),
                template,
                date=spec.agreement.date,
                attachments=[
                    (SPEC_ATTACHMENT, spec_bytes, "The spec as resolved, defaults filled in"),
                    (MANIFEST_ATTACHMENT, manifest_bytes, "What this agreement was built from"),
                ],
            )
    return Drafted(outputs, manifest)
