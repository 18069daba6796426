"""Shared fixtures: fixture trees written into tmp_path, and the CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from procuregen.cli import cli as procuregen_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SHARED_DATA = ROOT.parent / "shared" / "data"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `{relative path: text}` under root and return root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    return lambda files: write_tree(tmp_path, files)


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run `procuregen ARGS...` in-process and return exit code, stdout and stderr."""

    def run(*args: str | Path) -> Run:
        result = CliRunner().invoke(procuregen_cli, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run
