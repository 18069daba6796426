"""The command line: exit codes, located messages, schema and starter spec."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLES, Run
from tests.specs import VALID, edit


def test_valid_spec_exits_zero(tmp_path: Path, cli: Callable[..., Run]) -> None:
    spec = tmp_path / "good.yaml"
    spec.write_text(VALID, encoding="utf-8")
    result = cli("check", spec)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{spec}: ok\n", "")


def test_three_mistakes_give_three_located_errors(tmp_path: Path, cli: Callable[..., Run]) -> None:
    text = edit("document: call-off", "document: calloff")
    text = edit("currency: EUR", "currency: EURO", text)
    text = edit("  venue: Stockholm District Court\n", "", text)
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    result = cli("check", spec)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{spec}:2:11: document: Input should be 'framework' or 'call-off'",
        f"{spec}:24:13: value.currency: 'EURO' is not an ISO 4217 currency code"
        " (for example EUR, SEK)",
        f"{spec}:31:1: law.venue: required field is missing",
    ]


def test_check_reports_every_spec(tmp_path: Path, cli: Callable[..., Run]) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad.write_text(edit("procuregen: 1", "procuregen: 9"), encoding="utf-8")
    result = cli("check", bad, good)
    assert result.exit_code == 1
    assert result.stdout == f"{good}: ok\n"
    assert result.stderr == (
        f"{bad}:1:13: procuregen: spec format version 9 is not supported (this procuregen reads 1)\n"
    )


def test_usage_error_exits_two(cli: Callable[..., Run]) -> None:
    assert cli("check").exit_code == 2
    assert cli("frobnicate").exit_code == 2


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_examples_pass_check(example: Path, cli: Callable[..., Run]) -> None:
    result = cli("check", example)
    assert (result.exit_code, result.stderr) == (0, "")


def yaml12(path: Path) -> Any:
    """Load YAML as a YAML 1.2 editor does: `NO` and dates stay strings."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [
            (tag, regexp) for tag, regexp in resolvers if tag.endswith(("int", "float", "null"))
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|false)$"), list("tf")
    )
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


