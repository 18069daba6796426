"""The manifest: exactly what an agreement was built from, embedded in every output.

Written by `build_manifest`; read back from a document by `read_manifest`, which trusts
nothing: the JSON is bounded in size and validated against `EmbeddedManifest` (every
key, every type, every length), and the library id is a plain id, never a path.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from procuregen import __version__
from procuregen.agreement import Agreement
from procuregen.approvals import approval_checklist
from procuregen.errors import Location, Problem, VerifyError
from procuregen.spec import Spec
from procuregen.validation import field_path

MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 2_000_000
MAX_CLAUSES = 5_000
LIBRARY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


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
        return self.files_sha256()

    def files_sha256(self, *, allow_missing: bool = False) -> str:
        """The SHA-256 of the template's files; with `allow_missing`, a file that is not
        there (a folder under check) counts as absent instead of being an error."""
        digest = hashlib.sha256()
        for name in self.FILES:
            path = self.root / name
            content = b"-" if allow_missing and not path.is_file() else path.read_bytes()
            digest.update(name.encode() + b"\0" + content + b"\0")
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


# ------------------------------------------------------------------ reading it back


def _library_id(value: str) -> str:
    if not LIBRARY_ID.fullmatch(value):
        shown = repr(value if len(value) <= 80 else value[:80] + "…")
        message = (
            f"{shown} is not a library id (lowercase letters, digits and -, at most 64);"
            " a document never names a folder"
        )
        # pydantic reads braces in a message as placeholders; the value is a forger's.
        raise PydanticCustomError("library_id", message.replace("{", "(").replace("}", ")"))
    return value


Short = Annotated[str, Field(max_length=100)]  # a version, a clause number
Name = Annotated[str, Field(max_length=255)]
Note = Annotated[str, Field(max_length=2000)]  # a title, a licence, an approval note
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
LibraryId = Annotated[str, AfterValidator(_library_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SpecEntry(_Strict):
    name: Name
    sha256: Sha256
    resolved_sha256: Sha256


class LibraryEntry(_Strict):
    id: LibraryId
    title: Note
    version: Short
    license: Note


class TemplateEntry(_Strict):
    id: Name
    sha256: Sha256


class ClauseEntry(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
    number: Short
    version: Short
    status: Literal["draft", "approved", "deprecated", "retired"]
    approval: Note | None
    sha256: Sha256


class EmbeddedManifest(_Strict):
    """The schema of the manifest a drafted document carries (`build_manifest`'s keys)."""

    manifest_format: Literal[1]
    procuregen: Short
    document: Literal["framework", "call-off"]
    spec: SpecEntry
    library: LibraryEntry
    template: TemplateEntry
    clauses: Annotated[list[ClauseEntry], Field(max_length=MAX_CLAUSES)]
    approval_checklist: Annotated[list[Note], Field(max_length=2 * MAX_CLAUSES)]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            # Two values for one key: which one a reader believes is up to the reader.
            raise ValueError(f"the key {key!r} is given twice")
        seen.add(key)
    return dict(pairs)


def read_manifest(raw: bytes, where: Location) -> dict[str, Any]:
    """The manifest JSON a document carries, validated against EmbeddedManifest; raise
    VerifyError naming every problem as `manifest.json.path: message` at `where`."""

    def fail(problems: list[str]) -> VerifyError:
        return VerifyError([Problem(where, message) for message in problems])

    if len(raw) > MAX_MANIFEST_BYTES:
        raise fail([f"manifest: {len(raw)} bytes; at most {MAX_MANIFEST_BYTES}"])
    try:
        data = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:
        raise fail(["manifest: nested too deeply"]) from None
    except json.JSONDecodeError as exc:
        raise fail(
            [f"manifest: not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"]
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail([f"manifest: not JSON: {exc}"]) from None
    try:
        EmbeddedManifest.model_validate(data)
    except ValidationError as exc:
        raise fail([_message(error) for error in exc.errors(include_url=False)]) from None
    assert isinstance(data, dict)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _message(error: Any) -> str:
    path = field_path(tuple(error["loc"]))
    where = f"manifest.{path}" if path else "manifest"
    if error["type"] == "missing":
        return f"{where}: required field is missing"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field"
    return f"{where}: {error['msg']}"
