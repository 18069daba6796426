"""The comparison as one self-contained HTML file: styles inline, no scripts, no links to
anything outside it; every text from the libraries or agreements is escaped."""

from __future__ import annotations

from html import escape

from procuregen.diff.model import ClauseDiff, Comparison, Op, TextDiff
from procuregen.diff.words import marked_lines

STYLE = """
body { font-family: Georgia, "Liberation Serif", serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #1a1a1a; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
.kind { font: 600 0.75em system-ui, sans-serif; text-transform: uppercase; padding: 0.1em 0.5em;
        border-radius: 0.3em; background: #e8e8e8; margin-right: 0.5em; }
.added { background: #d9f2d9; } .removed { background: #f7d7d7; }
.changed { background: #fdf0c8; } .moved, .renumbered { background: #dde7f7; }
.section { color: #555; font-size: 0.9em; }
.text { white-space: pre-wrap; border-left: 3px solid #ccc; padding-left: 0.8em; }
ins { background: #d9f2d9; text-decoration: underline; }
del { background: #f7d7d7; text-decoration: line-through; }
.label { font-weight: 600; margin-bottom: 0.2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; }
"""


def _mark(op: Op, text: str) -> str:
    if op == "insert":
        return f"<ins>{escape(text)}</ins>"
    if op == "delete":
        return f"<del>{escape(text)}</del>"
    return escape(text)


def _text(diff: TextDiff) -> str:
    lines = "\n".join(line for line, _ in marked_lines(diff.segments, _mark)).strip("\n")
    return (
        f'<div class="label">{escape(diff.label[:1].upper() + diff.label[1:])}</div>\n'
        f'<div class="text">{lines}</div>'
    )


def _clause(clause: ClauseDiff) -> str:
    kinds = "".join(f'<span class="kind {k}">{k}</span>' for k in clause.kinds)
    parts = [
        f'<section id="clause-{escape(clause.id)}">',
        f"<h2>{kinds}{escape(clause.id)}: {escape(clause.title)}</h2>",
        f'<div class="section">Section {escape(clause.section)}</div>',
    ]
    if clause.notes:
        parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in clause.notes) + "</ul>")
    parts.extend(_text(diff) for diff in clause.texts if diff.changed)
    parts.append("</section>")
    return "\n".join(parts)


def render_html(comparison: Comparison) -> str:
    title = f"Comparison of two {comparison.subject}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>A: {escape(comparison.a)}<br>B: {escape(comparison.b)}</p>",
        f"<p>{escape(comparison.summary())}</p>",
    ]
    if comparison.notes:
        body.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in comparison.notes) + "</ul>")
    if comparison.values:
        rows = "".join(
            f"<tr><td>{escape(v.path)}</td><td><del>{escape(v.old or '')}</del></td>"
            f"<td><ins>{escape(v.new or '')}</ins></td></tr>"
            for v in comparison.values
        )
        body.append(
            "<h2>Spec values that differ</h2>\n"
            f"<table><tr><th>Field</th><th>A</th><th>B</th></tr>{rows}</table>"
        )
    body.extend(_clause(clause) for clause in comparison.clauses)
    if comparison.identical:
        body.append("<p>No differences.</p>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
