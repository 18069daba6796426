"""The one factory for Jinja environments: sandboxed, strict, the same filters everywhere.

Clause bodies are Markdown, so every value they print is escaped for Markdown: a
supplier named `**Acme** [[Buyer]]` is printed as those characters, never as
bold text or a defined term. HTML templates autoescape; DOCX templates escape XML.

The clause environment is also bounded (`bounds`): every rendering and condition runs
within a budget of time, steps and characters, and every operation that could grow a
value is checked first (`bounded_ops`, `bounded_formats`, `bounded_filters`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from jinja2 import BaseLoader, StrictUndefined, Template, TemplateNotFound, pass_context
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from procuregen import bounded_filters, bounded_formats, bounded_ops
from procuregen.bounds import CLAUSE_BOUNDS, BoundExceeded, Bounds, Spending, step
from procuregen.messages import (
    format_country,
    format_currency_name,
    format_date,
    format_money,
    format_number,
    gettext,
    label,
)
from procuregen.sandbox_compiler import BoundedCodeGenerator
from procuregen.usage import ModelView

Target = Literal["markdown", "html", "xml"]
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_WHITESPACE = re.compile(r"\s+")


class MissingValueError(ValueError):
    """A template printed a value that the spec does not set."""


class ClauseSandbox(ImmutableSandboxedEnvironment):
    """A sandbox in which a spec model exposes its fields and properties, nothing else;
    with `bounds`, every rendering and condition is bounded (see `bound`)."""

    # Every environment compiles the same code, bounded or not, so that compiled code never
    # depends on which environment compiled it; the hooks do nothing without bounds.
    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset(bounded_ops.BINARY)
    bounds: Bounds | None = None

    def bound(self, bounds: Bounds) -> None:
        """Bound every rendering and condition of this environment; call before compiling."""
        self.bounds = bounds
        for name in bounded_filters.REMOVED_FILTERS:
            self.filters.pop(name, None)
        for name in bounded_filters.REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.filters = {
            name: bounded_filters.bounded_filter(bounds, name, function)
            for name, function in self.filters.items()
        }
        self.globals["range"] = bounded_filters.bounded_range(bounds)
        self.finalize = bounded_ops.bounded_finalize(bounds, self.finalize or _as_is)

    def render_clause(self, name: str, context: Mapping[str, Any]) -> str:
        """Render the template `name` within the bounds."""
        if self.bounds is None:
            return self.get_template(name).render(context)
        with Spending(self.bounds):
            return self.get_template(name).render(context)

    def compile_condition(self, source: str) -> Callable[..., Any]:
        """A `when:` expression, compiled once, evaluated within the bounds each time."""
        expression = self.compile_expression(source, undefined_to_none=False)
        bounds = self.bounds
        if bounds is None:
            return expression

        def evaluate(**context: Any) -> Any:
            with Spending(bounds):
                return expression(**context)

        return evaluate

    # -- the hooks Jinja's generated code calls ------------------------------------------

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if self.bounds is None:
            return super().call_binop(context, operator, left, right)
        return bounded_ops.binary(self.bounds, operator, left, right)

    def call(self, context: Context, function: Any, /, *args: Any, **kwargs: Any) -> Any:
        parent = super().call
        if self.bounds is None:
            return parent(context, function, *args, **kwargs)
        if isinstance(function, LoopContext) and args:
            args = (bounded_ops.counted(args[0]), *args[1:])  # a recursive loop's items
        return bounded_ops.call(
            self.bounds, function, lambda: parent(context, function, *args, **kwargs), args
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if self.bounds is None:
            return super().wrap_str_format(value)
        return bounded_formats.bounded_str_format(self, self.bounds, value)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins every output: a template's, a macro's, a block's."""
        if self.bounds is None:
            return "".join(parts)
        return bounded_ops.join_output(self.bounds, parts)

    def join_values(self, parts: tuple[Any, ...], autoescape: bool) -> str:
        """`a ~ b` (compiled by BoundedCodeGenerator)."""
        if self.bounds is None:
            return markup_join(parts) if autoescape else str_join(parts)
        return bounded_ops.join_values(self.bounds, parts, autoescape)

    def count_loop(self, items: Iterable[Any]) -> Iterable[Any]:
        """The items of a `{% for %}` loop (compiled by BoundedCodeGenerator)."""
        if self.bounds is None:
            return items
        return bounded_ops.counted(items)

    def get_template(
        self, name: str | Template, parent: str | None = None, globals: Any = None
    ) -> Template:
        if self.bounds is not None and parent is not None:  # an include, import or extends
            if name == parent:
                raise BoundExceeded(f"{name} includes itself: that never ends; remove the include")
            step()
        return super().get_template(name, parent, globals)

    def select_template(
        self, names: Iterable[str | Template], parent: str | None = None, globals: Any = None
    ) -> Template:
        if self.bounds is not None and parent is not None:
            step()
        return super().select_template(names, parent, globals)

    # -- what a template may reach -----------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, ModelView):
            found, value = obj.view_attribute(attribute)
            if found:
                return value
            model = obj.unwrap()
            if hasattr(model, attribute):
                return self.unsafe_undefined(model, attribute)
            return self.undefined(obj=model, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, ModelView) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, BaseModel):
            return attr in type(obj).model_fields or isinstance(
                getattr(type(obj), attr, None), property
            )
        return bool(super().is_safe_attribute(obj, attr, value))


