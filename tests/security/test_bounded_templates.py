"""Bounded templates: a forked clause library cannot hang or exhaust the machine.

Each attack is a one-clause fork of the fixture library. `check`, `draft --format docx` and
`explain` must each exit 1 within seconds with one located error and no traceback, and
write nothing; `clauses lint` must flag the attacks that can be seen without rendering.

The commands run in a child process with a time limit and a 2 GB address-space limit, so
that a build without the bounds fails these tests (by timing out, or by running out of
memory with a traceback) instead of hanging or swapping the machine.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from procuregen.environment import SourceLoader, make_environment
from tests.conftest import write_tree
from tests.libraries import base_library, clause
from tests.specs import VALID

MEMORY_LIMIT = 2_000_000_000  # bytes of address space for the child process
TIME_LIMIT = 120  # seconds of wall time for the child process, on a busy machine
CPU_SECONDS = 5.0  # processor seconds one command may take

# Runs procuregen commands in one interpreter and prints each one's exit code, stderr and
# processor time as a JSON line. An exception that escapes the CLI's handler is printed
# as a traceback and fails the test.
RUNNER = """
import json, sys, time
from click.testing import CliRunner
from procuregen.cli import cli
for args in json.loads(sys.argv[1]):
    start = time.process_time()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    seconds = time.process_time() - start
    print(json.dumps([result.exit_code, result.stderr, seconds]), flush=True)
"""

INTRO = "Intro.\n\n"  # the attack starts on the third line of each body

ATTACKS: dict[str, tuple[str, dict[str, Any], str]] = {
    # name: (body, front matter, where the located error points: a text in the file)
    "nested-loop": (
        INTRO + "{% for a in buyer.name * 1000 %}\n{% for b in buyer.name * 1000 %}x{% endfor %}\n"
        "{% endfor %}\n",
        {},
        "{% for b in",
    ),
    "when-builds-strings": (
        "Text.\n",
        {"when": "(buyer.name * 100000000) | length > 0"},
        "when:",
    ),
    "huge-repetition": (INTRO + "{{ 'a' * 20000000000 }}\n", {}, "{{ 'a'"),
    "huge-percent-width": (INTRO + "{{ '%20000000000d' | format(1) }}\n", {}, "{{ '%"),
    "huge-format-width": (INTRO + "{{ '{:>99999999999}'.format(1) }}\n", {}, "{{ '{:>"),
    "recursive-macro": (
        INTRO + "{% macro m() %}\n{{ m() }}\n{% endmacro %}\n{{ m() }}\n",
        {},
        "{{ m() }}",
    ),
    "self-include": (INTRO + "{% include 'attack' %}\n", {}, "{% include"),
    "division-by-zero": (INTRO + "{{ value.amount / 0 }}\n", {}, "{{ value.amount /"),
    "decimal-overflow": (INTRO + "{{ value.amount ** 100000000000 }}\n", {}, "{{ value.amount *"),
}

MESSAGES = {
    "nested-loop": "template: more than 1,000,000 steps (loop iterations, calls, filters, "
    "operators) in one clause: loops nested in loops, a loop over a long text, or a macro "
    "that calls itself over and over? Loop over the spec's lists, not texts",
    "when-builds-strings": "when: repeating a text 100,000,000 times would make 2,200,000,000 "
    "characters; a clause may make at most 2,000,000 at a time",
    "huge-repetition": "template: repeating a text 20,000,000,000 times would make "
    "20,000,000,000 characters; a clause may make at most 2,000,000 at a time",
    "huge-percent-width": "template: format '%20000000000d' asks for a width of 20000000000 "
    "characters; a clause may use widths and precisions of at most 1,000",
    "huge-format-width": "template: format '>99999999999' asks for a width of 99999999999 "
    "characters; a clause may use widths and precisions of at most 1,000",
    "recursive-macro": "template: macro calls nested more than 50 deep: does a macro call "
    "itself without end?",
    "self-include": "template: attack includes itself: that never ends; remove the include",
    "division-by-zero": "template: division by zero",
    "decimal-overflow": "template: a number too large for a decimal (decimal overflow)",
}

# What `clauses lint` says of each attack it can see without rendering ({id}: the clause's).
LINT = {
    "when-builds-strings": "warning: when: multiplies by 100,000,000: if the value is a text "
    "or a list, rendering refuses it, as a clause may make at most 2,000,000 characters at a "
    "time",
    "huge-repetition": "error: " + MESSAGES["huge-repetition"],
    "huge-percent-width": "error: " + MESSAGES["huge-percent-width"],
    "huge-format-width": "error: " + MESSAGES["huge-format-width"],
    "recursive-macro": "error: template: macro m calls itself on every call: that never "
    "ends, and rendering stops it after 50 levels; give it a condition to stop",
    "self-include": "error: template: {id} includes itself: that never ends; remove the include",
    "division-by-zero": "error: template: division by zero",
    "decimal-overflow": "error: template: raising to the power 100,000,000,000 makes a number "
    "of more than 1,000 digits (or a decimal overflow) for any number but 0 and 1",
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_commands(folder: Path, *commands: list[str]) -> list[tuple[int, str, float]]:
    """Run `procuregen ARGS` for each of `commands` in `folder`, in a bounded child process."""
    try:
        finished = subprocess.run(
            [sys.executable, "-c", RUNNER, json.dumps(commands)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"procuregen did not finish within {TIME_LIMIT} s: {commands}")
    assert "Traceback" not in finished.stderr, finished.stderr
    assert finished.returncode == 0, finished.stderr
    return [tuple(json.loads(line)) for line in finished.stdout.splitlines()]  # type: ignore[misc]


def attack_clause(name: str, clause_id: str = "attack") -> tuple[str, str]:
    body, front, _ = ATTACKS[name]
    path, text = clause(clause_id, "general", body, order=90, **front)
    return path, text.replace("'attack'", f"'{clause_id}'")


def location(text: str, anchor: str) -> str:
    """`line` (or `line:col` for a front-matter field) of the first line holding `anchor`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if anchor in line:
            return f"{number}:7" if anchor == "when:" else str(number)
    raise AssertionError(anchor)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_each_attack_is_a_located_error_from_check_draft_and_explain(
    name: str, tmp_path: Path
) -> None:
    path, text = attack_clause(name)
    write_tree(tmp_path, {**base_library(), path: text, "agency.yaml": VALID})
    (tmp_path / "out").mkdir()
    written_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    library = ["--library", "lib"]
    results = run_commands(
        tmp_path,
        ["check", "agency.yaml", *library],
        ["draft", "agency.yaml", *library, "--format", "docx", "-o", "out"],
        ["explain", "agency.yaml", *library],
    )
    expected = f"{path}:{location(text, ATTACKS[name][2])}: {MESSAGES[name]}\n"
    assert len(results) == 3
    for command, (exit_code, stderr, seconds) in zip(
        ("check", "draft", "explain"), results, strict=True
    ):
        assert (command, exit_code, stderr) == (command, 1, expected)
        assert seconds < CPU_SECONDS, f"{command} took {seconds:.1f} s of processor time"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == written_before


