"""The Agreement as HTML: one Jinja template and stylesheet, the input of the PDF."""

from __future__ import annotations

from procuregen.agreement import Agreement
from procuregen.environment import make_environment
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
from procuregen.render.context import render_context
from procuregen.render.long_words import mark_long_words


def render_html(agreement: Agreement, template: Template) -> str:
    """HTML text of the agreement, every value escaped, every long word marked to wrap."""
    from jinja2 import TemplateError

    environment = make_environment("html", template.root)
    try:
        html = environment.get_template("agreement.html").render(render_context(agreement))
        return mark_long_words(html)
    except TemplateError as exc:
        message = getattr(exc, "message", None) or str(exc)
        where = Location(str(template.root / "agreement.html"), getattr(exc, "lineno", 0) or 0)
        raise RenderError(Problem(where, f"template: {message}")) from None
