"""`verify`: rebuild a drafted document from its embedded manifest and spec, and compare."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from procuregen.assemble import assemble
from procuregen.drafting import MANIFEST_ATTACHMENT, SPEC_ATTACHMENT, draft_agreement
from procuregen.errors import Location, Problem, VerifyError
from procuregen.library import library_path, load_library
from procuregen.spec import Spec


@dataclass(frozen=True)
class Verification:
    document: Path
    matches: bool
    differences: list[str] = field(default_factory=list)


def _embedded(path: Path, data: bytes) -> tuple[dict[str, Any], bytes, str]:
    where = Location(str(path))
    try:
        if data.startswith(b"%PDF"):
            from procuregen.render.pdf import read_embedded_pdf

            files = read_embedded_pdf(data)
            return json.loads(files[MANIFEST_ATTACHMENT]), files[SPEC_ATTACHMENT], "pdf"
        if data.startswith(b"PK"):
            from procuregen.render.docx import read_embedded_docx

            manifest, spec = read_embedded_docx(data)
            return manifest, spec, "docx"
    except (KeyError, ValueError, OSError) as exc:
        raise VerifyError(Problem(where, f"no procuregen manifest found ({exc})")) from None
    except Exception as exc:
        raise VerifyError(Problem(where, f"cannot read the document: {exc}")) from None
    raise VerifyError(Problem(where, "not a DOCX or PDF drafted by procuregen"))


def verify_document(path: Path, library_dir: Path | None = None) -> Verification:
    """Draft again from what the document says it was built from; compare byte for byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyError(Problem(Location(str(path)), f"cannot read: {exc.strerror}")) from None
    manifest, spec_bytes, kind = _embedded(path, data)
    try:
        spec = Spec.model_validate_json(spec_bytes)
    except ValidationError as exc:
        raise VerifyError(
            Problem(
                Location(str(path)), f"the embedded spec is not valid: {exc.error_count()} errors"
            )
        ) from None
    library = load_library(library_path(manifest["library"]["id"], library_dir))
    agreement, _ = assemble(spec, library)
    rebuilt = draft_agreement(agreement, manifest["spec"]["sha256"], [kind])
    if rebuilt.outputs[kind] == data:
        return Verification(path, True)
    return Verification(path, False, differences(manifest, rebuilt.manifest))


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between the manifest a document carries and a fresh one."""
    found: list[str] = []
    if old.get("procuregen") != new.get("procuregen"):
        found.append(
            f"procuregen {old.get('procuregen')} drafted it; this is {new.get('procuregen')}"
        )
    if old["library"] != new["library"]:
        found.append(
            f"library {old['library']['id']} {old['library']['version']} is now "
            f"{new['library']['id']} {new['library']['version']}"
        )
    before = {c["id"]: c for c in old["clauses"]}
    after = {c["id"]: c for c in new["clauses"]}
    for clause_id in sorted(before.keys() | after.keys()):
        a, b = before.get(clause_id), after.get(clause_id)
        if a is None:
            found.append(f"clause {clause_id} is new in the agreement")
        elif b is None:
            found.append(f"clause {clause_id} is no longer in the agreement")
        elif a["sha256"] != b["sha256"]:
            found.append(
                f"clause {clause_id} changed: version {a['version']} is now {b['version']}, "
                "and its text differs"
            )
    if old["template"] != new["template"]:
        found.append(f"template {old['template']['id']} changed")
    if not found:
        found.append("the output differs, but the manifest does not say why (fonts or renderer?)")
    return found