class RootLoader(BaseLoader):
    """Loads templates from one folder; a name that leaves it, by `..` or a link, is refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = (self.root / template).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime


def markdown_literal(value: Any) -> str:
    """A value as Markdown that reads as exactly its text, on one line."""
    text = _WHITESPACE.sub(" ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _finalize_markdown(value: Any) -> Any:
    if value is None:
        raise MissingValueError("the value is not set in the spec")
    if isinstance(value, str) and not value:
        raise MissingValueError("the value is empty")
    return markdown_literal(value)


def _as_is(value: Any) -> Any:
    return value


def _finalize_strict(value: Any) -> Any:
    if value is None:
        raise MissingValueError("the value is not set in the spec")
    return value


def _locale(context: Context) -> str:
    language = context.get("language")
    return language if isinstance(language, str) else "en"


@pass_context
def money(context: Context, amount: Decimal | int, currency: str | None = None) -> str:
    """Jinja filter: an amount in the spec's currency unless one is given."""
    if currency is None:
        currency = context.environment.getattr(context["value"], "currency")
    return format_money(amount, str(currency), _locale(context))


@pass_context
def number(context: Context, value: Decimal | int) -> str:
    """Jinja filter: a number with the locale's grouping."""
    return format_number(value, _locale(context))


@pass_context
def long_date(context: Context, value: dt.date) -> str:
    """Jinja filter: a date written out."""
    return format_date(value, _locale(context))


@pass_context
def country(context: Context, code: str) -> str:
    """Jinja filter: a country code as the country's name."""
    return format_country(code, _locale(context))


@pass_context
def currency_name(context: Context, code: str) -> str:
    """Jinja filter: `EUR` as `euro`."""
    return format_currency_name(str(code), _locale(context))


@pass_context
def and_list(context: Context, values: Iterable[Any], conjunction: str = "and") -> str:
    """`[a, b, c]` as `a, b and c` (`a, b och c`); `and_list("or")` joins with "or"."""
    items = [str(v) for v in values]
    if not items:
        raise MissingValueError("the list is empty")
    if len(items) == 1:
        return items[0]
    word = gettext(_locale(context), conjunction)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


@pass_context
def keyword_label(context: Context, keyword: Any) -> str:
    """Jinja filter: a spec keyword as words of the agreement's language."""
    return label(_locale(context), keyword)


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "number": number,
    "date": long_date,
    "country": country,
    "currency_name": currency_name,
    "and_list": and_list,
    "label": keyword_label,
}


class SourceLoader(BaseLoader):
    """Named template sources held in memory: a library's clause bodies and definitions."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.sources:
            raise TemplateNotFound(template)
        # The name as the file name: a runtime error's traceback then tells which clause
        # each line is in (`template_line`).
        return self.sources[template], template, lambda: True


def make_environment(
    target: Target,
    template_root: Path | None = None,
    sources: Mapping[str, str] | None = None,
) -> ClauseSandbox:
    """The sandboxed, strict Jinja environment for clause bodies, HTML or DOCX XML.

    With `sources`, templates are compiled once and cached by name for the life of
    the environment; with `template_root`, they are read from that folder only.
    """
    loader: BaseLoader | None = None
    if template_root is not None:
        loader = RootLoader(template_root)
    elif sources is not None:
        loader = SourceLoader(sources)
    environment = ClauseSandbox(
        undefined=StrictUndefined,
        autoescape=target in ("html", "xml"),
        finalize=_finalize_markdown if target == "markdown" else _finalize_strict,
        loader=loader,
        cache_size=-1,
        keep_trailing_newline=True,
        trim_blocks=target == "markdown",
        lstrip_blocks=target == "markdown",
        auto_reload=False,
    )
    environment.filters.update(FILTERS)
    if target == "markdown":
        environment.bound(CLAUSE_BOUNDS)
    return environment


def template_line(error: BaseException, filename: str) -> int:
    """The line of template `filename` on which a runtime error happened: the innermost
    such line of the traceback (Jinja rewrites tracebacks to show template lines); 1 when
    the traceback has none."""
    line = 1
    for frame, number in _frames(error):
        if frame.f_code.co_filename == filename:
            line = number
    return line


def _frames(error: BaseException) -> Iterator[tuple[Any, int]]:
    traceback = error.__traceback__
    while traceback is not None:
        yield traceback.tb_frame, traceback.tb_lineno
        traceback = traceback.tb_next
