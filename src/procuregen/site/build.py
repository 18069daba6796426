"""`procuregen clauses site`: a static HTML review site of a clause library.

One page per clause (metadata, condition in plain words, positions, terms, references,
examples, translations, approval), an index by section, a page of defined terms and a
client-side search. Every file is written by this module from the library alone: no
external asset, no timestamp, so the same library gives the same bytes, and the site
works when opened from `file://`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from procuregen.environment import make_environment
from procuregen.errors import ProcuregenError
from procuregen.library import Clause, Library, library_path, load_library
from procuregen.markdown import references
from procuregen.resources import PACKAGE, bundled_root
from procuregen.site.conditions import describe_condition
from procuregen.site.text import Link, plain_text, render_block, render_inline

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_FILES = ("site.css", "search.js")
CLAUSES_DIR = "clauses"
ASSETS_DIR = "assets"
SEARCH_INDEX = "search-index.js"


@dataclass(frozen=True)
class ExampleUse:
    """A spec that includes a clause: its file name, and where the clause went in."""

    name: str
    where: str  # "" for the agreement itself, "Call-Off Terms" for the embedded terms


@dataclass(frozen=True)
class ExampleResult:
    name: str
    problem: str  # "" when the example assembled
    clauses: int


@dataclass
class _Facts:
    """What the site knows about every clause, gathered once."""

    definers: dict[str, list[str]] = field(default_factory=dict)  # term -> clause ids
    uses: dict[str, list[str]] = field(default_factory=dict)  # clause id -> terms used
    refs_out: dict[str, list[str]] = field(default_factory=dict)  # clause id -> targets
    refs_in: dict[str, list[str]] = field(default_factory=dict)  # clause id -> referrers
    examples: dict[str, list[ExampleUse]] = field(default_factory=dict)
    example_results: list[ExampleResult] = field(default_factory=list)
    translated_terms: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> t -> src


def build_site(
    library: Library | Path,
    out_dir: Path,
    examples: Sequence[Path] | None = None,
) -> list[Path]:
    """Write the review site of `library` (a loaded library or its folder) into `out_dir`.

    `examples` are specs whose agreements are assembled to show which clauses each
    includes; by default, the repository's examples/*.yaml when `library` is the bundled
    one, else none. Returns the files written, sorted.
    """
    if not isinstance(library, Library):
        library = load_library(library_path(None, library))
    if examples is None:
        examples = bundled_examples(library)
    facts = _gather(library, examples)
    environment = make_environment("html", template_root=TEMPLATES)
    files: dict[str, str] = {}
    common = _common(library)
    files["index.html"] = environment.get_template("index.html").render(
        **common, root="", sections=_sections(library, facts), examples=facts.example_results
    )
    files["terms.html"] = environment.get_template("terms.html").render(
        **common, root="", terms=_terms(library, facts)
    )
    clause_template = environment.get_template("clause.html")
    for clause in library.clauses.values():
        files[f"{CLAUSES_DIR}/{clause.id}.html"] = clause_template.render(
            **common, root="../", clause=_clause_page(library, facts, clause)
        )
    files[f"{ASSETS_DIR}/{SEARCH_INDEX}"] = _search_index(library, facts)
    for name in STATIC_FILES:
        files[f"{ASSETS_DIR}/{name}"] = (STATIC / name).read_text(encoding="utf-8")
    written = []
    for name, text in sorted(files.items()):
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = text if text.endswith("\n") else text + "\n"
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def bundled_examples(library: Library) -> list[Path]:
    """The repository's examples/*.yaml when `library` is the bundled library of a source
    checkout; none otherwise (the wheel ships no examples)."""
    if library.root.resolve().parent != bundled_root("clauses").resolve():
        return []
    return sorted((PACKAGE.parent.parent / "examples").glob("*.yaml"))


def _gather(library: Library, examples: Sequence[Path]) -> _Facts:
    facts = _Facts()
    for clause in library.clauses.values():
        for term in clause.meta.defines:
            facts.definers.setdefault(term, []).append(clause.id)
    for clause in library.clauses.values():
        terms: list[str] = []
        targets: list[str] = []
        for text in (clause.body, *clause.meta.defines.values()):
            for reference in references(text):
                if reference.term is not None and reference.term not in terms:
                    terms.append(reference.term)
                if reference.target is not None and reference.target not in targets:
                    targets.append(reference.target)
        facts.uses[clause.id] = terms
        facts.refs_out[clause.id] = targets
        for target in targets:
            facts.refs_in.setdefault(target, []).append(clause.id)
    for language, glossary in library.glossaries.items():
        facts.translated_terms[language] = {v: k for k, v in glossary.terms.items()}
    for spec in examples:
        _include_example(library, facts, spec)
    return facts


def _include_example(library: Library, facts: _Facts, spec: Path) -> None:
    from procuregen.api import build

    try:
        _, _, _, trace = build(spec, library_dir=library.root)
    except ProcuregenError as error:
        problem = str(error.problems[0]) if error.problems else str(error)
        facts.example_results.append(ExampleResult(spec.name, problem, 0))
        return
    count = 0
    for decisions, where in ((trace.decisions, ""), (trace.terms, "Call-Off Terms")):
        for decision in decisions:
            if decision.included:
                count += 1
                uses = facts.examples.setdefault(decision.clause, [])
                uses.append(ExampleUse(spec.name, where))
    facts.example_results.append(ExampleResult(spec.name, "", count))


def _common(library: Library) -> dict[str, Any]:
    return {
        "library": {
            "id": library.id,
            "title": library.meta.title,
            "version": library.meta.version,
            "license": library.meta.license,
            "languages": list(library.meta.languages),
        }
    }


def _condition(library: Library, when: str | None) -> str:
    return describe_condition(
        when,
        {kind: meta.title for kind, meta in library.meta.documents.items()},
        dict(library.meta.jurisdictions),
    )


def term_anchor(term: str) -> str:
    """The id of a term's definition on its clause page."""
    return "term-" + (re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-") or "x")


def _resolver(library: Library, facts: _Facts, root: str, language: str | None = None) -> Any:
    """Links for `[[...]]` on a page `root` away from the top of the site."""
    to_source = facts.translated_terms.get(language or "", {})

    def resolve(term: str | None, target: str | None) -> Link:
        if target is not None:
            if target in library.clauses:
                clause = library.clauses[target]
                return Link(
                    f"{root}{CLAUSES_DIR}/{target}.html",
                    f"clause {target}",
                    "xref",
                    clause.title,
                )
            if target in library.meta.sections:
                title = library.meta.sections[target].title
                href = f"{root}index.html#section-{target}"
                return Link(href, f"schedule {target}", "xref", title)
            return Link(None, f"no clause or schedule {target!r} in this library", "xref missing")
        assert term is not None
        source = to_source.get(term, term)
        definers = facts.definers.get(source)
        if not definers:
            return Link(None, f"{source}: defined by no clause", "term missing")
        return Link(
            f"{root}{CLAUSES_DIR}/{definers[0]}.html#{term_anchor(source)}",
            f"{source}: defined in {definers[0]}",
            "term",
        )

    return resolve


def _clause_ref(library: Library, clause_id: str, root: str) -> dict[str, str]:
    """A link to a clause (or a schedule) by id, for lists."""
    if clause_id in library.clauses:
        clause = library.clauses[clause_id]
        return {
            "id": clause_id,
            "title": clause.title,
            "href": f"{root}{CLAUSES_DIR}/{clause_id}.html",
            "kind": "clause",
        }
    if clause_id in library.meta.sections:
        return {
            "id": clause_id,
            "title": library.meta.sections[clause_id].title,
            "href": f"{root}index.html#section-{clause_id}",
            "kind": "schedule",
        }
    return {"id": clause_id, "title": "not in this library", "href": "", "kind": "missing"}


def _sections(library: Library, facts: _Facts) -> list[dict[str, Any]]:
    by_section: dict[str, list[Clause]] = {}
    for clause in library.clauses.values():
        by_section.setdefault(clause.meta.section, []).append(clause)
    documents = library.meta.documents
    sections = []
    for section_id, meta in library.meta.sections.items():
        parts = [
            f"{'schedule of' if section_id in d.schedules else 'section of'} {d.title}"
            for d in documents.values()
            if section_id in d.parts
        ]
        sections.append(
            {
                "id": section_id,
                "title": meta.title,
                "where": "; ".join(parts),
                "embeds": documents[meta.embeds].title
                if meta.embeds is not None and meta.embeds in documents
                else "",
                "clauses": [
                    {
                        **_clause_ref(library, c.id, ""),
                        "version": c.meta.version,
                        "status": c.meta.status,
                        "slot": c.meta.slot or "",
                        "condition": _condition(library, c.meta.when),
                        "examples": len({u.name for u in facts.examples.get(c.id, [])}),
                    }
                    for c in by_section.get(section_id, [])
                ],
            }
        )
    return sections


def _terms(library: Library, facts: _Facts) -> list[dict[str, Any]]:
    users: dict[str, list[str]] = {}
    for clause_id, terms in facts.uses.items():
        for term in terms:
            users.setdefault(term, []).append(clause_id)
    rows = []
    for term in sorted(set(facts.definers) | set(users), key=lambda t: (t.lower(), t)):
        definers = facts.definers.get(term, [])
        rows.append(
            {
                "term": term,
                "anchor": term_anchor(term),
                "defined_by": [_clause_ref(library, c, "") for c in definers],
                "used_by": [_clause_ref(library, c, "") for c in users.get(term, [])],
                "translations": [
                    {"language": language, "term": glossary.terms[term]}
                    for language, glossary in sorted(library.glossaries.items())
                    if term in glossary.terms
                ],
            }
        )
    return rows


def _approval(clause: Clause) -> dict[str, str]:
    """The clause's recorded legal approval, read leniently: the fields are optional."""
    by = getattr(clause.meta, "approved_by", None)
    on = getattr(clause.meta, "approved_on", None)
    version = getattr(clause.meta, "approved_version", None)
    if not by and not on:
        return {"state": "not recorded", "by": "", "on": "", "version": ""}
    current = version is None or str(version) == clause.meta.version
    return {
        "state": "approved" if current else "approved for an earlier version",
        "by": str(by or ""),
        "on": str(on or ""),
        "version": str(version or clause.meta.version),
    }


def _clause_page(library: Library, facts: _Facts, clause: Clause) -> dict[str, Any]:
    root = "../"
    meta = clause.meta
    resolve = _resolver(library, facts, root)
    positions = []
    if meta.slot is not None:
        for other in library.clauses.values():
            if other.meta.slot == meta.slot:
                positions.append(
                    {
                        **_clause_ref(library, other.id, root),
                        "default": other.meta.default,
                        "current": other.id == clause.id,
                        "status": other.meta.status,
                        "condition": _condition(library, other.meta.when),
                    }
                )
    translations = []
    for language in library.meta.languages[1:]:
        translation = clause.translations.get(language)
        if translation is None:
            translations.append({"language": language, "missing": True})
            continue
        translations.append(
            {
                "language": language,
                "missing": False,
                "title": translation.title,
                "path": translation.path,
                "translates": translation.meta.translates,
                "stale": _older(translation.meta.translates, meta.version),
                "body": Markup(
                    render_block(translation.body, _resolver(library, facts, root, language))
                ),
                "source": translation.body,
                "defines": [
                    {
                        "term": term,
                        "text": Markup(
                            render_inline(text, _resolver(library, facts, root, language))
                        ),
                    }
                    for term, text in translation.defines.items()
                ],
            }
        )
    examples = facts.examples.get(clause.id, [])
    return {
        "id": clause.id,
        "title": clause.title,
        "path": clause.path,
        "sha256": clause.sha256,
        "version": meta.version,
        "status": meta.status,
        "section": _clause_ref(library, meta.section, root)
        | {"title": library.meta.sections[meta.section].title}
        if meta.section in library.meta.sections
        else {"id": meta.section, "title": meta.section, "href": "", "kind": "missing"},
        "order": meta.order,
        "documents": [
            library.meta.documents[d].title if d in library.meta.documents else d
            for d in meta.documents
        ],
        "when": meta.when or "",
        "condition": _condition(library, meta.when),
        "mandatory": meta.mandatory,
        "optional": meta.optional,
        "slot": meta.slot or "",
        "default": meta.default,
        "positions": positions,
        "aliases": list(meta.aliases),
        "requires": [_clause_ref(library, c, root) for c in meta.requires],
        "conflicts": [_clause_ref(library, c, root) for c in meta.conflicts],
        "source": meta.source,
        "approval": _approval(clause),
        "defines": [
            {
                "term": term,
                "anchor": term_anchor(term),
                "text": Markup(render_inline(text, resolve)),
                "also": [c for c in facts.definers[term] if c != clause.id],
            }
            for term, text in meta.defines.items()
        ],
        "uses": [
            {"term": term, "link": resolve(term, None)}
            for term in sorted(facts.uses.get(clause.id, []), key=lambda t: (t.lower(), t))
        ],
        "references": [_clause_ref(library, t, root) for t in facts.refs_out.get(clause.id, [])],
        "referenced_by": [_clause_ref(library, c, root) for c in facts.refs_in.get(clause.id, [])],
        "examples": examples,
        "examples_known": bool(facts.example_results),
        "translations": translations,
        "body": Markup(render_block(clause.body, resolve)),
        "markdown": clause.body,
    }


def _older(translates: str, version: str) -> bool:
    def key(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    return key(translates) < key(version)


def _search_index(library: Library, facts: _Facts) -> str:
    entries = []
    for clause in library.clauses.values():
        titles = [t.title for _, t in sorted(clause.translations.items())]
        texts = [clause.body, *clause.meta.defines.values()]
        entries.append(
            {
                "id": clause.id,
                "title": clause.title,
                "titles": titles,
                "section": library.meta.sections[clause.meta.section].title
                if clause.meta.section in library.meta.sections
                else clause.meta.section,
                "url": f"{CLAUSES_DIR}/{clause.id}.html",
                "defines": list(clause.meta.defines),
                "uses": facts.uses.get(clause.id, []),
                "text": plain_text(" ".join(texts)),
            }
        )
    data = json.dumps(
        {"library": library.id, "version": library.meta.version, "clauses": entries},
        ensure_ascii=True,
        sort_keys=True,
        separators=(",", ":"),
    )
    # Loaded with <script src>, since file:// pages cannot fetch JSON.
    return f"window.PROCUREGEN_SEARCH = {_script_safe(data)};\n"


def _script_safe(data: str) -> str:
    """JSON that cannot close a script element, should it ever be inlined."""
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def site_files(out_dir: Path) -> Iterable[Path]:
    """The HTML pages of a built site, sorted."""
    return sorted(out_dir.rglob("*.html"))


__all__ = ["ExampleResult", "ExampleUse", "build_site", "bundled_examples", "site_files"]
