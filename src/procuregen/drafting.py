"""From an assembled Agreement to output bytes: DOCX, PDF and the manifest, all in memory."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procuregen.agreement import Agreement
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template, build_manifest, manifest_json, resolved_spec_json
from procuregen.resources import bundled_root

if TYPE_CHECKING:
    from procuregen.render.glyphs import Origin

FORMATS = ("docx", "pdf")
SPEC_ATTACHMENT = "spec.resolved.json"
MANIFEST_ATTACHMENT = "manifest.json"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")  # output.template's form: a name, never a path


def find_template(
    name_or_dir: str | Path, search: Sequence[Path] | Mapping[str, Path] = ()
) -> Template:
    """A template set, checked before use (template_check): a folder, or a name.

    A Path, or a string that is not a plain name (`./brand`, `/srv/templates/vaxby`), is
    the template folder itself; its id is the folder's name. A plain name (the spec's
    `output.template`) is looked up in `search` (the configuration's templates: a table
    of id to template folder, or a list of folders, each a template folder whose name is
    its id or a folder holding template folders by name), then among the bundled ones.
    """
    from procuregen.template_check import check_template

    if isinstance(name_or_dir, Path) or not _SLUG.fullmatch(name_or_dir):
        root = Path(name_or_dir)
        if not root.is_dir():
            raise RenderError(Problem(Location(str(root)), "template: no such folder"))
        template = Template(root.resolve().name, root)
    else:
        name = name_or_dir
        candidates: list[Path] = []
        if isinstance(search, Mapping):
            candidates += [Path(search[name])] if name in search else []
        else:
            for folder in map(Path, search):
                candidates += [folder] if folder.name == name else []
                candidates.append(folder / name)
        candidates.append(bundled_root("templates") / name)
        found = next((c for c in candidates if c.is_dir()), None)
        if found is None:
            searched = ", ".join(str(c) for c in candidates)
            raise RenderError(
                Problem(Location(name), f"template {name!r} not found (searched {searched})")
            )
        template = Template(name, found)
    check_template(template)
    return template


@dataclass(frozen=True)
class Drafted:
    """The bytes of each requested format, and the manifest embedded in them."""

    outputs: dict[str, bytes]  # by format
    manifest: dict[str, Any]


def draft_agreement(
    agreement: Agreement,
    spec_source_sha256: str,
    formats: Iterable[str],
    *,
    template: Template | Path | None = None,
    template_search: Sequence[Path] | Mapping[str, Path] = (),
    origins: Sequence[Origin] = (),
) -> Drafted:
    """Render the requested formats of `agreement`; nothing is written.

    `template` (a folder, or a Template already found) overrides the spec's
    `output.template`, which is looked up in `template_search` then among the bundled ones.
    `origins` locate a character the PDF's fonts lack (render.glyphs.printed_origins).
    """
    if template is None:
        template = find_template(agreement.spec.output.template, template_search)
    elif isinstance(template, Path):
        template = find_template(template)
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
                origins=origins,
            )
    return Drafted(outputs, manifest)
