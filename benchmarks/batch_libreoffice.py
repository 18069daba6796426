"""A batch of 50 varied call-offs against LibreOffice converting the same 50 DOCX files.

procuregen drafts DOCX+PDF with `--jobs 2` (and DOCX only, for the amortised DOCX cost);
LibreOffice converts the 50 DOCX files of that run to PDF in one `soffice --convert-to
pdf` invocation, with a profile made beforehand. The two alternate, twice; each
procuregen run is a fresh interpreter timed from start to the last file written.

    .venv/bin/python -m benchmarks.batch_libreoffice
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.batch import make_specs, run_config

SPECS = 50
ROUNDS = 2


def convert(documents: list[Path], out: Path, profile: Path) -> float:
    command = ["soffice", "--headless", f"-env:UserInstallation=file://{profile}"]
    command += ["--convert-to", "pdf", "--outdir", str(out), *map(str, documents)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        folder, drafted, profile = (Path(scratch) / name for name in ("specs", "out", "lo"))
        folder.mkdir()
        make_specs(folder, SPECS)
        docx_only = run_config(folder, 2, ("docx",))
        ours: list[float] = []
        libreoffice: list[float] = []
        after_first: list[float] = []
        for round_number in range(ROUNDS):
            out = drafted / str(round_number)
            out.mkdir(parents=True)
            figures = run_config(folder, 2, ("docx", "pdf"), out)
            ours.append(figures["seconds"])
            after_first.append(figures["after_first_ms"])
            documents = sorted(out.glob("*.docx"))
            assert len(documents) == SPECS
            if round_number == 0:
                convert(documents[:1], Path(scratch) / "warm", profile)  # makes the profile
            libreoffice.append(convert(documents, out / "lo", profile))
    ours_median, lo_median = statistics.median(ours), statistics.median(libreoffice)
    docx_seconds = docx_only["seconds"]
    return [
        f"| procuregen draft, {SPECS} specs, DOCX+PDF, --jobs 2 | {ours_median:.1f} s | "
        f"{ours_median / SPECS * 1000:.0f} ms (after a worker's first: "
        f"{statistics.median(after_first):.0f} ms each, per worker) |",
        f"| soffice --convert-to pdf, the same {SPECS} DOCX, one invocation | "
        f"{lo_median:.1f} s | {lo_median / SPECS * 1000:.0f} ms |",
        f"| ratio: procuregen DOCX+PDF / LibreOffice PDF only | {ours_median / lo_median:.2f} | |",
        f"| procuregen draft, {SPECS} specs, DOCX only, --jobs 2 | {docx_seconds:.1f} s | "
        f"{docx_seconds / SPECS * 1000:.0f} ms amortised (after a worker's first: "
        f"{docx_only['after_first_ms']:.0f} ms each, per worker) |",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
