"""Batch drafting: many specs in worker processes, a report, the same bytes whatever --jobs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from procuregen import batch
from tests.conftest import Run, write_tree
from tests.libraries import base_library
from tests.specs import VALID, edit

GOOD = [f"agency-{n}" for n in range(1, 7)]
MISSING_NAME = "broken-name"  # software.name removed
BAD_DATE = "broken-date"  # agreement.date is not a date


def spec_text(name: str) -> str:
    """VALID with its own reference, so every agreement differs."""
    return edit("  reference: KS-1\n", f"  reference: KS-{name}\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fixture library and eight specs, two of them broken; no out/ folder yet."""
    files: dict[str, str] = {**base_library()}
    for name in GOOD:
        files[f"specs/{name}.yaml"] = spec_text(name)
    files[f"specs/{MISSING_NAME}.yaml"] = edit("  name: CaseFlow\n", "", spec_text(MISSING_NAME))
    files[f"specs/{BAD_DATE}.yaml"] = edit(
        "  date: 2026-12-01\n", "  date: someday\n", spec_text(BAD_DATE)
    )
    return write_tree(tmp_path, files)


def specs(project: Path) -> list[Path]:
    return sorted((project / "specs").glob("*.yaml"))


def draft(cli: Callable[..., Run], project: Path, out: Path, *args: str | Path) -> Run:
    return cli("draft", *specs(project), "--library", project / "lib", "-o", out, *args)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "report.json"}


def test_a_batch_drafts_the_good_specs_and_reports_the_broken_ones(
    project: Path, cli: Callable[..., Run]
) -> None:
    out = project / "out" / "nested"  # -o creates the folder, parents too
    result = draft(cli, project, out, "--jobs", "2", "--format", "docx")
    assert result.exit_code == 1
    assert sorted(files(out)) == sorted(f"{name}.docx" for name in GOOD)
    broken = project / "specs" / f"{MISSING_NAME}.yaml"
    undated = project / "specs" / f"{BAD_DATE}.yaml"
    errors = [line for line in result.stderr.splitlines() if "warning:" not in line]
    assert any(line.startswith(f"{broken}:") and "software.name" in line for line in errors)
    assert any(line.startswith(f"{undated}:7:") and "agreement.date" in line for line in errors)
    # one line per spec when stdout is not a terminal, then a summary
    lines = result.stdout.splitlines()
    assert len(lines) == 9
    assert sum(" drafted " in line for line in lines[:8]) == 6
    assert sum(" failed " in line for line in lines[:8]) == 2
    assert lines[-1].startswith("drafted 6 of 8 specs in ")
    assert lines[-1].endswith(f"with 2 workers; 2 failed; report: {out / 'report.json'}")


def test_the_report_lists_every_spec_with_outputs_and_located_errors(
    project: Path, cli: Callable[..., Run]
) -> None:
    out = project / "out"
    assert draft(cli, project, out, "--jobs", "2", "--format", "docx").exit_code == 1
    text = (out / "report.json").read_text("utf-8")
    report = json.loads(text)
    assert text == json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert report["summary"] == {"specs": 8, "drafted": 6, "failed": 2, "cancelled": 0}
    assert (report["interrupted"], report["jobs"], report["report_format"]) == (False, 2, 1)
    entries = report["specs"]
    assert [e["spec"] for e in entries] == [str(p) for p in specs(project)]  # as given
    for entry in entries:
        assert list(entry) == ["errors", "outputs", "seconds", "spec", "status", "warnings"]
        assert entry["seconds"] >= 0
        name = Path(entry["spec"]).stem
        if name in GOOD:
            assert entry["status"] == "drafted" and entry["errors"] == []
            [output] = entry["outputs"]
            assert output["path"] == str(out / f"{name}.docx")
            assert output["sha256"] == hashlib.sha256(Path(output["path"]).read_bytes()).hexdigest()
        else:
            assert entry["status"] == "failed" and entry["outputs"] == []
            assert entry["errors"]
    undated = next(e for e in entries if Path(e["spec"]).stem == BAD_DATE)
    error = undated["errors"][0]
    assert (error["file"], error["line"]) == (undated["spec"], 7)
    assert error["column"] > 0
    assert "agreement.date" in error["message"]
    assert error["text"] == f"{error['file']}:7:{error['column']}: {error['message']}"


def test_outputs_are_the_same_bytes_whatever_the_number_of_jobs(
    project: Path, cli: Callable[..., Run]
) -> None:
    for broken in (MISSING_NAME, BAD_DATE):
        (project / "specs" / f"{broken}.yaml").unlink()
    one, two = project / "one", project / "two"
    assert draft(cli, project, one, "--jobs", "1", "--manifest").exit_code == 0
    assert draft(cli, project, two, "--jobs", "2", "--manifest").exit_code == 0
    first, second = files(one), files(two)
    assert len(first) == 3 * len(GOOD)  # docx, pdf and manifest of each
    assert first == second
    reports = [json.loads((folder / "report.json").read_text()) for folder in (one, two)]
    digests = [[o["sha256"] for e in r["specs"] for o in e["outputs"]] for r in reports]
    assert digests[0] == digests[1]


