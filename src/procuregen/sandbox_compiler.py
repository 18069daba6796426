"""The clause sandbox's code generator: loops and `~` go through the environment's bounds.

Jinja's sandbox lets an environment intercept attribute access, calls and operators, but
not the iterations of a `{% for %}` loop nor the `~` operator. This generator compiles
`{% for x in items %}` as `{% for x in count_loop(items) %}`, so that every iteration is
a step of the rendering's budget, and `a ~ b` as a call to `join_values`, which checks the
joined size before joining.
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator with every loop counted and every `~` checked."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # A new For node around the same children: the parsed tree is left as it was,
        # for `clauses lint`, which reads it after compiling.
        counted = nodes.Call(
            nodes.EnvironmentAttribute("count_loop", lineno=node.iter.lineno),
            [node.iter],
            [],
            None,
            None,
            lineno=node.iter.lineno,
        )
        counted.set_environment(self.environment)
        loop = nodes.For(
            node.target,
            counted,
            node.body,
            node.else_,
            node.test,
            node.recursive,
            lineno=node.lineno,
            environment=self.environment,
        )
        super().visit_For(loop, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_values((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("), context.eval_ctx.autoescape)")
