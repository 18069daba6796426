"""Project configuration: procuregen.toml or [tool.procuregen], found upwards from a spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from procuregen.api import build
from procuregen.commands.config import command as config_command
from procuregen.config import ConfigError, find_config_file, resolve_config
from procuregen.errors import Location, ProcuregenError
from tests.conftest import write_tree
from tests.specs import VALID
from tests.test_layers import AGENCY, project

CONFIG = """\
templates = ["templates/vaxby"]

[libraries]
test-library = "libs/test"
other = "../shared/other"

[output]
folder = "out"
formats = ["docx"]
"""


def test_the_nearest_procuregen_toml_counts_with_paths_relative_to_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"procuregen.toml": CONFIG, "calloffs/deep/x.yaml": ""})
    config = resolve_config(tmp_path / "calloffs" / "deep" / "x.yaml")
    toml = tmp_path / "procuregen.toml"
    assert config.file == toml
    assert config.root == tmp_path
    assert config.libraries == {
        "test-library": tmp_path / "libs" / "test",
        "other": tmp_path.parent / "shared" / "other",
    }
    assert config.templates == {"vaxby": tmp_path / "templates" / "vaxby"}
    assert config.output_folder == tmp_path / "out"
    assert config.output_formats == ("docx",)
    assert config.sources == {
        "templates.vaxby": Location(str(toml), 1, 1),
        "libraries.test-library": Location(str(toml), 4, 1),
        "libraries.other": Location(str(toml), 5, 1),
        "output.folder": Location(str(toml), 8, 1),
        "output.formats": Location(str(toml), 9, 1),
    }
    assert config.source("output.folder") == f"{toml}:8:1"


def test_templates_as_a_table_of_ids(tmp_path: Path) -> None:
    write_tree(tmp_path, {"procuregen.toml": '[templates]\nhouse = "t/house-style"\n'})
    config = resolve_config(tmp_path)
    assert config.templates == {"house": tmp_path / "t" / "house-style"}
    assert config.source("templates.house") == f"{tmp_path / 'procuregen.toml'}:2:1"
    assert config.output_folder is None
    assert config.source("output.folder") == "default"


def test_tool_procuregen_in_pyproject(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"\n\n[tool.procuregen.libraries]\nacme = "lib"\n'
    write_tree(tmp_path, {"pyproject.toml": pyproject, "specs/x.yaml": ""})
    config = resolve_config(tmp_path / "specs" / "x.yaml")
    assert config.file == tmp_path / "pyproject.toml"
    assert config.libraries == {"acme": tmp_path / "lib"}
    assert config.source("libraries.acme") == f"{tmp_path / 'pyproject.toml'}:5:1"


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"procuregen.toml": CONFIG, "sub/pyproject.toml": '[project]\nname = "x"\n'},
    )
    found = find_config_file(tmp_path / "sub")
    assert found is not None
    assert found.path == tmp_path / "procuregen.toml"


def test_the_search_stops_at_the_top_of_a_repository(tmp_path: Path) -> None:
    write_tree(tmp_path, {"procuregen.toml": CONFIG, "repo/.git/HEAD": "", "repo/x.yaml": ""})
    assert find_config_file(tmp_path / "repo" / "x.yaml") is None
    assert resolve_config(tmp_path / "repo").file is None


def config_problems(tmp_path: Path, text: str) -> list[str]:
    write_tree(tmp_path, {"procuregen.toml": text})
    with pytest.raises(ConfigError) as caught:
        resolve_config(tmp_path)
    return [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems]


def test_invalid_toml_is_located(tmp_path: Path) -> None:
    assert config_problems(tmp_path, '[output]\nfolder = "out\n') == [
        "procuregen.toml:2:14: invalid TOML: Illegal character '\\n'"
    ]


def test_every_wrong_setting_is_located_at_its_key(tmp_path: Path) -> None:
    text = (
        "[libraries]\n"
        "Bad_Id = 'x'\n"
        "fine = 3\n"
        "\n"
        "[output]\n"
        "formats = ['docx', 'rtf']\n"
        "colour = 'red'\n"
    )
    assert config_problems(tmp_path, text) == [
        "procuregen.toml:3:1: libraries.fine: must be a non-empty string (a path)",
        "procuregen.toml:6:1: output.formats[1]: Input should be 'docx' or 'pdf'",
        "procuregen.toml:7:1: output.colour: unknown setting (expected one of: folder, formats)",
    ]
    assert config_problems(tmp_path, "[libraries]\nBad_Id = 'x'\n") == [
        "procuregen.toml:2:1: libraries.Bad_Id: an id is lower-case letters and digits "
        "joined by single hyphens"
    ]


def test_an_unknown_top_level_setting_and_bad_templates(tmp_path: Path) -> None:
    assert config_problems(tmp_path, "templates = 3\nlibrary = 'x'\n") == [
        "procuregen.toml:1:1: templates: a list of template folders, or a table of id = folder",
        "procuregen.toml:2:1: library: unknown setting "
        "(expected one of: libraries, templates, output)",
    ]
    assert config_problems(tmp_path, "output = {folder = 1}\n") == [
        "procuregen.toml:1:11: output.folder: must be a non-empty string (a path)"
    ]


def test_a_broken_configuration_stops_the_spec_located(tmp_path: Path) -> None:
    spec = project(tmp_path, {"procuregen.toml": "[libraries]\ntest-library = 1\n"})
    with pytest.raises(ProcuregenError) as caught:
        build(spec)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'procuregen.toml'}:2:1: libraries.test-library: "
        "must be a non-empty string (a path)"
    ]


def test_an_unknown_library_is_an_error_at_the_spec_line(tmp_path: Path) -> None:
    agency = AGENCY.replace("library: test-library", "library: vaxby-oss")
    spec = project(tmp_path, {"agencies/exampleby.yaml": agency})
    with pytest.raises(ProcuregenError) as caught:
        build(spec)
    toml = tmp_path / "procuregen.toml"
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'agencies' / 'exampleby.yaml'}:2:10: library: unknown library "
        f"'vaxby-oss'; known libraries: test-library ({toml}:2:1), oss-framework (bundled); "
        f"add it under [libraries] in {toml}, or use --library"
    ]


def test_an_unknown_library_without_configuration(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(
        VALID.replace("procuregen: 1\n", "procuregen: 1\nlibrary: vaxby-oss\n"), "utf-8"
    )
    with pytest.raises(ProcuregenError) as caught:
        build(spec)
    (problem,) = caught.value.problems
    assert problem.location == Location(str(spec), 2, 10)
    assert "known libraries: oss-framework (bundled); no procuregen.toml" in problem.message


def test_a_configured_folder_without_a_library_is_an_error_at_the_config(tmp_path: Path) -> None:
    spec = project(tmp_path, {"procuregen.toml": '[libraries]\ntest-library = "nowhere"\n'})
    with pytest.raises(ProcuregenError) as caught:
        build(spec)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'procuregen.toml'}:2:1: libraries.test-library: no library.yaml in "
        f"{tmp_path / 'nowhere'}"
    ]


def test_library_option_comes_before_the_configuration(tmp_path: Path) -> None:
    spec = project(tmp_path, {"procuregen.toml": '[libraries]\ntest-library = "nowhere"\n'})
    _, library, _, _ = build(spec, library_dir=tmp_path / "libs" / "test")
    assert library.id == "test-library"


def run_config(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(config_command, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_config_command_prints_each_value_and_where_it_came_from(tmp_path: Path) -> None:
    spec = project(tmp_path, {"procuregen.toml": CONFIG})
    code, out, _ = run_config(spec)
    toml = tmp_path / "procuregen.toml"
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [f"configuration: {toml}", f"project folder: {tmp_path}"]
    flat = [" ".join(line.split()) for line in lines]
    assert f"libraries.test-library = {tmp_path / 'libs' / 'test'} ({toml}:4:1)" in flat
    assert f"templates.vaxby = {tmp_path / 'templates' / 'vaxby'} ({toml}:1:1)" in flat
    assert f"output.folder = {tmp_path / 'out'} ({toml}:8:1)" in flat
    assert f"output.formats = docx ({toml}:9:1)" in flat
    assert any(
        line.startswith("libraries.oss-framework = ") and "(bundled)" in line for line in flat
    )


def test_config_command_without_configuration_and_as_json(tmp_path: Path) -> None:
    code, out, _ = run_config(tmp_path)
    assert code == 0
    assert out.startswith("configuration: none")
    assert "output.formats = the spec's output.formats (default)" in [
        " ".join(line.split()) for line in out.splitlines()
    ]
    write_tree(tmp_path, {"procuregen.toml": CONFIG})
    code, out, _ = run_config(tmp_path, "--json")
    report = json.loads(out)
    assert report["file"] == str(tmp_path / "procuregen.toml")
    settings = {s["setting"]: s for s in report["settings"]}
    assert settings["output.folder"]["source"] == f"{tmp_path / 'procuregen.toml'}:8:1"


def test_config_command_reports_a_broken_file_located(tmp_path: Path) -> None:
    write_tree(tmp_path, {"procuregen.toml": "[output]\nformats = 'docx'\n"})
    with pytest.raises(ConfigError) as caught:
        run_config(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'procuregen.toml'}:2:1: output.formats: Input should be a valid list"
    )


def test_configured_formats_apply_unless_the_spec_writes_its_own(tmp_path: Path) -> None:
    from procuregen.api import draft
    from procuregen.config import output_folder, output_formats
    from procuregen.spec import read_spec

    config = '[libraries]\ntest-library = "libs/test"\n[output]\nformats = ["docx"]\n'
    spec = project(tmp_path, {"procuregen.toml": config})
    assert output_formats(read_spec(spec)) == ("docx",)
    out = tmp_path / "drafts"
    out.mkdir()
    written, _ = draft(spec, out_dir=out)
    assert [p.name for p in written] == ["x.docx"]
    own = AGENCY + "output: {formats: [pdf]}\n"
    spec = project(tmp_path, {"procuregen.toml": config, "agencies/exampleby.yaml": own})
    assert output_formats(read_spec(spec)) == ("pdf",)
    assert output_folder(spec, None) == Path()
    assert output_folder(spec, tmp_path / "o") == tmp_path / "o"
    write_tree(tmp_path, {"procuregen.toml": config + 'folder = "out"\n'})
    assert output_folder(spec, None) == tmp_path / "out"


def test_a_broken_pyproject_counts_only_when_it_has_our_table(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[project\nname = 'x'\n"})
    assert resolve_config(tmp_path).file is None
    write_tree(tmp_path, {"pyproject.toml": "[tool.procuregen]\nlibraries = {x = \n"})
    with pytest.raises(ConfigError) as caught:
        resolve_config(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'pyproject.toml'}:2:")
