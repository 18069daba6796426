"""`procuregen draft` as a whole process, side by side with pandoc and LibreOffice.

- DOCX: `procuregen draft --format docx` against `pandoc` turning Markdown of the same
  agreement text into DOCX.
- PDF: `procuregen draft --format pdf` against LibreOffice converting our DOCX to PDF,
  and against the floor: WeasyPrint alone on minimal HTML of the same text
  (`benchmarks/floor.py`), tagged PDF/A-3b like ours.
Runs alternate between the contenders so that machine noise hits both alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, largest_example
from benchmarks.floor import minimal_html

RUNS = 7


def agreement_markdown(example: Path) -> str:
    """The agreement's text as Markdown: what pandoc gets to typeset."""
    from procuregen.agreement import Definitions, ItemList, Paragraph, Table
    from procuregen.api import build

    agreement = build(example)[2]
    lines = [f"# {agreement.spec.agreement.title}", "", agreement.title, ""]

    def text(runs: tuple) -> str:  # type: ignore[type-arg]
        return "".join(f"**{r.text}**" if r.bold else r.text for r in runs)

    for section in agreement.sections:
        lines += [f"# {section.heading}", ""]
        for clause in section.clauses:
            lines += [f"## {clause.heading}", ""]
            for block in clause.blocks:
                if isinstance(block, Paragraph):
                    lines += [text(block.runs), ""]
                elif isinstance(block, ItemList):
                    for item in block.items:
                        lines.append(f"- {item.label} {text(item.runs)}")
                        for sub in item.sublist.items if item.sublist else ():
                            lines.append(f"    - {sub.label} {text(sub.runs)}")
                    lines.append("")
                elif isinstance(block, Table):
                    lines.append("| " + " | ".join(text(c) for c in block.header) + " |")
                    lines.append("|" + "---|" * len(block.header))
                    for cells in block.rows:
                        lines.append("| " + " | ".join(text(c) for c in cells) + " |")
                    lines.append("")
                elif isinstance(block, Definitions):
                    for entry in block.entries:
                        lines += [f"**{entry.term}** {text(entry.runs)}", ""]
    return "\n".join(lines)


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> list[str]:
    procuregen = str(Path(sys.executable).with_name("procuregen"))
    example = largest_example()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        markdown = out / "agreement.md"
        markdown.write_text(agreement_markdown(example), encoding="utf-8")
        floor_html = out / "floor.html"
        floor_html.write_text(minimal_html(example), encoding="utf-8")
        ours = [procuregen, "draft", str(example), "-o", str(out), "--force"]
        subprocess.run([*ours, "--format", "docx"], check=True, capture_output=True)
        docx = next(out.glob("*.docx"))
        lo_out = out / "lo"
        contenders = {
            "procuregen draft --format docx": [*ours, "--format", "docx"],
            "pandoc agreement.md -o agreement.docx": [
                "pandoc",
                str(markdown),
                "-o",
                str(out / "pandoc.docx"),
            ],
            "procuregen draft --format pdf": [*ours, "--format", "pdf"],
            "soffice --convert-to pdf (our DOCX)": [
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{out}/lo-profile",
                "--convert-to",
                "pdf",
                "--outdir",
                str(lo_out),
                str(docx),
            ],
            "WeasyPrint alone, minimal HTML of the same text (floor)": [
                sys.executable,
                "-m",
                "benchmarks.floor",
                str(floor_html),
                str(out / "floor.pdf"),
            ],
        }
        timed(contenders["soffice --convert-to pdf (our DOCX)"])  # first start makes the profile
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(RUNS):
            for name, command in contenders.items():
                samples[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    names = list(medians)
    rows = [f"| {name} | {medians[name] * 1000:.0f} ms | {RUNS} |" for name in names]
    rows.append(
        f"| ratio docx: procuregen / pandoc | {medians[names[0]] / medians[names[1]]:.2f} | |"
    )
    rows.append(
        f"| ratio pdf: procuregen / LibreOffice | {medians[names[2]] / medians[names[3]]:.2f} | |"
    )
    ours, libreoffice, floor = medians[names[2]], medians[names[3]], medians[names[4]]
    rows.append(f"| ratio pdf: procuregen / WeasyPrint floor | {ours / floor:.2f} | |")
    rows.append(f"| ratio pdf: WeasyPrint floor / LibreOffice | {floor / libreoffice:.2f} | |")
    return rows


if __name__ == "__main__":
    print("\n".join(main()))