def test_lint_flags_every_attack_it_can_see_without_rendering(tmp_path: Path) -> None:
    files = base_library()
    expected = []
    for name in sorted(ATTACKS):
        clause_id = f"attack-{name}"
        path, text = attack_clause(name, clause_id)
        files[path] = text
        if name in LINT:
            message = LINT[name].replace("{id}", clause_id)
            expected.append(f"{path}:{location(text, ATTACKS[name][2])}: {message}")
    write_tree(tmp_path, files)
    [(exit_code, stderr, seconds)] = run_commands(tmp_path, ["clauses", "lint", "--library", "lib"])
    assert exit_code == 1
    found = stderr.splitlines()
    assert [line for line in found if line in expected] == expected
    assert not [line for line in found if "attack-nested-loop" in line], "nothing to see there"
    assert seconds < CPU_SECONDS


def test_lint_finds_recursion_under_a_condition_and_include_cycles_through_others(
    tmp_path: Path,
) -> None:
    from procuregen.lint import lint_library

    countdown = (
        "{% macro down(n) %}\n{% if n %}{{ down(n - 1) }}{% endif %}\n{% endmacro %}\n"
        "{{ down(3) }}\n"
    )
    files = {
        **base_library(),
        **dict(
            [
                clause("countdown", "general", INTRO + countdown, order=90),
                clause("ping", "general", INTRO + "{% include 'pong' %}\n", order=91),
                clause("pong", "general", INTRO + "{% include 'ping' %}\n", order=92),
            ]
        ),
    }
    write_tree(tmp_path, files)
    found = [str(f).replace(f"{tmp_path}/", "") for f in lint_library(tmp_path / "lib")]
    countdown_line = location(files["lib/general/countdown.md"], "{% if n %}")
    ping_line = location(files["lib/general/ping.md"], "{% include")
    assert [f for f in found if "includes" in f or "calls itself" in f] == [
        f"lib/general/countdown.md:{countdown_line}: warning: template: macro down calls "
        "itself: rendering refuses calls nested more than 50 deep",
        f"lib/general/ping.md:{ping_line}: error: template: ping includes pong which includes "
        "ping: that never ends; remove an include",
    ]


# -- the bounds themselves, on the clause environment --------------------------------------
# (procuregen.bounds is imported in each test, so that the tests above run, and fail, on a
# build without it.)


