"""Whole-process start-up time of `procuregen --help` and `procuregen check`, as medians."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15


def median_seconds(command: list[str], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> dict[str, float]:
    procuregen = str(Path(sys.executable).with_name("procuregen"))
    example = str(ROOT / "examples" / "exampleby-caseflow.yaml")
    results = {
        "python -c pass": median_seconds([sys.executable, "-c", "pass"]),
        "procuregen --help": median_seconds([procuregen, "--help"]),
        "procuregen check (largest example)": median_seconds([procuregen, "check", example]),
    }
    for name, seconds in results.items():
        print(f"{name:40s} median {seconds * 1000:7.1f} ms over {RUNS} runs")
    return results


if __name__ == "__main__":
    main()
