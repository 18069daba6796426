"""`verify`: rebuild a drafted document from its embedded manifest and spec, and compare.

Three outcomes, each its own exit code (`Verification.exit_code`):

- 0: the drafted bytes are a fresh draft's, byte for byte. For a PDF that was signed or
  annotated afterwards, the drafted bytes are its original revision; the revisions
  appended after it are reported (`revisions.py`), not compared.
- 3: the bytes differ but every clause's visible text is the same: re-saved by another
  program (`visible_text.py`).
- 1: the text differs (which clauses, which words), the manifest names other inputs
  (clause versions, library, template, procuregen), or the document cannot be verified:
  a manifest that breaks its schema, a spec that breaks a spec file's checks, a zip or
  attachment out of bounds (`embedded.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procuregen.assemble import assemble
from procuregen.drafting import draft_agreement
from procuregen.embedded import document_kind, read_embedded
from procuregen.errors import Location, Problem, ProcuregenError, VerifyError
from procuregen.library import library_path, load_library
from procuregen.revisions import Revision, describe_later, revisions
from procuregen.spec.load import read_resolved_spec

IDENTICAL, SAME_TEXT, DIFFERS = "identical", "same-text", "differs"
EXIT_CODES = {IDENTICAL: 0, SAME_TEXT: 3, DIFFERS: 1}


@dataclass(frozen=True)
class Verification:
    document: Path
    outcome: str  # IDENTICAL, SAME_TEXT or DIFFERS
    differences: list[str] = field(default_factory=list)
    # A PDF with incremental updates: the drafted revision, and what the later ones add.
    original: Revision | None = None
    later: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.outcome == IDENTICAL

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def _fail(path: Path, message: str) -> VerifyError:
    return VerifyError(Problem(Location(str(path)), message))


def verify_document(path: Path, library_dir: Path | None = None) -> Verification:
    """Draft again from what the document says it was built from, and compare.

    Nothing the document says is trusted: its manifest is validated against its schema,
    its spec goes through every check a spec file does, and zip and attachments are
    read within bounds (`embedded.py`), all before anything is drafted. Raises
    VerifyError (or another ProcuregenError: the library, the spec) when the document
    cannot be verified at all; every such failure is a located message.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from None
    kind = document_kind(path, data)
    found = revisions(data) if kind == "pdf" else []
    original = found[0] if len(found) > 1 else None
    drafted = data[: original.end] if original else data
    embedded = read_embedded(path, drafted, kind)
    manifest = embedded.manifest
    spec = read_resolved_spec(embedded.spec_file, embedded.spec, default_name=path.stem)
    later = describe_later(data, original, found) if original else []
    try:
        library = load_library(library_path(manifest["library"]["id"], library_dir))
        agreement, _ = assemble(spec, library)
        rebuilt = draft_agreement(agreement, manifest["spec"]["sha256"], [kind])
    except ProcuregenError:
        raise
    except Exception as exc:
        raise _fail(
            path, f"cannot draft it again from its spec ({type(exc).__name__}: {exc})"
        ) from None
    fresh = rebuilt.outputs[kind]

    def result(outcome: str, found: list[str] | None = None) -> Verification:
        return Verification(path, outcome, found or [], original, later)

    if drafted == fresh:
        return result(IDENTICAL)
    changed = manifest_differences(manifest, rebuilt.manifest)
    if changed:
        return result(DIFFERS, changed)
    from procuregen.visible_text import UnreadableText, compare

    try:
        text = compare(fresh, drafted, kind, agreement)
    except UnreadableText as exc:
        return result(DIFFERS, [f"its text cannot be read to compare it ({exc})"])
    if not text:
        keys = sorted(
            k
            for k in manifest.keys() | rebuilt.manifest.keys()
            if manifest.get(k) != rebuilt.manifest.get(k)
        )
        note = f"the embedded manifest differs from a fresh draft's in: {', '.join(keys)}"
        return result(SAME_TEXT, [note] if keys else [])
    return result(DIFFERS, [f"{d.part}: {'; '.join(d.changes)}" for d in text])


def manifest_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What the manifest a document carries names differently from a fresh one."""
    found: list[str] = []
    if old.get("procuregen") != new.get("procuregen"):
        found.append(
            f"procuregen {old.get('procuregen')} drafted it; this is {new.get('procuregen')}"
        )
    if old["library"] != new["library"]:
        found.append(
            f"library {old['library'].get('id')} {old['library'].get('version')} is now "
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
        found.append(f"template {old['template'].get('id')} changed")
    return found
