"""Writes that hold under races and kills (docs/security.md, "writes").

The races are run between real `procuregen draft` processes. Each child is the command
line started from a small script that slows the filesystem where the race lives, in the
child only: the first fsync of a temporary file waits until every child has reached it
(both runs have rendered and are about to place their files at the same moment), and a
placing call (link, rename, replace into the output folder) can be delayed, or can be
where the child SIGKILLs itself. The product has no hook for any of this.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from procuregen.cli import cli as procuregen_cli
from procuregen.errors import OutputError
from procuregen.output import write_all
from tests.conftest import Run, write_tree
from tests.libraries import base_library
from tests.specs import VALID, edit

CHILD = r"""
import json, os, signal, sys, time
from pathlib import Path

plan = json.loads(sys.argv[1])
out = os.path.realpath(plan["out"])
real_fsync = os.fsync
fsyncs = 0


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def fsync(descriptor):
    global fsyncs
    real_fsync(descriptor)
    fsyncs += 1
    if fsyncs != 1:
        return
    if plan.get("barrier"):
        barrier = Path(plan["barrier"])
        (barrier / str(os.getpid())).touch()
        wait_for(lambda: len(list(barrier.iterdir())) >= plan["parties"], 120)
    if plan.get("hold"):
        wait_for(lambda: Path(plan["hold"]).exists(), 600)


delays = list(plan.get("delays", []))


def slowed(real):
    def place(source, target, *args, **kwargs):
        if delays and os.path.dirname(os.path.realpath(target)) == out:
            delay = delays.pop(0)
            if delay < 0:
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(delay)
        return real(source, target, *args, **kwargs)

    return place


os.fsync = fsync
os.link, os.replace, os.rename = slowed(os.link), slowed(os.replace), slowed(os.rename)

from procuregen.cli import cli

cli(plan["args"], prog_name="procuregen")
"""

DOCX = "agreement.docx"
MANIFEST = "agreement.manifest.json"
SPECS = {
    "a": VALID + "output:\n  name: agreement\n",
    "b": edit("  reference: KS-1\n", "  reference: KS-2\n") + "output:\n  name: agreement\n",
    "c": VALID + "output:\n  name: second\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture library; specs a and b draft different agreements under one output name."""
    files = {**base_library(), **{f"{name}.yaml": text for name, text in SPECS.items()}}
    return write_tree(tmp_path_factory.mktemp("writes"), files)


@pytest.fixture(scope="module")
def drafted(project: Path) -> dict[str, dict[str, bytes]]:
    """What a and b each draft alone, undisturbed: DOCX and manifest, by file name."""
    drafted = {}
    for name in ("a", "b"):
        out = project / "alone" / name
        result = CliRunner().invoke(procuregen_cli, draft_args(project, name, out, "--manifest"))
        assert result.exit_code == 0, result.output
        drafted[name] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert drafted["a"][DOCX] != drafted["b"][DOCX]
    return drafted


def draft_args(project: Path, spec: str, out: Path, *extra: str) -> list[str]:
    return [
        "draft",
        str(project / f"{spec}.yaml"),
        "--library",
        str(project / "lib"),
        "-o",
        str(out),
        "--format",
        "docx",
        *extra,
    ]


def start(project: Path, spec: str, out: Path, *extra: str, **plan: Any) -> subprocess.Popen[str]:
    """`procuregen draft` in a child process, slowed as `plan` says (see CHILD)."""
    plan = {"out": str(out), "args": draft_args(project, spec, out, *extra), **plan}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(plan)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen[str]) -> Run:
    stdout, stderr = child.communicate(timeout=300)
    return Run(child.returncode, stdout, stderr)


def errors(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if ": warning: " not in line]


def temporaries(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")
    )


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def wait_for_temporary(folder: Path, child: subprocess.Popen[str]) -> list[str]:
    """Poll until the child has a temporary file in `folder`; fail if it ends first."""
    deadline = time.monotonic() + 120
    while not temporaries(folder):
        assert child.poll() is None, finish(child)
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.005)
    return temporaries(folder)


