"""Scaling: inputs that grow, each run as a whole `procuregen` process.

- A price schedule of N rows (the example subscription call-off with N price items),
  drafted as DOCX and as PDF, for N doubling up to 10,000: time linear in N shows as
  seconds that double with N.
- A clause body of 200 KB of `[[`, through `check` and `clauses lint`.
- A library of 8,000 clauses (4,000 with a condition, 4,000 positions of 2,000 slots),
  through `check`.

Each configuration runs once in a fresh interpreter; seconds are wall time and CPU time
(user + system) of that process, peak RSS its own ru_maxrss. CPU time is the figure to
compare on a busy machine.

    .venv/bin/python -m benchmarks.scaling                # rows 2,500, 5,000 and 10,000
    SCALING_ROWS=1000,2000 .venv/bin/python -m benchmarks.scaling
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import EXAMPLES

DEFAULT_ROWS = (2500, 5000, 10000)
BASE = EXAMPLES / "small-agency-support.yaml"
BASE_ITEM = (
    "    - {description: Support subscription, quantity: 12, unit: month, unit_price: 30000,"
    " recurrence: monthly}\n"
)
HEADER = "| scaling | wall | CPU | peak RSS |"


def price_schedule_spec(folder: Path, rows: int) -> Path:
    """The example subscription call-off with `rows` price items."""
    text = BASE.read_text("utf-8")
    assert BASE_ITEM in text, "the example's price item changed; update BASE_ITEM"
    # short rows: 10,000 of them stay under the spec's limit of 1 MB
    items = "".join(
        f"    - {{description: Module {n:05d}, quantity: 12, unit: month, unit_price: 100}}\n"
        for n in range(rows)
    )
    text = text.replace(BASE_ITEM, items).replace("amount: 360000", f"amount: {rows * 1200}")
    path = folder / f"price-schedule-{rows}.yaml"
    path.write_text(text, "utf-8")
    return path


def _clause(folder: Path, clause_id: str, section: str, body: str, extra: str = "") -> None:
    (folder / section).mkdir(parents=True, exist_ok=True)
    (folder / section / f"{clause_id}.md").write_text(
        f"---\nid: {clause_id}\ntitle: {clause_id}\nversion: 1.0.0\nstatus: approved\n"
        f"section: {section}\ndocuments: [call-off]\nsource: Written for the benchmark.\n"
        f"{extra}---\n{body}\n",
        "utf-8",
    )


def library(folder: Path, *, brackets: int = 0, clauses: int = 0) -> Path:
    """A library of one section: a clause whose body is `brackets` characters of `[[`,
    and `clauses` more clauses, half with a condition and half positions of slots."""
    root = folder / f"library-{brackets}-{clauses}"
    (root / "library.yaml").parent.mkdir(parents=True)
    (root / "library.yaml").write_text(
        "id: scaling\ntitle: Scaling\nversion: 2026.1\nlicense: CC-BY-4.0\nlanguages: [en]\n"
        "sections:\n  general: {title: General}\n"
        "documents:\n  call-off: {title: Call-Off Contract, sections: [general]}\n",
        "utf-8",
    )
    _clause(root, "scope", "general", "The Supplier delivers the Software.")
    if brackets:
        _clause(root, "brackets", "general", "[[" * (brackets // 2))
    for n in range(clauses // 2):
        _clause(root, f"condition-{n}", "general", f"Clause {n}.", "when: value.amount > 0\n")
    for n in range(clauses // 4):
        for position in range(2):
            extra = f"slot: slot-{n}\ndefault: {'true' if position == 0 else 'false'}\n"
            _clause(root, f"slot-{n}-{position}", "general", f"Position {position}.", extra)
    return root


def measure(command: list[str], exits: tuple[int, ...] = (0,)) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS in bytes of one process, which must exit with
    one of `exits`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in exits:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def row(name: str, figures: tuple[float, float, int]) -> str:
    wall, cpu, rss = figures
    return f"| {name} | {wall:.1f} s | {cpu:.1f} s | {rss / 2**20:.0f} MiB |"


def main() -> list[str]:
    rows = tuple(int(n) for n in os.environ.get("SCALING_ROWS", "").split(",") if n)
    procuregen = [sys.executable, "-m", "procuregen"]
    lines = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for count in rows or DEFAULT_ROWS:
            spec = price_schedule_spec(folder, count)
            for kind in ("docx", "pdf"):
                out = folder / f"out-{count}-{kind}"
                draft = [*procuregen, "draft", str(spec), "-o", str(out), "--format", kind]
                lines.append(row(f"price schedule of {count:,} rows, draft {kind}", measure(draft)))
        spec = folder / "spec.yaml"
        spec.write_text(
            BASE.read_text("utf-8").replace(
                "clauses:\n  choose: {liability-cap: liability-cap-supplier-only}\n", ""
            ),
            "utf-8",
        )
        brackets = library(folder, brackets=200_000)
        check = [*procuregen, "check", str(spec), "--library", str(brackets)]
        lines.append(row("clause body of 200 KB of `[[`, check", measure(check)))
        lint = [*procuregen, "clauses", "lint", "--library", str(brackets)]
        # lint exits 1 for its findings about the body; it must not crash or hang
        lines.append(row("clause body of 200 KB of `[[`, clauses lint", measure(lint, (0, 1))))
        many = library(folder, clauses=8000)
        check = [*procuregen, "check", str(spec), "--library", str(many)]
        lines.append(row("library of 8,000 clauses (2,000 slots), check", measure(check)))
    return lines


if __name__ == "__main__":
    print(HEADER)
    print("|---|---|---|---|")
    for line in main():
        print(line, flush=True)