def test_two_specs_with_the_same_output_name_are_refused_before_anything_is_written(
    project: Path, cli: Callable[..., Run]
) -> None:
    clash = project / "specs" / "agency-7.yaml"
    clash.write_text(spec_text("agency-7") + "output:\n  name: agency-2\n", "utf-8")
    line = VALID.count("\n") + 2
    out = project / "out"
    result = draft(cli, project, out, "--jobs", "2")
    assert result.exit_code == 1
    assert not out.exists()  # not even the folder
    first = project / "specs" / "agency-2.yaml"
    assert result.stderr == (
        f"{clash}:{line}:9: output name 'agency-2' is also the output name of {first}; "
        f"both would write {out / 'agency-2'}.*\n"
    )


def test_an_output_folder_that_cannot_be_made_is_an_error_naming_it(
    project: Path, cli: Callable[..., Run]
) -> None:
    (project / "taken").write_text("a file, not a folder", "utf-8")
    out = project / "taken" / "out"
    result = draft(cli, project, out, "--jobs", "2", "--format", "docx")
    assert result.exit_code == 1
    assert result.stderr == f"{out}: cannot create the folder: Not a directory\n"
    assert (project / "taken").read_text("utf-8") == "a file, not a folder"


def test_json_prints_the_report(project: Path, cli: Callable[..., Run]) -> None:
    out = project / "out"
    result = draft(cli, project, out, "--jobs", "1", "--format", "docx", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"]["drafted"] == 6
    saved = json.loads((out / "report.json").read_text())
    assert [e["status"] for e in report["specs"]] == [e["status"] for e in saved["specs"]]
    assert all("warning:" in line or ": " in line for line in result.stderr.splitlines())


def test_quiet_prints_only_errors(project: Path, cli: Callable[..., Run]) -> None:
    result = draft(cli, project, project / "out", "--jobs", "1", "--format", "docx", "--quiet")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr and "warning:" not in result.stderr


def test_one_spec_into_a_missing_folder_creates_it_and_writes_no_report(
    project: Path, cli: Callable[..., Run]
) -> None:
    out = project / "new"
    spec = project / "specs" / "agency-1.yaml"
    result = cli("draft", spec, "--library", project / "lib", "-o", out, "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {out / 'agency-1.docx'}\n"  # as before batches
    assert sorted(p.name for p in out.iterdir()) == ["agency-1.docx"]


def test_ctrl_c_keeps_what_finished_and_reports_it(
    project: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    drafted = batch.draft_one
    calls: list[Path] = []

    def interrupted_on_the_third(
        spec: Path, options: batch.DraftOptions, *, last: bool = False
    ) -> batch.SpecResult:
        calls.append(spec)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return drafted(spec, options, last=last)

    monkeypatch.setattr(batch, "draft_one", interrupted_on_the_third)
    out = project / "out"
    result = draft(cli, project, out, "--jobs", "1", "--format", "docx")
    assert result.exit_code == 130
    assert "interrupted: 2 of 8 specs finished" in result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    assert [e["status"] for e in report["specs"]] == ["drafted", "drafted"] + ["cancelled"] * 6
    assert sorted(p.name for p in out.iterdir()) == [
        "agency-1.docx",
        "agency-2.docx",
        "report.json",
    ]


def test_a_worker_caches_each_library_once(project: Path) -> None:
    loads: list[Path] = []
    options = batch.DraftOptions(out_dir=project / "out", formats=("docx",))
    (project / "out").mkdir()
    import procuregen.library

    real = procuregen.library.load_library

    def counted(root: Path) -> procuregen.library.Library:
        loads.append(root)
        return real(root)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(procuregen.library, "load_library", counted)
        options = batch.DraftOptions(
            out_dir=project / "out", formats=("docx",), library_dir=project / "lib"
        )
        report = batch.run_batch(specs(project), options, jobs=1)
    assert report.count("drafted") == 6
    assert loads == [project / "lib"]


def test_fifty_specs_with_three_broken_give_forty_seven_agreements(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """The issue's own check: 50 specs, 3 broken, 47 agreements, the 3 named, exit 1."""
    files: dict[str, str] = {**base_library()}
    for n in range(47):
        files[f"specs/good-{n:02}.yaml"] = spec_text(f"good-{n:02}")
    files["specs/broken-1.yaml"] = edit("  name: CaseFlow\n", "", spec_text("broken-1"))
    files["specs/broken-2.yaml"] = edit(
        "  date: 2026-12-01\n", "  date: someday\n", spec_text("b2")
    )
    files["specs/broken-3.yaml"] = edit("  months: 24\n", "  months: none\n", spec_text("b3"))
    project = write_tree(tmp_path, files)
    out = project / "out"
    result = draft(cli, project, out, "--jobs", "2", "--format", "docx")
    assert result.exit_code == 1
    assert len(list(out.glob("*.docx"))) == 47
    report = json.loads((out / "report.json").read_text("utf-8"))
    failed = sorted(Path(s["spec"]).name for s in report["specs"] if s["status"] == "failed")
    assert failed == ["broken-1.yaml", "broken-2.yaml", "broken-3.yaml"]
    assert all(s["errors"] for s in report["specs"] if s["status"] == "failed")
