"""The wheel ships the bundled clause library and templates, and finds them when installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_the_bundled_library_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("procuregen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    clause_files = sorted(p for p in (ROOT / "clauses").rglob("*") if p.is_file())
    for path in clause_files:
        assert (
            f"procuregen/bundled/clauses/{path.relative_to(ROOT / 'clauses').as_posix()}" in names
        )
    for name in ("agreement.docx", "agreement.html", "agreement.css"):
        assert f"procuregen/bundled/templates/default/{name}" in names
    assert "procuregen/data/osi-approved.txt" in names
    assert "procuregen/data/starter-spec.yaml" in names
    for language in ("en", "sv"):
        assert f"procuregen/locale/{language}/LC_MESSAGES/procuregen.po" in names
