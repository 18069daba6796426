"""Definitions: exactly the terms an agreement uses, each with its definition, sorted."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from procuregen.agreement import Definition, Definitions, Paragraph, Run
from procuregen.library import ClauseText, definition_template

from .rendering import ClauseRenderer, source_line

DEFINITIONS_CLAUSE = "definitions"


def collect_definitions(
    renderer: ClauseRenderer, texts: Mapping[str, ClauseText], language: str | None
) -> Definitions:
    """The Definitions block of the clauses `texts` (by id, in one language); undefined and
    doubly defined terms are the renderer's problems."""
    included = list(texts)
    defined: dict[str, ClauseText] = {}
    for clause_id in included:
        for term in texts[clause_id].defines:
            if term in defined:
                renderer.fail(
                    texts[clause_id].at("defines", term),
                    f"defines: {term!r} is also defined by {defined[term].id}, which is in "
                    "this agreement",
                )
            defined.setdefault(term, texts[clause_id])
    used = renderer.used
    entries: dict[str, tuple[Run, ...]] = {}
    pending = list(used)
    while pending:
        term = pending.pop()
        if term in entries:
            continue
        owner = defined.get(term)
        if owner is None:
            user = used[term]
            line = source_line(user.body, f"[[{term}")
            renderer.fail(
                user.body_location(line),
                f"{user.id} uses [[{term}]], but no clause in this agreement defines it",
            )
            entries[term] = ()
            continue
        known = len(used)
        blocks = renderer.render(
            owner,
            definition_template(owner.id, term, language),
            owner.defines[term],
            where=owner.at("defines", term),
        )
        # The terms this definition uses first are the newest keys of `used`, which only
        # grows: taken from its end, so that each definition costs its own terms, not all.
        first_used = list(itertools.islice(reversed(used), len(used) - known))
        pending.extend(reversed(first_used))
        if blocks and (len(blocks) != 1 or not isinstance(blocks[0], Paragraph)):
            renderer.fail(owner.at("defines", term), f"defines: {term!r} must be one paragraph")
            continue
        entries[term] = blocks[0].runs if blocks and isinstance(blocks[0], Paragraph) else ()
    if entries and DEFINITIONS_CLAUSE not in included:
        first = next(iter(used.values()))
        renderer.fail(
            first.at("id"),
            f"terms are used but the agreement has no {DEFINITIONS_CLAUSE!r} clause to define them",
        )
    ordered = sorted(entries.items(), key=lambda item: (item[0].casefold(), item[0]))
    return Definitions(tuple(Definition(term, runs) for term, runs in ordered))