def test_schema_accepts_the_examples_and_rejects_a_broken_spec(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert schema["properties"]["value"]["description"] == "Price, pricing model and payment terms."
    for example in EXAMPLES:
        assert list(validator.iter_errors(yaml12(example))) == [], example
    broken = tmp_path / "broken.yaml"
    broken.write_text(edit("pricing: fixed", "pricing: barter"), encoding="utf-8")
    errors = list(validator.iter_errors(yaml12(broken)))
    assert [list(e.absolute_path) for e in errors] == [["value", "pricing"]]


def test_every_schema_property_has_a_description(cli: Callable[..., Run]) -> None:
    schema = json.loads(cli("schema").stdout)
    missing = []
    for name, definition in [("Spec", schema), *schema["$defs"].items()]:
        for field, prop in definition.get("properties", {}).items():
            if "description" not in prop:
                missing.append(f"{name}.{field}")
    assert missing == []


def test_init_writes_a_starter_that_passes_check(tmp_path: Path, cli: Callable[..., Run]) -> None:
    target = tmp_path / "spec.yaml"
    result = cli("init", target)
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# A procuregen spec")
    assert cli("check", target).exit_code == 0


def test_init_refuses_to_overwrite(tmp_path: Path, cli: Callable[..., Run]) -> None:
    target = tmp_path / "spec.yaml"
    target.write_text("mine\n", encoding="utf-8")
    result = cli("init", target)
    assert (result.exit_code, result.stderr) == (1, f"{target}: already exists; not overwritten\n")
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["spec.yaml"]


def imported_modules(*args: str) -> set[str]:
    code = (
        "import sys, runpy; sys.argv = ['procuregen', *sys.argv[1:]];\n"
        "try:\n    runpy.run_module('procuregen', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return set(result.stderr.splitlines())


@pytest.mark.parametrize("args", [["--help"], ["check", str(EXAMPLES[0])]])
def test_help_and_check_do_not_import_the_renderers(args: list[str]) -> None:
    modules = imported_modules(*args)
    assert "procuregen.cli" in modules
    assert not {m for m in modules if m.split(".")[0] in {"docxtpl", "weasyprint", "docx"}}


def test_clauses_list_and_show(cli: Callable[..., Run]) -> None:
    listing = cli("clauses", "list", "--json")
    assert listing.exit_code == 0
    rows = json.loads(listing.stdout)
    ids = [row["id"] for row in rows]
    assert ids[:2] == ["parties", "definitions"]
    escrow = next(row for row in rows if row["id"] == "source-code-escrow")
    assert escrow["documents"] == ["call-off"]
    table = cli("clauses", "list")
    assert table.exit_code == 0 and "liability-cap-mutual" in table.stdout
    shown = cli("clauses", "show", "liability-cap-mutual")
    assert shown.exit_code == 0
    assert shown.stdout.startswith("# liability/liability-cap-mutual.md  (sha256 ")
    assert "slot: liability-cap" in shown.stdout
    missing = cli("clauses", "show", "no-such-clause")
    assert missing.exit_code == 1
    assert missing.stderr.endswith(": no clause 'no-such-clause' in oss-framework\n")


def test_publiccode_fills_gaps_and_must_stay_in_the_spec_folder(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    publiccode = (
        "publiccodeYmlVersion: '0.4'\nname: CaseFlow\nurl: https://code.example.org/caseflow\n"
        "legal:\n  license: AGPL-3.0-or-later\n"
        "description:\n  en:\n    shortDescription: Case management for municipalities\n"
    )
    (tmp_path / "publiccode.yml").write_text(publiccode, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        edit("  name: CaseFlow\n  license: EUPL-1.2\n", "  publiccode: publiccode.yml\n"),
        encoding="utf-8",
    )
    from procuregen.spec import load_spec

    software = load_spec(spec).software
    assert (software.name, software.license, software.repository, software.description) == (
        "CaseFlow",
        "AGPL-3.0-or-later",
        "https://code.example.org/caseflow",
        "Case management for municipalities",
    )
    (tmp_path / "publiccode.yml").write_text(publiccode.replace("AGPL-3.0-or-later", "Nope-1"))
    result = cli("check", spec)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{tmp_path / 'publiccode.yml'}:5:12: software.license: 'Nope-1'"
    )
    spec.write_text(
        edit("  name: CaseFlow\n  license: EUPL-1.2\n", "  publiccode: ../publiccode.yml\n"),
        encoding="utf-8",
    )
    result = cli("check", spec)
    assert result.stderr == (
        f"{spec}:28:15: software.publiccode: '../publiccode.yml' must stay inside the spec's folder\n"
    )


def test_draft_creates_a_missing_output_folder(tmp_path: Path, cli: Callable[..., Run]) -> None:
    result = cli("draft", EXAMPLES[0], "-o", tmp_path / "new" / "out", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "new" / "out").glob("*.docx"))) == 1


def test_weasyprint_import_starts_no_subprocess() -> None:
    # ctypes.util.find_library runs ldconfig, gcc and ld; the PDF renderer's import of
    # WeasyPrint must open its libraries by soname instead.
    import subprocess
    import sys

    probe = (
        "import subprocess\n"
        "started = []\n"
        "real = subprocess.Popen.__init__\n"
        "def record(self, *args, **kwargs):\n"
        "    started.append(args[0] if args else kwargs.get('args'))\n"
        "    real(self, *args, **kwargs)\n"
        "subprocess.Popen.__init__ = record\n"
        "from procuregen.render.engine import import_weasyprint\n"
        "import_weasyprint().HTML(string='<p>x</p>').write_pdf()\n"
        "print(len(started))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0", result.stdout
