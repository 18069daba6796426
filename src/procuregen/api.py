"""The library API behind the command line: each function is one user job."""

from __future__ import annotations

from pathlib import Path

from procuregen.spec import Spec, load_spec


def check_spec(spec_path: Path, *, library_dir: Path | None = None) -> Spec:
    """Validate a spec; raise a ProcuregenError naming every problem."""
    return load_spec(spec_path)