@pytest.mark.parametrize("round_", [1, 2])  # either may win: the invariant holds both ways
def test_two_racing_drafts_without_force_one_wins_and_the_other_is_refused(
    project: Path, drafted: dict[str, dict[str, bytes]], round_: int
) -> None:
    out = project / f"race-{round_}"
    barrier = project / f"barrier-race-{round_}"
    out.mkdir()
    barrier.mkdir()
    children = {name: start(project, name, out, barrier=str(barrier), parties=2) for name in "ab"}
    runs = {name: finish(child) for name, child in children.items()}
    target = out / DOCX
    assert sorted(run.exit_code for run in runs.values()) == [0, 1], runs
    [winner] = [name for name, run in runs.items() if run.exit_code == 0]
    [loser] = [name for name, run in runs.items() if run.exit_code == 1]
    assert runs[winner].stdout == f"wrote {target}\n"
    assert errors(runs[winner]) == []
    assert runs[loser].stdout == ""  # no "wrote"
    assert errors(runs[loser]) == [f"{target}: already exists; use --force to replace it"]
    assert files(out) == {DOCX: drafted[winner][DOCX]}  # intact, and no temporary or lock


def test_two_racing_forced_drafts_leave_the_docx_and_manifest_of_one_run(
    project: Path, drafted: dict[str, dict[str, bytes]]
) -> None:
    """a places its DOCX at once and its manifest 0.6 s later; b places both at 0.3 s.
    Unserialised, that leaves b's DOCX beside a's manifest."""
    out = project / "forced"
    barrier = project / "barrier-forced"
    out.mkdir()
    barrier.mkdir()
    delays = {"a": [0, 0.6], "b": [0.3, 0]}
    children = {
        name: start(
            project,
            name,
            out,
            "--force",
            "--manifest",
            barrier=str(barrier),
            parties=2,
            delays=delays[name],
        )
        for name in "ab"
    }
    runs = {name: finish(child) for name, child in children.items()}
    for run in runs.values():
        assert run.exit_code == 0, run
        assert run.stdout == f"wrote {out / DOCX}\nwrote {out / MANIFEST}\n"
    result = files(out)
    assert result in (drafted["a"], drafted["b"])  # both files from one run, nothing else
    manifest = json.loads(result[MANIFEST])
    assert manifest["outputs"] == {DOCX: hashlib.sha256(result[DOCX]).hexdigest()}


def test_a_forced_draft_killed_while_placing_leaves_no_mix_of_two_runs(
    project: Path, drafted: dict[str, dict[str, bytes]], cli: Callable[..., Run]
) -> None:
    out = project / "killed-placing"
    write_tree(out, drafted["a"])  # a's set, then b replaces it and is killed half-way
    child = start(project, "b", out, "--force", "--manifest", delays=[0, -1])
    killed = finish(child)
    assert killed.exit_code == -signal.SIGKILL
    placed = {name: data for name, data in files(out).items() if not name.startswith(".")}
    assert placed == {DOCX: drafted["b"][DOCX]}  # b's DOCX alone; a's manifest went first
    result = cli(*draft_args(project, "b", out, "--force", "--manifest"))
    assert result.exit_code == 0, result.stderr
    assert files(out) == drafted["b"]  # and the killed run's temporary file is gone


def test_a_forced_draft_without_manifest_removes_the_manifest_it_would_make_stale(
    project: Path, drafted: dict[str, dict[str, bytes]], cli: Callable[..., Run]
) -> None:
    out = project / "stale-manifest"
    write_tree(out, drafted["a"])
    result = cli(*draft_args(project, "b", out, "--force"))
    assert (result.exit_code, result.stdout) == (0, f"wrote {out / DOCX}\n")
    assert files(out) == {DOCX: drafted["b"][DOCX]}  # not b's DOCX beside a's manifest


def test_the_next_run_removes_the_temporary_files_of_a_killed_draft(
    project: Path, drafted: dict[str, dict[str, bytes]], cli: Callable[..., Run]
) -> None:
    out = project / "killed-writing"
    out.mkdir()
    child = start(project, "a", out, hold=str(project / "never"))
    left = wait_for_temporary(out, child)
    child.send_signal(signal.SIGKILL)
    assert finish(child).exit_code == -signal.SIGKILL
    assert temporaries(out) == left  # the kill left it: nothing else removes it
    result = cli(*draft_args(project, "a", out))
    assert result.exit_code == 0, result.stderr
    assert files(out) == {DOCX: drafted["a"][DOCX]}


