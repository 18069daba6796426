"""Run every benchmark and print one Markdown table; figures go into docs/performance.md."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import assemble, batch, draft, startup


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.node()}\n")
    print("| benchmark | median | runs |")
    print("|---|---|---|")
    for module in (startup, assemble, draft):
        for line in module.main():
            print(line, flush=True)
    print("\n| batch | wall time | per agreement | peak RSS per drafting process |")
    print("|---|---|---|---|")
    for line in batch.main():
        print(line, flush=True)


if __name__ == "__main__":
    main()
