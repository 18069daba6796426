"""Whole-process start-up of `procuregen --help` and `procuregen check`, as medians."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.common import largest_example, median_process, row

RUNS = 15
# What any check must import before it reads a byte: the floor under `check`.
IMPORTS = "import pydantic, jinja2, markdown_it, yaml, babel.numbers, click, email_validator"


def main() -> list[str]:
    procuregen = str(Path(sys.executable).with_name("procuregen"))
    example = str(largest_example())
    python = median_process([sys.executable, "-c", "pass"], RUNS)
    check = median_process([procuregen, "check", example], RUNS)
    floor = median_process([sys.executable, "-c", IMPORTS], RUNS)
    return [
        row("python -c pass", python, RUNS),
        row("procuregen --help", median_process([procuregen, "--help"], RUNS), RUNS),
        row("procuregen check (largest example)", check, RUNS),
        row("python importing only check's third-party libraries", floor, RUNS),
        f"| ratio check / python -c pass | {check / python:.1f} | |",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
