"""Rendering: each clause body, Jinja over Markdown, rendered once into blocks.

Cross-references print the target's number from the Numbering, and every defined-term
use is recorded so that the Definitions clause lists exactly the terms used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from procuregen.agreement import Block
from procuregen.bounded_sandbox import template_line
from procuregen.environment import MissingValueError
from procuregen.errors import Location, Problem, ProcuregenError
from procuregen.library import ClauseText, Library
from procuregen.markdown import MarkdownError, to_blocks
from procuregen.sandbox_failures import failure_message

from .numbering import Numbering
from .selection import plain


@dataclass
class ClauseRenderer:
    """Renders clause texts of one agreement; collects problems and the terms used."""

    library: Library
    context: Mapping[str, Any]
    numbering: Numbering
    problems: list[Problem] = field(default_factory=list)
    used: dict[str, ClauseText] = field(default_factory=dict)  # term -> first text using it

    def fail(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def render(
        self, clause: ClauseText, name: str, source: str, *, where: Location | None = None
    ) -> tuple[Block, ...]:
        """Render one Jinja-over-Markdown text of `clause` (in one language) into blocks,
        recording term uses."""
        try:
            # Plain Markdown renders to itself: compiling it as a template costs ~1 ms each.
            is_template = "{{" in source or "{%" in source or "{#" in source
            if is_template:
                text = self.library.environment.render_clause(name, self.context)
            else:
                text = source
        except TemplateSyntaxError as exc:
            self.fail(where or clause.body_location(exc.lineno), f"template: {exc.message}")
            return ()
        except (UndefinedError, SecurityError, MissingValueError, TemplateError) as exc:
            line = template_line(exc, name)
            self.fail(where or clause.body_location(line), f"template: {plain(exc)}")
            return ()
        except ProcuregenError:
            raise
        except Exception as exc:  # anything else a clause can make fail: see failure_message
            line = template_line(exc, name)
            self.fail(where or clause.body_location(line), f"template: {failure_message(exc)}")
            return ()

        def number_of(target: str) -> tuple[str, str]:
            reference = self.numbering.reference(target)
            if reference is not None:
                return reference
            line = source_line(source, f"[[#{target}]]")
            known = target in self.library.clauses or target in self.library.meta.sections
            state = "it is not in this agreement" if known else "no such clause or schedule"
            self.fail(
                where or clause.body_location(line),
                f"{clause.id} refers to [[#{target}]], but {state}",
            )
            return "clause ?", ""

        def show_term(term: str, shown: str | None) -> str:
            self.used.setdefault(term, clause)
            return shown or term

        try:
            return to_blocks(text, number_of, show_term)
        except MarkdownError as exc:
            self.fail(where or clause.body_location(exc.line), exc.message)
            return ()


def source_line(source: str, needle: str) -> int:
    """The 1-based line of `source` on which `needle` first stands (1 if it does not)."""
    index = source.find(needle)
    return source.count("\n", 0, index) + 1 if index >= 0 else 1
