"""Run every benchmark and print one Markdown table; figures go into docs/performance.md."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import assemble, batch, batch_libreoffice, draft, layout, scaling, startup


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.node()}\n")
    print("| benchmark | median | runs |")
    print("|---|---|---|")
    for module in (startup, assemble, draft):
        for line in module.main():
            print(line, flush=True)
    print(f"\n| batch | wall time | per agreement | {batch.AFTER_FIRST} | {batch.PEAK_RSS} |")
    print("|---|---|---|---|---|")
    for line in batch.main():
        print(line, flush=True)
    print("\n| batch of 50 against LibreOffice | wall time | per agreement |")
    print("|---|---|---|")
    for line in batch_libreoffice.main():
        print(line, flush=True)
    print(f"\n{scaling.HEADER}")
    print("|---|---|---|---|")
    for line in scaling.main():
        print(line, flush=True)
    # Last: it renders PDFs in this process, and a process forked from a large one starts
    # with that one's peak RSS (ru_maxrss), which the batch figures would then report.
    print(f"\n{layout.HEADER}")
    print("|---|---|---|---|")
    for line in layout.main():
        print(line, flush=True)


if __name__ == "__main__":
    main()
