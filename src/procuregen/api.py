"""The library API behind the command line: each function is one user job."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from procuregen.agreement import Agreement, Trace
from procuregen.approvals import approval_checklist
from procuregen.assemble import assemble
from procuregen.config import configured_library, output_formats
from procuregen.errors import AssemblyError, Problem, sorted_problems
from procuregen.library import Library, library_path, load_library
from procuregen.manifest import Template
from procuregen.render.context import printed_paths
from procuregen.spec import SpecFile, read_spec
from procuregen.usage import Usage, unused_values


def open_library(spec_file: SpecFile | None, library_dir: Path | None) -> Library:
    """The library a spec calls for: the --library folder first, then the library the
    project configuration names for the spec's `library:` id, else the bundled one."""
    library_id = spec_file.spec.library if spec_file else None
    root = None
    if library_dir is None and spec_file is not None and library_id is not None:
        root = configured_library(spec_file, library_id)
    library = load_library(root or library_path(library_id, library_dir))
    if spec_file and library_id and library.id != library_id:
        raise AssemblyError(
            Problem(
                spec_file.locate(("library",)),
                f"library: the spec names {library_id!r}, but {library.root} holds {library.id!r}",
            )
        )
    return library


def build(
    spec_path: Path,
    *,
    library_dir: Path | None = None,
    strict: bool = False,
    ledger: Path | None = None,
) -> tuple[SpecFile, Library, Agreement, Trace]:
    """Read a spec, open its library, check a call-off against its framework (with the
    earlier call-offs of `ledger`) and assemble the agreement.

    The Trace carries the warnings: spec values the agreement does not use, clauses that
    are not approved, former clause ids. With `strict`, a warning is an error.
    """
    from procuregen.framework_check import apply_framework

    spec_file = read_spec(spec_path)
    library = open_library(spec_file, library_dir)
    spec_file = apply_framework(spec_file, library=library, ledger=ledger)
    usage = Usage(spec_file.spec)
    agreement, trace = assemble(spec_file.spec, library, locate=spec_file.locate, usage=usage)
    unused = unused_values(spec_file.source, [usage], printed_paths(spec_file.spec))
    warnings = sorted_problems([*trace.warnings, *unused])
    if strict:
        unapproved = [
            Problem(
                library.clauses[item.clause].at("id"),
                f"{item} (--strict drafts only approved clauses and positions)",
            )
            for item in approval_checklist(agreement)
        ]
        if warnings or unapproved:
            raise AssemblyError([*(w.as_error() for w in warnings), *unapproved])
    return spec_file, library, agreement, replace(trace, warnings=tuple(warnings))


def check_spec(
    spec_path: Path,
    *,
    library_dir: Path | None = None,
    strict: bool = False,
    ledger: Path | None = None,
    template_dir: Path | None = None,
) -> tuple[Agreement, Trace]:
    """Validate a spec and assemble its agreement, and check the template it will be drafted
    with; raise a ProcuregenError naming every problem."""
    spec_file, _, agreement, trace = build(
        spec_path, library_dir=library_dir, strict=strict, ledger=ledger
    )
    # The bundled default template needs no check: `check` stays free of the renderers.
    if template_dir is not None or spec_file.spec.output.template != DEFAULT_TEMPLATE:
        _template_for(spec_file, template_dir)
    return agreement, trace


DEFAULT_TEMPLATE = "default"


def _template_for(spec_file: SpecFile, template_dir: Path | None) -> Template:
    """The template a spec drafts with: --template, else output.template through the project
    configuration; a name that is nowhere is an error at the spec's output.template."""
    from procuregen.config import resolve_config
    from procuregen.drafting import find_template
    from procuregen.errors import RenderError

    search = resolve_config(spec_file.path).templates
    try:
        return find_template(template_dir or spec_file.spec.output.template, search)
    except RenderError as error:
        if template_dir is not None or ("output", "template") not in spec_file.source.values:
            raise
        raise RenderError(
            Problem(spec_file.locate(("output", "template")), error.problems[0].message)
        ) from None


def draft(
    spec_path: Path,
    *,
    out_dir: Path,
    formats: tuple[str, ...] | None = None,
    library_dir: Path | None = None,
    force: bool = False,
    write_manifest: bool = False,
    strict: bool = False,
    ledger: Path | None = None,
    template_dir: Path | None = None,
) -> tuple[dict[Path, str], tuple[Problem, ...]]:
    """Draft the agreement of one spec into `out_dir`; all outputs are written, or none.

    Returns the files written, each with the SHA-256 of the bytes this run wrote (read
    back, a file could already be another run's), and the warnings.
    """
    from procuregen.drafting import draft_agreement
    from procuregen.manifest import manifest_json, with_outputs
    from procuregen.output import write_all
    from procuregen.render.glyphs import printed_origins

    spec_file, library, agreement, trace = build(
        spec_path, library_dir=library_dir, strict=strict, ledger=ledger
    )
    spec = spec_file.spec
    chosen = formats or output_formats(spec_file)
    template = _template_for(spec_file, template_dir)
    origins = printed_origins(spec_file.source, library, agreement) if "pdf" in chosen else ()
    drafted = draft_agreement(
        agreement, spec_file.sha256, chosen, template=template, origins=origins
    )
    name = spec.output.name or spec_path.stem
    files = {out_dir / f"{name}.{kind}": data for kind, data in drafted.outputs.items()}
    manifest = out_dir / f"{name}.manifest.json"
    if write_manifest:
        full = with_outputs(drafted.manifest, {p.name: d for p, d in files.items()})
        files[manifest] = manifest_json(full)
    write_all(files, force=force, covers=() if write_manifest else (manifest,))
    return {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}, trace.warnings
