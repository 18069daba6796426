"""The clause sandbox's bounds: the hooks through which Jinja's generated code runs.

`BoundedSandbox` is the base of the one sandbox (`environment.ClauseSandbox`). Bound
(`bound`), its renderings and conditions run within a budget (`bounds`), and every hook
that could make a value grow checks it first (`bounded_ops`, `bounded_formats`,
`bounded_filters`). Unbound (the HTML and DOCX template environments) every hook does
what Jinja's sandbox does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import Template
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from procuregen import bounded_filters, bounded_formats, bounded_ops
from procuregen.bounds import BoundExceeded, Bounds, Spending, step
from procuregen.sandbox_compiler import BoundedCodeGenerator


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with every rendering and condition bounded once `bound`."""

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


def _as_is(value: Any) -> Any:
    return value


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