def render(body: str, **context: Any) -> str:
    environment = make_environment("markdown", sources={"clause": body})
    return environment.render_clause("clause", context)


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (
            "{% for i in range(10000) %}{{ 'b' * 1999999 }}{% endfor %}",
            "prints more than 10,000,000 characters; a clause must print less",
        ),
        (
            "{% macro m() %}{% for i in range(10000) %}{{ 'c' * 1999999 }}{% endfor %}"
            "{% endmacro %}{% set x = m() %}",
            "prints more than 10,000,000 characters; a clause must print less",
        ),
        (
            "{% for i in range(10000) %}" + "y" * 5000 + "{% endfor %}",
            "prints more than 10,000,000 characters; a clause must print less",
        ),
        (
            "{{ [" + ", ".join(["'z' * 1999999"] * 40) + "] | length }}",
            "made more than 50,000,000 characters of text in one clause; a clause must build "
            "less text",
        ),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}",
            "joining with ~ would make 2,097,152 characters; a clause may make at most "
            "2,000,000 at a time",
        ),
        (
            "{% set s = 'a' * 1000000 %}{{ s | replace('a', s) }}",
            "replace() would make 1,000,000,000,000 characters; a clause may make at most "
            "2,000,000 at a time",
        ),
        (
            "{% set s = 'a' * 1000000 %}{{ range(10000) | join(s) }}",
            "joining would make 9,999,071,226 characters; a clause may make at most 2,000,000 "
            "at a time",
        ),
        (
            "{{ 'x'.center(10000000000) }}",
            "center() is given 10,000,000,000; a clause may pass numbers of at most 2,000,000 "
            "to a method",
        ),
        (
            "{{ '{:>{}}'.format(1, 99999999999) }}",
            "format '>99999999999' asks for a width of 99999999999 characters; a clause may "
            "use widths and precisions of at most 1,000",
        ),
        (
            "{{ ('{:>99999999999}' | safe).format(1) }}",
            "format '>99999999999' asks for a width of 99999999999 characters; a clause may "
            "use widths and precisions of at most 1,000",
        ),
        (
            "{{ range(100000) | length }}",
            "range() of 100,000 numbers; a clause may loop over at most 10,000",
        ),
        (
            "{{ 2 ** 10000000000 }}",
            "2 ** 10000000000 makes a number of about 3,010,299,957 digits; a clause may "
            "make numbers of at most 1,000 digits",
        ),
        (
            "{% for c in 'abc' recursive %}{{ loop(c) }}{% endfor %}",
            "macro calls nested more than 50 deep: does a macro call itself without end?",
        ),
    ],
    ids=[
        "printed",
        "printed-in-a-macro",
        "template-text-in-a-loop",
        "made",
        "doubling",
        "replace",
        "join",
        "padding",
        "width-from-a-value",
        "format-of-a-safe-text",
        "range",
        "power",
        "recursive-loop",
    ],
)
def test_each_bound_refuses_before_it_is_passed(body: str, refusal: str) -> None:
    from procuregen.bounds import BoundExceeded

    with pytest.raises(BoundExceeded) as raised:
        render(body)
    assert raised.value.message == refusal


def test_the_time_bound_stops_a_rendering_that_takes_too_long() -> None:
    from procuregen.bounds import CLAUSE_BOUNDS, BoundExceeded

    environment = make_environment("markdown", sources={"clause": "x"})
    slow = environment.overlay(
        loader=SourceLoader({"spin": "{% for i in range(5000) %}{% endfor %}"})
    )
    slow.bounds = replace(CLAUSE_BOUNDS, seconds=0.0)
    with pytest.raises(BoundExceeded) as raised:
        slow.render_clause("spin", {})
    assert raised.value.message == (
        "took more than 0 seconds of processor time; a clause must do less work"
    )
    assert environment.render_clause("clause", {}) == "x", "the library's own bounds are kept"


def test_the_bounds_leave_room_for_the_largest_spec() -> None:
    """A price schedule of 16,000 rows (about what 100,000 YAML nodes can hold) renders."""
    from procuregen.bounds import CLAUSE_BOUNDS, Spending

    items = [
        {"description": f"Item {n}", "quantity": Decimal(n), "unit_price": Decimal("99.50")}
        for n in range(16_000)
    ]
    body = (
        "| Item | Quantity | Price | Total |\n|---|---|---|---|\n"
        "{% for item in items %}"
        "| {{ item.description }} | {{ item.quantity | number }} | {{ item.unit_price | money }} "
        "| {{ (item.quantity * item.unit_price) | money }} |\n"
        "{% endfor %}"
    )
    environment = make_environment("markdown", sources={"schedule": body})
    with Spending(CLAUSE_BOUNDS) as budget:
        text = environment.get_template("schedule").render(
            items=items, value={"currency": "EUR"}, language="en"
        )
    assert text.count("\n") == 16_002
    # Printed values are escaped for Markdown: 15\,999 reads as 15,999.
    assert r"| Item 15999 | 15\,999 | EUR 99\.50 | EUR 1\,591\,900\.50 |" in text
    assert budget.steps < CLAUSE_BOUNDS.steps // 5, budget.steps
    assert budget.made < CLAUSE_BOUNDS.made // 5, budget.made