def test_a_temporary_file_a_live_draft_is_writing_is_not_removed(
    project: Path, drafted: dict[str, dict[str, bytes]], cli: Callable[..., Run]
) -> None:
    out = project / "live"
    out.mkdir()
    go = project / "go-live"
    child = start(project, "a", out, hold=str(go))
    try:
        [live] = wait_for_temporary(out, child)
        stale = out / ".second.docx.procuregen-0123abcd.tmp"  # as a SIGKILL leaves one
        stale.write_bytes(b"half an agreement")
        before = (out / live).stat()
        result = cli(*draft_args(project, "c", out))  # its own name, in the same folder
        assert result.exit_code == 0, result.stderr
        assert not stale.exists()
        after = (out / live).stat()
        assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)
    finally:
        go.touch()
    run = finish(child)
    assert (run.exit_code, run.stdout) == (0, f"wrote {out / DOCX}\n")
    assert sorted(files(out)) == [DOCX, "second.docx"]
    assert files(out)[DOCX] == drafted["a"][DOCX]


# -- the fallbacks and the rollback, in this process: no drafting needed ---------------


def test_a_set_is_rolled_back_when_a_later_target_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program creates the manifest's name between the check and the placing."""
    docx, manifest = tmp_path / DOCX, tmp_path / MANIFEST
    link = os.link

    def another_program_first(source: Path, target: Path) -> None:
        if Path(target) == manifest:
            manifest.write_bytes(b"theirs")
        link(source, target)

    monkeypatch.setattr(os, "link", another_program_first)
    with pytest.raises(OutputError) as refused:
        write_all({docx: b"ours", manifest: b"ours too"}, force=False)
    assert str(refused.value) == f"{manifest}: already exists; use --force to replace it"
    assert files(tmp_path) == {MANIFEST: b"theirs"}  # our DOCX taken back, nothing left over


def test_a_disk_that_fills_up_while_staging_leaves_nothing_and_names_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docx, manifest = tmp_path / DOCX, tmp_path / MANIFEST
    written: list[int] = []
    real_write = os.write

    def full_on_the_second_file(descriptor: int, data: Any) -> int:
        written.append(descriptor)
        if len(set(written)) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", full_on_the_second_file)
    with pytest.raises(OutputError) as refused:
        write_all({docx: b"ours", manifest: b"ours too"}, force=False)
    assert str(refused.value) == f"{manifest}: cannot write: No space left on device"
    assert files(tmp_path) == {}


def test_without_hard_links_a_target_is_claimed_exclusively_and_never_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on vfat: link() fails with EPERM. The name is then claimed with O_EXCL."""
    docx, manifest = tmp_path / DOCX, tmp_path / MANIFEST
    appears: list[Path] = []

    def no_hard_links(source: Path, target: Path) -> None:
        if Path(target) in appears:
            Path(target).write_bytes(b"theirs")
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_hard_links)
    write_all({docx: b"ours", manifest: b"ours too"}, force=False)
    assert files(tmp_path) == {DOCX: b"ours", MANIFEST: b"ours too"}
    write_all({docx: b"again", manifest: b"again too"}, force=True)
    assert files(tmp_path) == {DOCX: b"again", MANIFEST: b"again too"}
    for path in (docx, manifest):
        path.unlink()
    appears.append(manifest)
    with pytest.raises(OutputError) as refused:
        write_all({docx: b"ours", manifest: b"ours too"}, force=False)
    assert str(refused.value) == f"{manifest}: already exists; use --force to replace it"
    assert files(tmp_path) == {MANIFEST: b"theirs"}


def test_without_file_locks_outputs_are_written_and_no_temporary_file_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where flock fails with ENOLCK no run can tell a stale temporary file from a live
    one, so none is removed; writing works all the same."""
    import fcntl

    def no_locks(descriptor: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    unknown = tmp_path / ".agreement.pdf.procuregen-0123abcd.tmp"
    unknown.write_bytes(b"maybe someone's")
    monkeypatch.setattr(fcntl, "flock", no_locks)
    write_all({tmp_path / DOCX: b"ours"}, force=False)
    assert files(tmp_path) == {DOCX: b"ours", unknown.name: b"maybe someone's"}


def test_the_folder_lock_lets_one_run_place_at_a_time_and_leaves_no_lock_file(
    tmp_path: Path,
) -> None:
    from procuregen.folder_lock import LOCK_NAME, folder_lock

    events: list[str] = []

    def second_run() -> None:
        with folder_lock(tmp_path):
            events.append("second placed")

    with folder_lock(tmp_path):
        waiting = threading.Thread(target=second_run)
        waiting.start()
        time.sleep(0.3)
        events.append("first placed")
    waiting.join(timeout=30)
    assert events == ["first placed", "second placed"]
    assert not (tmp_path / LOCK_NAME).exists()
