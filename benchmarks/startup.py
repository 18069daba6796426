"""Whole-process start-up of `procuregen --help` and `procuregen check`, as medians."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.common import largest_example, median_process, row

RUNS = 15


def main() -> list[str]:
    procuregen = str(Path(sys.executable).with_name("procuregen"))
    example = str(largest_example())
    return [
        row("python -c pass", median_process([sys.executable, "-c", "pass"], RUNS), RUNS),
        row("procuregen --help", median_process([procuregen, "--help"], RUNS), RUNS),
        row(
            "procuregen check (largest example)",
            median_process([procuregen, "check", example], RUNS),
            RUNS,
        ),
    ]


if __name__ == "__main__":
    print("\n".join(main()))
