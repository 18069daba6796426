"""Run every benchmark and print one Markdown table; figures go into docs/performance.md."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import assemble, batch, batch_libreoffice, draft, layout, scaling, startup


def table(header: str, rows: list[str]) -> None:
    """One Markdown table: `header`, its rule line, then `rows`."""
    print(f"\n{header}")
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        print(row, flush=True)


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.node()}")
    table(
        "| benchmark | median | runs |",
        [row for module in (startup, assemble, draft) for row in module.main()],
    )
    table(
        f"| batch | wall time | per agreement | {batch.AFTER_FIRST} | {batch.PEAK_RSS} |",
        batch.main(),
    )
    table(
        "| batch of 50 against LibreOffice | wall time | per agreement |", batch_libreoffice.main()
    )
    table(scaling.HEADER, scaling.main())
    # Last: it renders PDFs in this process, and a process forked from a large one starts
    # with that one's peak RSS (ru_maxrss), which the batch figures would then report.
    table(layout.HEADER, layout.main())


if __name__ == "__main__":
    main()
