"""The examples project: a procuregen.toml, agency profiles, a framework and call-offs
extending them, drafted from the project folder with no flag."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run

PROJECT = ROOT / "examples" / "project"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("out"))
    monkeypatch.chdir(copy)
    return copy


@pytest.mark.realclient
def test_the_project_drafts_every_call_off_with_no_flag(
    project: Path, cli: Callable[..., Run]
) -> None:
    calloffs = sorted(str(p.relative_to(project)) for p in (project / "calloffs").glob("*.yaml"))
    result = cli("draft", *calloffs, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    out = project / "out"  # procuregen.toml's output.folder
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [s["status"] for s in report["specs"]] == ["drafted"] * 4
    assert len(list(out.glob("*.pdf"))) == len(list(out.glob("*.docx"))) == 4
    text = subprocess.run(
        ["pdftotext", str(out / "northvale-support.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Departures from the Framework Agreement" in text
    assert "liability-cap-supplier-only" in text or "supplier" in text.lower()


def test_the_deviating_call_off_is_reported(project: Path, cli: Callable[..., Run]) -> None:
    report = json.loads(
        cli("explain", "--deviations", "--json", "calloffs/northvale-support.yaml").stdout
    )
    assert [row["what"] for row in report["deviations"]][:1] == ["position of slot liability-cap"]
    clean = cli("explain", "--deviations", "calloffs/exampleby-portal.yaml")
    assert "no deviations" in clean.stdout


def test_a_call_off_outside_its_framework_is_an_error_at_its_line(
    project: Path, cli: Callable[..., Run]
) -> None:
    spec = project / "calloffs" / "northvale-support.yaml"
    text = spec.read_text("utf-8").replace("rate: 1250", "rate: 1400")
    spec.write_text(text, "utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "rate: 1400" in row)
    result = cli("check", "calloffs/northvale-support.yaml")
    assert result.exit_code == 1
    assert f"calloffs/northvale-support.yaml:{line}:" in result.stderr
    assert "1300" in result.stderr  # the framework's maximum, named in the message
