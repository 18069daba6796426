"""The one factory for Jinja environments: sandboxed, strict, the same filters everywhere.

Clause bodies are Markdown, so every value they print is escaped for Markdown: a
supplier named `**Acme** [[Buyer]]` is printed as those characters, never as
bold text or a defined term. HTML templates autoescape; DOCX templates escape XML.

The clause environment is also bounded (`bounded_sandbox`): every rendering and condition
runs within a budget of time, steps and characters.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import CodeType
from typing import Any, Literal

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
    pass_context,
)
from jinja2 import __version__ as jinja_version
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.runtime import Context
from pydantic import BaseModel

from procuregen import __version__
from procuregen.bounded_sandbox import BoundedSandbox
from procuregen.bounds import CLAUSE_BOUNDS
from procuregen.code_cache import CodeCache, default_folder
from procuregen.messages import (
    format_country,
    format_currency_name,
    format_date,
    format_money,
    format_number,
    gettext,
    label,
)
from procuregen.usage import ModelView

Target = Literal["markdown", "html", "xml"]
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_WHITESPACE = re.compile(r"\s+")


class MissingValueError(ValueError):
    """A template printed a value that the spec does not set."""


class ClauseSandbox(BoundedSandbox):
    """A sandbox in which a spec model exposes its fields and properties, nothing else.

    Compiled templates and expressions come from the on-disk code cache when it holds
    them (see `code_cache`); the cache key covers everything the generated code
    depends on, so a hit is the code this environment would have generated.
    """

    code_cache: CodeCache | None = None

    def compile(  # type: ignore[override]
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        if raw:
            return super().compile(source, name, filename, True, defer_init)
        if self.code_cache is None or not isinstance(source, str):
            return super().compile(source, name, filename, False, defer_init)
        key = self.code_cache.key(
            self._fingerprint, "template", name, filename, str(defer_init), source
        )
        code = self.code_cache.load(key)
        if code is None:
            code = super().compile(source, name, filename, False, defer_init)
            assert isinstance(code, CodeType)
            self.code_cache.store(key, code)
        return code

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> Any:
        if self.code_cache is None:
            return super().compile_expression(source, undefined_to_none)
        key = self.code_cache.key(self._fingerprint, "expression", source)
        code = self.code_cache.load(key)
        if code is None:
            code = self._compile_expression_code(source)
            self.code_cache.store(key, code)
        template = self.template_class.from_code(self, code, self.make_globals(None))
        return TemplateExpression(template, undefined_to_none)

    def _compile_expression_code(self, source: str) -> CodeType:
        """What Jinja's compile_expression compiles: `result = (source)` as a template."""
        parser = Parser(self, source, state="variable")
        try:
            expression = parser.parse_expression()
            if not parser.stream.eos:
                raise TemplateSyntaxError(
                    "chunk after expression", parser.stream.current.lineno, None, None
                )
            expression.set_environment(self)
        except TemplateSyntaxError:
            self.handle_exception(source=source)
        body = [nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)]
        code = super().compile(nodes.Template(body, lineno=1))
        assert isinstance(code, CodeType)
        return code

    @functools.cached_property
    def _fingerprint(self) -> str:
        """Everything besides the source that the generated code depends on."""
        settings = (
            type(self).__module__,
            type(self).__qualname__,
            self.code_generator_class.__qualname__,
            jinja_version,
            __version__,
            repr(self.autoescape if isinstance(self.autoescape, bool) else "callable"),
            repr(self.finalize is not None),
            repr(
                (
                    self.block_start_string,
                    self.block_end_string,
                    self.variable_start_string,
                    self.variable_end_string,
                    self.comment_start_string,
                    self.comment_end_string,
                    self.line_statement_prefix,
                    self.line_comment_prefix,
                    self.trim_blocks,
                    self.lstrip_blocks,
                    self.newline_sequence,
                    self.keep_trailing_newline,
                    self.optimized,
                    self.is_async,
                    sorted(self.extensions),
                )
            ),
        )
        return "\n".join(settings) + "\n" + _generator_source_digest()

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
    environment.code_cache = _process_code_cache()
    return environment


@functools.cache
def _process_code_cache() -> CodeCache | None:
    folder = default_folder()
    return None if folder is None else CodeCache(folder)


@functools.cache
def _generator_source_digest() -> str:
    """The source of the modules that generate and run sandboxed code: a change to the
    sandbox or its code generator invalidates everything compiled before it."""
    from procuregen import bounded_sandbox, sandbox_compiler

    digest = hashlib.sha256()
    for module_file in (__file__, bounded_sandbox.__file__, sandbox_compiler.__file__):
        digest.update(Path(module_file).read_bytes())
    return digest.hexdigest()
