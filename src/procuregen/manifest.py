"""The manifest: exactly what an agreement was built from, embedded in every output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procuregen import __version__
from procuregen.agreement import Agreement
from procuregen.approvals import approval_checklist
from procuregen.spec import Spec

MANIFEST_FORMAT = 1


def resolved_spec_json(spec: Spec) -> bytes:
    """The spec with every default filled in, as canonical JSON: what `verify` rebuilds from."""
    data = spec.model_dump(mode="json")
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Template:
    """A template set: a folder with agreement.docx, agreement.html and agreement.css."""

    id: str
    root: Path

    FILES = ("agreement.docx", "agreement.html", "agreement.css")

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for name in self.FILES:
            digest.update(name.encode() + b"\0" + (self.root / name).read_bytes() + b"\0")
        return digest.hexdigest()


def build_manifest(
    agreement: Agreement, spec_source_sha256: str, template: Template
) -> dict[str, Any]:
    """The manifest embedded in the outputs (their own hashes cannot be in it)."""
    library = agreement.library
    return {
        "manifest_format": MANIFEST_FORMAT,
        "procuregen": __version__,
        "document": agreement.document,
        "spec": {
            "name": agreement.spec.output.name,
            "sha256": spec_source_sha256,
            "resolved_sha256": sha256(resolved_spec_json(agreement.spec)),
        },
        "library": {
            "id": library.id,
            "title": library.title,
            "version": library.version,
            "license": library.license,
        },
        "template": {"id": template.id, "sha256": template.sha256},
        "clauses": [
            {
                "id": c.id,
                "number": c.number,
                "version": c.version,
                "status": c.status,
                "approval": c.approval or None,
                "sha256": c.sha256,
            }
            for c in agreement.clauses
        ],
        "approval_checklist": [str(item) for item in approval_checklist(agreement)],
    }


def manifest_json(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def with_outputs(manifest: Mapping[str, Any], outputs: Mapping[str, bytes]) -> dict[str, Any]:
    """The manifest written beside the outputs, with their SHA-256."""
    return {**manifest, "outputs": {name: sha256(data) for name, data in sorted(outputs.items())}}
