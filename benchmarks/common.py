"""Timing helpers shared by the benchmarks: medians of whole-process or in-process runs."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def largest_example() -> Path:
    """The example spec whose agreement has the most clauses."""
    from procuregen.api import build

    return max(sorted(EXAMPLES.glob("*.yaml")), key=lambda p: len(build(p)[2].clauses))


def median_process(command: list[str], runs: int) -> float:
    """Median wall time of a whole process, in seconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def median_call(function: Callable[[], object], runs: int) -> float:
    """Median wall time of an in-process call, in seconds (after one warm-up call)."""
    function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def row(name: str, seconds: float, runs: int) -> str:
    return f"| {name} | {seconds * 1000:.1f} ms | {runs} |"
