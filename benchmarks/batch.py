"""Batch drafting: N varied call-offs, DOCX-only and DOCX+PDF, with --jobs 1 and --jobs 2.

The call-offs are made from the example call-offs, each with its own reference, output
name, buyer name and liability position. Every configuration runs in a fresh interpreter
(`python -m benchmarks.batch --measure ...`), timed from before procuregen is imported to
the last file written, so start-up, worker start-up and library loading all count.
Peak memory is each drafting process's own ru_maxrss (psutil is not a dependency), after
its first agreement and after its last.

    .venv/bin/python -m benchmarks.batch            # N=20
    BATCH_SPECS=200 .venv/bin/python -m benchmarks.batch
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import EXAMPLES, ROOT

DEFAULT_SPECS = 20
POSITIONS = (
    "liability-cap-mutual",
    "liability-cap-supplier-only",
    "liability-cap-buyer-only",
    "liability-cap-supplier-favourable",
)
AFTER_FIRST = "per agreement after a worker's first (median)"
PEAK_RSS = "peak RSS per drafting process (after its first → after its last)"
CONFIGS = ((("docx",), 1), (("docx",), 2), (("docx", "pdf"), 1), (("docx", "pdf"), 2))


def call_offs() -> list[tuple[str, dict[str, Any]]]:
    """The example call-offs, every scalar read as a string (as procuregen reads them)."""
    import yaml

    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)
        if data.get("document") == "call-off":
            found.append((path.stem, data))
    return found


def make_specs(folder: Path, count: int) -> list[Path]:
    """`count` valid, varied call-off specs in `folder`."""
    import yaml

    from procuregen.api import check_spec
    from procuregen.errors import ProcuregenError

    bases = call_offs()
    paths = []
    for n in range(count):
        stem, base = bases[n % len(bases)]
        # a variation the base cannot take (a service others depend on, a position its
        # document rules out) falls back to a smaller one
        for fewer_services, position in ((n % 3 == 0, True), (False, True), (False, False)):
            data = json.loads(json.dumps(base))
            data["agreement"]["reference"] = f"{data['agreement']['reference']}-{n:04d}"
            data["buyer"]["name"] = f"{data['buyer']['name']} ({n})"
            data.setdefault("output", {})["name"] = f"call-off-{n:04d}-{stem}"
            if fewer_services and len(data["services"]) > 1:
                data["services"] = data["services"][:-1]
            if position:
                chosen = data.setdefault("clauses", {}).setdefault("choose", {})
                chosen["liability-cap"] = POSITIONS[n % len(POSITIONS)]
            path = folder / f"call-off-{n:04d}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
            try:
                check_spec(path)
            except ProcuregenError:
                continue
            break
        paths.append(path)
    return paths


def measure(folder: Path, out: Path, jobs: int, formats: tuple[str, ...]) -> dict[str, Any]:
    """Run in a fresh interpreter: draft every spec of `folder` and return the figures."""
    started = time.perf_counter()
    from procuregen.batch import DraftOptions, run_batch

    specs = sorted(folder.glob("*.yaml"))
    report = run_batch(specs, DraftOptions(out_dir=out, formats=formats), jobs=jobs)
    seconds = time.perf_counter() - started
    assert report.count("drafted") == len(specs), report.as_json()
    workers: dict[int, list[int]] = {}
    for result in sorted(report.results, key=lambda r: r.peak_rss_kib):
        workers.setdefault(result.pid, []).append(result.peak_rss_kib)
    # A worker takes specs in the order given, so its first is its lowest index; what
    # each later one costs is the per-agreement cost once everything is loaded.
    seen: set[int] = set()
    later = []
    for result in report.results:
        if result.pid in seen:
            later.append(result.seconds)
        seen.add(result.pid)
    return {
        "after_first_ms": round(statistics.median(later) * 1000, 1) if later else None,
        "seconds": seconds,
        "specs": len(specs),
        "rss_first_mib": [round(min(v) / 1024, 1) for v in workers.values()],
        "rss_last_mib": [round(max(v) / 1024, 1) for v in workers.values()],
        "documents_per_worker": [len(v) for v in workers.values()],
    }


def run_config(
    folder: Path, jobs: int, formats: tuple[str, ...], out: Path | None = None
) -> dict[str, Any]:
    """Draft every spec of `folder` in a fresh interpreter (into `out`, or a temporary
    folder) and return its figures."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "benchmarks.batch", "--measure", str(folder)]
        command += [str(out or scratch), str(jobs), ",".join(formats)]
        done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(count: int | None = None) -> list[str]:
    count = count or int(os.environ.get("BATCH_SPECS", DEFAULT_SPECS))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        make_specs(Path(folder), count)
        seconds: dict[tuple[tuple[str, ...], int], float] = {}
        for formats, jobs in CONFIGS:
            figures = run_config(Path(folder), jobs, formats)
            seconds[formats, jobs] = figures["seconds"]
            name = "+".join(formats).upper()
            rss = ", ".join(
                f"{first:.0f} → {last:.0f} MiB ({docs} docs)"
                for first, last, docs in zip(
                    figures["rss_first_mib"],
                    figures["rss_last_mib"],
                    figures["documents_per_worker"],
                    strict=True,
                )
            )
            rows.append(
                f"| batch of {count} call-offs, {name}, --jobs {jobs} | "
                f"{figures['seconds']:.1f} s | {figures['seconds'] / count * 1000:.0f} ms | "
                f"{figures['after_first_ms']} ms | {rss} |"
            )
        for formats in (("docx",), ("docx", "pdf")):
            ratio = seconds[formats, 2] / seconds[formats, 1]
            rows.append(
                f"| {'+'.join(formats).upper()}: --jobs 2 / --jobs 1 wall time | {ratio:.2f} "
                f"(speed-up {1 / ratio:.2f} times) | | | |"
            )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        folder, out, jobs, formats = sys.argv[2:6]
        print(json.dumps(measure(Path(folder), Path(out), int(jobs), tuple(formats.split(",")))))
    else:
        print(f"| benchmark | wall time | per agreement | {AFTER_FIRST} | {PEAK_RSS} |")
        print("|---|---|---|---|---|")
        print("\n".join(main(int(sys.argv[1]) if sys.argv[1:] else None)), flush=True)
