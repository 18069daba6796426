"""The bundled library and the examples: lint-clean, golden decisions, complete agreements."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from procuregen.api import build
from procuregen.library import library_path, load_library
from procuregen.lint import lint_library
from procuregen.spec import Spec
from procuregen.template_names import field_paths
from procuregen.validation import unwrap_optional
from tests.conftest import EXAMPLES, ROOT, Run, agreement_text

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("PROCUREGEN_UPDATE_GOLDEN") == "1"
# Fields that steer the tool rather than appear in the agreement's text.
MACHINERY = {
    "clauses.allow",
    "extends",
    "procuregen",
    "library",
    "language",
    "clauses.include",
    "clauses.exclude",
    "clauses.choose",
    "output.name",
    "output.formats",
    "output.template",
    "software.publiccode",
    "software.allow_non_osi",
}


def test_bundled_library_lints_clean() -> None:
    assert lint_library(library_path(None, None)) == []


def test_bundled_library_is_substantial_and_sourced() -> None:
    library = load_library(library_path(None, None))
    assert len(library.clauses) >= 50
    for clause in library.clauses.values():
        assert clause.meta.status == "approved", clause.id
        assert len(clause.meta.source) > 20, clause.id
        assert clause.body.strip(), clause.id
    ids = set(library.clauses)
    assert {
        "liability-cap-buyer-only",
        "liability-cap-mutual",
        "liability-cap-supplier-only",
        "liability-cap-supplier-favourable",
        "disputes-courts",
        "disputes-arbitration",
        "source-code-escrow",
        "training",
        "parties",
        "definitions",
        "signatures",
    } <= ids
    assert library.clauses["liability-cap-mutual"].meta.default
    assert library.clauses["source-code-escrow"].meta.optional
    for mandatory in ("parties", "definitions", "signatures"):
        assert library.clauses[mandatory].meta.mandatory


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_explain_json_matches_the_golden_file(example: Path, cli: Callable[..., Run]) -> None:
    result = cli("explain", example, "--json")
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{example.stem}.explain.json"
    if UPDATE:
        golden.write_text(result.stdout, encoding="utf-8")
    assert json.loads(result.stdout) == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_explain_table_names_every_clause(example: Path, cli: Callable[..., Run]) -> None:
    result = cli("explain", example)
    assert result.exit_code == 0
    library = load_library(library_path(None, None))
    for clause_id in library.clauses:
        assert clause_id in result.stdout


def test_the_examples_take_different_paths() -> None:
    chosen: dict[str, set[str]] = {}
    for example in EXAMPLES:
        _, _, agreement, _ = build(example)
        chosen[example.stem] = {c.id for c in agreement.clauses}
    assert "data-processing" in chosen["exampleby-caseflow"]
    assert "data-location-eea" in chosen["exampleby-caseflow"]
    assert {"hosting", "source-code-escrow", "disputes-arbitration", "data-location-national"} <= (
        chosen["national-agency-hosting"]
    )
    assert {"special-categories", "liability-cap-mutual"} <= chosen["region-health-records"]
    assert "development" not in chosen["small-agency-support"]
    assert "data-processing" not in chosen["small-agency-support"]
    assert "liability-cap-supplier-only" in chosen["small-agency-support"]
    assert {"delay", "key-staff"} <= chosen["county-permits-time-and-materials"]
    assert "rate-card" in chosen["county-permits-time-and-materials"]
    assert {"lots", "mini-competition", "framework-term"} <= chosen["framework-agreement"]


PLACEHOLDER = re.compile(r"\[insert|\bTODO\b|\bTBD\b|lorem ipsum|\[\s*\]|XXX|\?\?", re.IGNORECASE)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_each_example_reads_as_a_complete_agreement(example: Path) -> None:
    _, _, agreement, _ = build(example)
    for section in (*agreement.sections, *agreement.schedules):
        assert section.clauses, section.id
        for clause in section.clauses:
            assert clause.blocks, clause.id
    text = agreement_text(agreement)
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)


def _leaf_fields(model: Any, prefix: str = "") -> set[str]:
    fields: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = unwrap_optional(field.annotation)
        args = getattr(annotation, "__args__", ())
        element = unwrap_optional(args[0]) if args else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields |= _leaf_fields(annotation, path + ".")
        elif isinstance(element, type) and issubclass(element, BaseModel):
            fields |= _leaf_fields(element, path + ".")
        else:
            fields.add(path)
    return fields


def test_every_spec_field_is_used_by_a_clause_or_the_templates() -> None:
    library = load_library(library_path(None, None))
    environment = library.environment
    used: set[str] = set()
    for clause in library.clauses.values():
        sources = [clause.body, *clause.meta.defines.values()]
        if clause.meta.when:
            sources.append(f"{{{{ {clause.meta.when} }}}}")
        for source in sources:
            used |= field_paths(environment.parse(source))
    context = (ROOT / "src" / "procuregen" / "render" / "context.py").read_text(encoding="utf-8")
    for path in _leaf_fields(Spec):
        leaf = path.split(".")[-1]
        if path.startswith(("buyer.", "supplier.", "suppliers.")) and f".{leaf}" in context:
            used.add(path)  # the cover page and signature blocks print party details
    # A clause printing a whole object (`{{ data.categories }}`) uses the fields below it.
    covered = {
        leaf
        for leaf in _leaf_fields(Spec)
        if any(u == leaf or leaf.startswith(u + ".") for u in used)
    }
    assert len(covered) > 60
    assert sorted(_leaf_fields(Spec) - covered - MACHINERY) == []


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def test_clause_texts_use_curly_quotes_only() -> None:
    """The drafting standard: curly quotes in every clause text (spec values may differ)."""
    library = load_library(library_path(None, None))
    straight = [
        f"{clause.id}: {match.group(0)!r} in …{text[max(0, match.start() - 30) : match.end()]}"
        for clause in library.clauses.values()
        for text in (clause.body, *clause.meta.defines.values())
        for match in re.finditer(r"[\"']", JINJA.sub("", text))
    ]
    assert straight == []
