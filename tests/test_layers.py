"""Layered specs: `extends:` merges a spec over the one it names, each value in its own file."""

from __future__ import annotations

from pathlib import Path

import pytest

from procuregen.api import build
from procuregen.errors import Location as Loc
from procuregen.errors import ProcuregenError
from procuregen.spec import read_spec
from procuregen.spec.layers import MAX_DEPTH, merge
from procuregen.spec.load import value_sources
from procuregen.yamlsource import load_text
from tests.conftest import write_tree
from tests.libraries import base_library

CONFIG = """\
[libraries]
test-library = "libs/test"
"""

AGENCY = """\
procuregen: 1
library: test-library
document: call-off
buyer:
  name: Exampleby Municipality
  identifier: {scheme: SE-ORG, id: "212000-0001"}
  address: {street: Storgatan 1, postal_code: "111 22", city: Exampleby, country: SE}
  contact: {name: Anna Berg, email: anna.berg@exampleby.se}
  signatory: {name: Lars Holm, title: Head of IT}
services: [development]
law:
  governing_law: SE
  disputes: courts
  venue: Stockholm District Court
"""

CALLOFF = """\
extends: ../agencies/exampleby.yaml
agreement:
  title: Case management
  reference: KS-1
  framework_reference: OSS-FA-2026
  date: 2026-12-01
buyer:
  contact: {name: Per Ek}
supplier:
  name: Supplier AB
  identifier: {scheme: SE-ORG, id: "556677-8899"}
  address: {street: Kungsgatan 12, postal_code: "411 19", city: Göteborg, country: SE}
  contact: {name: Sara Lind, email: sara.lind@supplier.se}
  signatory: {name: Erik Nyström, title: Managing Director}
term:
  start: 2027-01-01
  months: 24
value:
  currency: EUR
  pricing: fixed
  amount: 480000
software:
  name: CaseFlow
  license: EUPL-1.2
services: [development, maintenance]
"""


def project(root: Path, files: dict[str, str] | None = None) -> Path:
    """A project: procuregen.toml, a library, an agency profile and a call-off extending it."""
    library = {
        f"libs/test/{name.removeprefix('lib/')}": text for name, text in base_library().items()
    }
    tree = {
        **library,
        "procuregen.toml": CONFIG,
        "agencies/exampleby.yaml": AGENCY,
        "calloffs/x.yaml": CALLOFF,
    }
    write_tree(root, {**tree, **(files or {})})
    return root / "calloffs" / "x.yaml"


def problems(spec: Path, root: Path) -> list[str]:
    with pytest.raises(ProcuregenError) as caught:
        build(spec)
    return [str(p).replace(f"{root}/", "") for p in caught.value.problems]


def test_child_overrides_parent_mappings_merge_lists_replace(tmp_path: Path) -> None:
    spec_file, library, _, trace = build(project(tmp_path))
    spec = spec_file.spec
    assert library.id == "test-library"  # from procuregen.toml, no --library
    assert spec.buyer.name == "Exampleby Municipality"
    assert spec.buyer.contact.name == "Per Ek"  # the child's, key by key
    assert str(spec.buyer.contact.email) == "anna.berg@exampleby.se"  # the parent's
    assert list(spec.services) == ["development", "maintenance"]  # the list is replaced
    assert spec.output.name == "x"  # the child's file name
    assert spec_file.layers == (
        tmp_path / "calloffs" / "x.yaml",
        tmp_path / "agencies" / "exampleby.yaml",
    )
    warned = {w.message.split(":")[0]: w.location.file for w in trace.warnings}
    assert warned["law.governing_law"] == str(tmp_path / "agencies" / "exampleby.yaml")
    assert warned["value.pricing"] == str(tmp_path / "calloffs" / "x.yaml")


def test_value_sources_name_the_file_that_wrote_each_value(tmp_path: Path) -> None:
    child = project(tmp_path)
    sources = value_sources(read_spec(child))
    parent = str(tmp_path / "agencies" / "exampleby.yaml")
    assert sources["buyer.name"] == parent
    assert sources["buyer.contact.email"] == parent
    assert sources["law.venue"] == parent
    assert sources["buyer.contact.name"] == str(child)
    assert sources["services[0]"] == str(child)
    assert sources["agreement.title"] == str(child)
    assert "extends" not in sources


def test_an_error_in_the_parent_is_located_in_the_parent(tmp_path: Path) -> None:
    bad = AGENCY.replace("city: Exampleby, country: SE", "city: Exampleby, country: XX")
    spec = project(tmp_path, {"agencies/exampleby.yaml": bad})
    found = problems(spec, tmp_path)
    assert len(found) == 1
    assert found[0].startswith("agencies/exampleby.yaml:7:")
    assert "buyer.address.country" in found[0]


def test_an_error_in_the_child_is_located_in_the_child(tmp_path: Path) -> None:
    spec = project(
        tmp_path, {"calloffs/x.yaml": CALLOFF.replace("currency: EUR", "currency: EURO")}
    )
    found = problems(spec, tmp_path)
    assert found == [
        "calloffs/x.yaml:19:13: value.currency: 'EURO' is not an ISO 4217 currency code"
        " (for example EUR, SEK)"
    ]


