"""Property: whatever a spec author or a library fork writes, procuregen drafts or refuses.

Hypothesis mutates the example specs and the bundled library's files (a value replaced by
hostile text, a key dropped or duplicated, a line cut short, bytes spliced in, a clause
body given template code) and runs `check` and `draft --format docx` on the result. Every
run must end with exit 0 and the outputs, or exit 1 with messages that each name a file
(and a line where there is one), no traceback, and nothing written: no output, no
temporary file. The number of examples is bounded so that CI stays quick; set
PROCUREGEN_PROPERTY_EXAMPLES for a longer hunt.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procuregen.cli import cli
from procuregen.resources import bundled_root

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "examples").glob("*.yaml"))
EXAMPLES = int(os.environ.get("PROCUREGEN_PROPERTY_EXAMPLES", "10"))
LOCATED = re.compile(r"^\S[^:]*(:\d+(:\d+)?)?: ")

# Text a hostile author might write: controls, bidi and invisible characters,
# noncharacters, template and Markdown syntax, YAML indicators, very long tokens.
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\u202e1000000",
            "\u061c559101-7788",
            "\ufffe",
            "a\u0000b",
            "\u200b",
            "{{ 1/0 }}",
            "{% for x in range(999999999) %}x{% endfor %}",
            "[[Buyer",
            "[[#no-such-clause]]",
            "<script>x</script>",
            "&#x202E;",
            "*" * 500,
            "x" * 5000,
            "!!python/object:os.system",
            "&anchor",
            "- [a, b",
            "2026-13-45",
            "NaN",
        ]
    ),
)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """One mutation of a YAML or Markdown text."""
    lines = _lines(text)
    index = draw(st.integers(0, max(len(lines) - 1, 0)))
    line = lines[index] if lines else ""
    kind = draw(st.sampled_from(["value", "drop", "duplicate", "truncate", "splice", "indent"]))
    if kind == "value" and ":" in line:
        key, _, _ = line.partition(":")
        replacement = draw(HOSTILE).replace("\n", " ")
        lines[index] = f"{key}: {replacement}\n"
    elif kind == "drop" and lines:
        del lines[index]
    elif kind == "duplicate" and lines:
        lines.insert(index, line)
    elif kind == "truncate":
        lines = [*lines[:index], line[: draw(st.integers(0, len(line)))]]
    elif kind == "indent" and lines:
        lines[index] = " " * draw(st.integers(1, 7)) + line
    else:
        lines.insert(index, draw(HOSTILE) + "\n")
    return "".join(lines)


def _assert_refused_or_drafted(result: object, out: Path, drafted: bool) -> None:
    exit_code = result.exit_code  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert exit_code in (0, 1), (exit_code, stderr)
    assert "Traceback" not in stderr
    if exit_code == 1:
        errors = [line for line in stderr.splitlines() if line.strip()]
        assert errors, "exit 1 without a message"
        unlocated = [line for line in errors if not LOCATED.match(line)]
        assert not unlocated, stderr
        if out.exists():
            assert not any(out.iterdir()), sorted(p.name for p in out.iterdir())
    elif drafted:
        assert list(out.glob("*.docx"))
    leftovers = [p.name for p in out.glob(".*")] if out.exists() else []
    assert not [name for name in leftovers if name.endswith(".tmp")], leftovers


def _run(*args: str | Path) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(spec=st.sampled_from(SPECS), data=st.data())
def test_mutated_spec_drafts_or_is_refused(spec: Path, data: st.DataObject, tmp_path: Path) -> None:
    text = data.draw(mutated(spec.read_text("utf-8")))
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    path = case / spec.name
    path.write_text(text, "utf-8", errors="surrogatepass")
    out = case / "out"
    _assert_refused_or_drafted(_run("check", path), out, drafted=False)
    _assert_refused_or_drafted(_run("draft", path, "-o", out, "--format", "docx"), out, True)


@pytest.fixture(scope="module")
def library_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("library") / "oss-framework"
    shutil.copytree(LIBRARY, target)
    return target


LIBRARY = bundled_root("clauses") / "oss-framework"
CLAUSE_FILES = sorted(
    str(p.relative_to(LIBRARY)) for p in LIBRARY.rglob("*.md") if not p.name.endswith(".sv.md")
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(name=st.sampled_from(CLAUSE_FILES), data=st.data())
def test_mutated_library_drafts_or_is_refused(
    library_copy: Path, name: str, data: st.DataObject, tmp_path: Path
) -> None:
    clause = library_copy / name
    original = clause.read_text("utf-8")
    clause.write_text(data.draw(mutated(original)), "utf-8", errors="surrogatepass")
    try:
        spec = ROOT / "examples" / "national-agency-hosting.yaml"
        out = Path(tempfile.mkdtemp(dir=tmp_path)) / "out"
        args = ("--library", library_copy)
        _assert_refused_or_drafted(_run("check", spec, *args), out, drafted=False)
        _assert_refused_or_drafted(
            _run("draft", spec, *args, "-o", out, "--format", "docx"), out, drafted=True
        )
        lint = _run("clauses", "lint", "--library", library_copy)
        assert lint.exit_code in (0, 1), lint.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in lint.stderr  # type: ignore[attr-defined]
    finally:
        clause.write_text(original, "utf-8")
