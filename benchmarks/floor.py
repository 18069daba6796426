"""The floor under our PDF: WeasyPrint alone on minimal HTML of the same agreement text.

Headings and paragraphs only (list items as paragraphs with their labels, tables as
tables), no contents page, no running headers, no floats, one plain stylesheet; still
PDF/A-3b and tagged, as ours is. What procuregen's PDF costs above this is ours to cut;
what this costs is WeasyPrint's.

    python -m benchmarks.floor AGREEMENT.html OUT.pdf   # whole process, as draft.py runs it
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path


def minimal_html(example: Path) -> str:
    from procuregen.agreement import Definitions, ItemList, Paragraph, Table
    from procuregen.api import build

    agreement = build(example)[2]

    def text(runs: tuple) -> str:  # type: ignore[type-arg]
        return escape("".join(r.text for r in runs))

    parts = [
        f'<!DOCTYPE html><html lang="{agreement.language}"><head><meta charset="utf-8">',
        f"<title>{escape(agreement.spec.agreement.title)}</title>",
        "<style>@page { size: A4; margin: 25mm } html { font-family: 'Liberation Serif';"
        " font-size: 11pt; line-height: 1.35 } p { margin: 0 0 2mm }</style></head><body>",
    ]
    for section in (*agreement.sections, *agreement.schedules):
        parts.append(f"<h1>{escape(section.heading)}</h1>")
        clauses = [*section.clauses, *(c for part in section.terms for c in part.clauses)]
        for clause in clauses:
            parts.append(f"<h2>{escape(clause.heading)}</h2>")
            for block in clause.blocks:
                if isinstance(block, Paragraph):
                    parts.append(f"<p>{text(block.runs)}</p>")
                elif isinstance(block, ItemList):
                    for item in block.items:
                        parts.append(f"<p>{escape(item.label)} {text(item.runs)}</p>")
                        for sub in item.sublist.items if item.sublist else ():
                            parts.append(f"<p>{escape(sub.label)} {text(sub.runs)}</p>")
                elif isinstance(block, Table):
                    rows = [block.header, *block.rows]
                    cells = "".join(
                        "<tr>" + "".join(f"<td>{text(c)}</td>" for c in row) + "</tr>"
                        for row in rows
                    )
                    parts.append(f"<table>{cells}</table>")
                elif isinstance(block, Definitions):
                    for entry in block.entries:
                        parts.append(f"<p>{escape(entry.term)} {text(entry.runs)}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def main(html_file: Path, out: Path) -> None:
    from procuregen.render.engine import import_weasyprint

    weasyprint = import_weasyprint()
    document = weasyprint.HTML(string=html_file.read_text("utf-8")).render(
        pdf_variant="pdf/a-3b", pdf_tags=True
    )
    out.write_bytes(document.write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