def test_a_missing_field_is_reported_in_the_child(tmp_path: Path) -> None:
    spec = project(tmp_path, {"calloffs/x.yaml": CALLOFF.replace("  months: 24\n", "")})
    found = problems(spec, tmp_path)
    assert found == ["calloffs/x.yaml:15:1: term.months: required field is missing"]


def test_a_chain_of_three_layers(tmp_path: Path) -> None:
    agency = AGENCY.replace("procuregen: 1\n", "extends: ../base.yaml\n")
    spec = project(tmp_path, {"agencies/exampleby.yaml": agency, "base.yaml": "procuregen: 1\n"})
    spec_file = read_spec(spec)
    assert spec_file.spec.procuregen == 1
    assert [p.name for p in spec_file.layers] == ["x.yaml", "exampleby.yaml", "base.yaml"]
    assert value_sources(spec_file)["procuregen"] == str(tmp_path / "base.yaml")


def test_a_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    agency = AGENCY.replace("procuregen: 1\n", "procuregen: 1\nextends: ../calloffs/x.yaml\n")
    spec = project(tmp_path, {"agencies/exampleby.yaml": agency})
    assert problems(spec, tmp_path) == [
        "agencies/exampleby.yaml:2:10: extends: a cycle: calloffs/x.yaml -> "
        "agencies/exampleby.yaml -> calloffs/x.yaml"
    ]


def test_a_spec_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    spec = project(tmp_path, {"calloffs/x.yaml": CALLOFF.replace("../agencies/exampleby", "x")})
    assert problems(spec, tmp_path) == [
        "calloffs/x.yaml:1:10: extends: a cycle: calloffs/x.yaml -> calloffs/x.yaml"
    ]


def test_extends_may_not_leave_the_project(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_tree(tmp_path, {"outside.yaml": AGENCY})
    spec = project(root, {"calloffs/x.yaml": CALLOFF.replace("agencies/exampleby", "../outside")})
    found = problems(spec, root)
    assert found == [
        f"calloffs/x.yaml:1:10: extends: '../../outside.yaml' is outside the project folder {root}"
    ]


def test_without_configuration_the_project_is_the_spec_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agency.yaml": AGENCY, "specs/x.yaml": "extends: ../agency.yaml\n"})
    with pytest.raises(ProcuregenError) as caught:
        read_spec(tmp_path / "specs" / "x.yaml")
    assert "outside the project folder" in str(caught.value)


def test_extends_an_absolute_path_or_a_list_is_an_error(tmp_path: Path) -> None:
    spec = project(tmp_path, {"calloffs/x.yaml": f"extends: {tmp_path}/agencies/exampleby.yaml\n"})
    assert "must be relative to this spec" in problems(spec, tmp_path)[0]
    spec = project(tmp_path, {"calloffs/x.yaml": "extends: [a.yaml]\n"})
    assert problems(spec, tmp_path) == [
        "calloffs/x.yaml:1:10: extends: the path of one spec file, relative to this one"
    ]


def test_a_missing_parent_is_an_error_at_extends(tmp_path: Path) -> None:
    spec = project(tmp_path, {"calloffs/x.yaml": "extends: nowhere.yaml\n"})
    found = problems(spec, tmp_path)
    assert len(found) == 1
    assert found[0].startswith("calloffs/x.yaml:1:10: extends: cannot read ")


def test_chains_stop_at_the_maximum_depth(tmp_path: Path) -> None:
    files = {f"l{i}.yaml": f"extends: l{i + 1}.yaml\n" for i in range(MAX_DEPTH + 1)}
    write_tree(tmp_path, files)
    with pytest.raises(ProcuregenError) as caught:
        read_spec(tmp_path / "l0.yaml")
    assert f"more than {MAX_DEPTH} layers" in str(caught.value)


def test_merge_keeps_each_location_in_its_file() -> None:
    parent = load_text("p.yaml", "a: {b: 1, c: 2}\nlist: [1, 2]\nkeep: x\n")
    child = load_text("c.yaml", "a: {c: 3}\nlist: [9]\n")
    merged = merge(parent, child)
    assert merged.data == {"a": {"b": "1", "c": "3"}, "list": ["9"], "keep": "x"}
    assert merged.values[("a", "b")] == Loc("p.yaml", 1, 8)
    assert merged.values[("a", "c")] == Loc("c.yaml", 1, 8)
    assert merged.values[("list", 0)] == Loc("c.yaml", 2, 8)
    assert ("list", 1) not in merged.values
    assert merged.keys[("keep",)] == Loc("p.yaml", 3, 1)


def test_a_null_in_the_child_replaces_the_parent_value() -> None:
    parent = load_text("p.yaml", "a: {b: 1}\n")
    child = load_text("c.yaml", "a:\n")
    merged = merge(parent, child)
    assert merged.data == {"a": None}
    assert ("a", "b") not in merged.values
