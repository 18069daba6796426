"""`verify` trusts nothing: documents forged from a real drafted DOCX or PDF end in a
located error and exit 1, quickly and in little memory, and never load a folder the
document names. Each test builds its forgery the way an attacker would: by editing
the manifest or the spec a real document carries, or the zip around it."""

from __future__ import annotations

import io
import json
import random
import re
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, Run

EXAMPLE = ROOT / "examples" / "small-agency-support.yaml"
NS = "urn:procuregen:manifest:1"
PART = "customXml/procuregen.xml"


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small agency example drafted once, as DOCX and as PDF."""
    from click.testing import CliRunner

    from procuregen.cli import cli as procuregen_cli

    out = tmp_path_factory.mktemp("drafted")
    result = CliRunner().invoke(
        procuregen_cli,
        ["draft", str(EXAMPLE), "--format", "docx", "--format", "pdf", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    return {kind: out / f"small-agency-support.{kind}" for kind in ("docx", "pdf")}


def refused(result: Run) -> list[str]:
    """The lines of a refusal: exit 1, nothing on stdout, no traceback."""
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


# ------------------------------------------------------------------ forging a DOCX


def docx_embedded(docx: Path) -> tuple[dict[str, Any], str]:
    """The manifest and the resolved spec (text) a drafted DOCX carries."""
    from lxml import etree

    with zipfile.ZipFile(docx) as package:
        root = etree.fromstring(package.read(PART))
    return json.loads(root.findtext(f"{{{NS}}}manifest")), root.findtext(f"{{{NS}}}spec")


def procuregen_part(manifest: bytes, spec: bytes) -> bytes:
    from lxml import etree

    root = etree.Element(f"{{{NS}}}procuregen", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}manifest").text = manifest.decode("utf-8")
    etree.SubElement(root, f"{{{NS}}}spec").text = spec.decode("utf-8")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def rezip(
    source: Path,
    target: Path,
    replace: dict[str, bytes] | None = None,
    before_part: dict[str, bytes] | None = None,
) -> Path:
    """`source` with entries replaced, and entries inserted before procuregen's part (a
    reader that looks at every custom XML part meets them first)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename == PART:
                for name, data in (before_part or {}).items():
                    new.writestr(name, data, zipfile.ZIP_DEFLATED, compresslevel=9)
            data = (replace or {}).get(info.filename, old.read(info.filename))
            new.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    return target


def forged_docx(docx: Path, target: Path, edit_manifest: Callable[[dict[str, Any]], Any]) -> Path:
    manifest, spec = docx_embedded(docx)
    edit_manifest(manifest)
    part = procuregen_part(json.dumps(manifest).encode(), spec.encode("utf-8"))
    return rezip(docx, target, {PART: part})


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size stated as `size` in its local header and
    its central directory entry: a lying header."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        position = out.find(signature)
        while position >= 0:
            if out[position + name_at : position + name_at + len(encoded)] == encoded:
                out[position + size_at : position + size_at + 4] = size.to_bytes(4, "little")
                break
            position = out.find(signature, position + 4)
        assert position >= 0, f"{name} not found after {signature!r}"
    return bytes(out)


# ------------------------------------------------------------------ forging a PDF


def forged_pdf(pdf: Path, target: Path, files: dict[str, bytes]) -> Path:
    """The PDF rewritten whole by pypdf, with the named attachments' contents replaced."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=pdf)
    replaced = set()
    for entry in writer.attachment_list:
        if entry.name in files:
            entry.content = files[entry.name]
            replaced.add(entry.name)
    assert replaced == set(files)
    writer.write(target)
    return target


def pdf_attachment(pdf: Path, name: str) -> bytes:
    from pypdf import PdfReader

    (content,) = PdfReader(pdf).attachments[name]
    return bytes(content)


# ------------------------------------------------------------------ the manifest


@pytest.mark.parametrize(
    ("kind", "library_id"),
    [("pdf", "/tmp/forged-library"), ("docx", "../.."), ("docx", "oss-framework/../..")],
)
def test_a_library_id_that_is_a_path_is_refused_and_never_loaded(
    drafted: dict[str, Path],
    tmp_path: Path,
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    library_id: str,
) -> None:
    import procuregen.verify

    loaded: list[Path] = []
    monkeypatch.setattr(procuregen.verify, "load_library", lambda root: loaded.append(root))
    forged = tmp_path / f"forged.{kind}"
    if kind == "pdf":
        manifest = json.loads(pdf_attachment(drafted["pdf"], "manifest.json"))
        manifest["library"]["id"] = library_id
        forged_pdf(drafted["pdf"], forged, {"manifest.json": json.dumps(manifest).encode()})
    else:
        forged_docx(drafted["docx"], forged, lambda m: m["library"].update(id=library_id))
    # With --library too: the id is never joined to a folder.
    (tmp_path / "libraries").mkdir()
    for args in ([forged], [forged, "--library", tmp_path / "libraries"]):
        assert refused(cli("verify", *args)) == [
            f"{forged}: manifest.library.id: {library_id!r} is not a library id (lowercase "
            "letters, digits and -, at most 64); a document never names a folder"
        ]
    assert loaded == []


def test_missing_keys_are_each_named_with_their_json_path(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        del manifest["template"], manifest["library"]["version"], manifest["clauses"][2]["sha256"]

    forged = forged_docx(drafted["docx"], tmp_path / "forged.docx", edit)
    assert sorted(refused(cli("verify", forged))) == [
        f"{forged}: manifest.clauses[2].sha256: required field is missing",
        f"{forged}: manifest.library.version: required field is missing",
        f"{forged}: manifest.template: required field is missing",
    ]


def test_wrong_types_are_each_named_with_their_json_path(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["clauses"][0]["id"] = ["parties"]  # unhashable: a TypeError on main
        manifest["clauses"][1]["sha256"] = 5
        manifest["spec"] = "spec.yaml"
        manifest["manifest_format"] = "1"

    forged = forged_docx(drafted["docx"], tmp_path / "forged.docx", edit)
    assert sorted(refused(cli("verify", forged))) == [
        f"{forged}: manifest.clauses[0].id: Input should be a valid string",
        f"{forged}: manifest.clauses[1].sha256: Input should be a valid string",
        f"{forged}: manifest.manifest_format: Input should be 1",
        f"{forged}: manifest.spec: Input should be a valid dictionary or instance of SpecEntry",
    ]


# Over the size limit, and random enough that it is no zip bomb.
BIG_MANIFEST = json.dumps(random.Random(13).randbytes(1_000_000).hex()).encode()


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"[1, 2]", "manifest: Input should be a valid dictionary or instance of EmbeddedManifest"),
        (b"{not json", "manifest: not JSON: Expecting property name enclosed in double quotes"),
        (b'{"library": {}, "library": {}}', "manifest: not JSON: the key 'library' is given twice"),
        (b"[" * 100_000 + b"]" * 100_000, "manifest: nested too deeply"),
        (BIG_MANIFEST, f"manifest: {len(BIG_MANIFEST)} bytes; at most 2000000"),
    ],
)
def test_a_manifest_that_is_not_an_object_of_json_is_named(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run], manifest: bytes, message: str
) -> None:
    _, spec = docx_embedded(drafted["docx"])
    part = procuregen_part(manifest, spec.encode("utf-8"))
    forged = rezip(drafted["docx"], tmp_path / "forged.docx", {PART: part})
    (line,) = refused(cli("verify", forged))
    assert line.startswith(f"{forged}: {message}")


# ------------------------------------------------------------------ the embedded spec


def spec_breaking_the_price_rule(docx: Path) -> tuple[str, bytes, str]:
    """A document drafted, as a forger's tool would, from a spec whose price schedule
    totals more than the contract value: every field valid, one cross-field rule broken.
    Returns the spec text and the DOCX bytes, and the spec's location of value.items."""
    from procuregen.assemble import assemble
    from procuregen.drafting import draft_agreement
    from procuregen.library import library_path, load_library
    from procuregen.manifest import resolved_spec_json
    from procuregen.spec import Spec

    manifest, spec_text = docx_embedded(docx)
    data = json.loads(spec_text)
    assert data["value"]["items"][0]["unit_price"] == "30000"
    data["value"]["items"][0]["unit_price"] = "90000"
    spec = Spec.model_validate(data)  # the fields alone, as main read an embedded spec
    agreement, _ = assemble(spec, load_library(library_path("oss-framework", None)))
    forged = draft_agreement(agreement, manifest["spec"]["sha256"], ["docx"]).outputs["docx"]
    text = resolved_spec_json(spec).decode("utf-8")
    (line,) = [n for n, t in enumerate(text.splitlines(), 1) if t.endswith('"items": [')]
    column = text.splitlines()[line - 1].index("[") + 1
    return text, forged, f"{line}:{column}"


def test_a_spec_that_breaks_a_cross_field_rule_does_not_verify(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    text, forged_bytes, where = spec_breaking_the_price_rule(drafted["docx"])
    forged = tmp_path / "forged.docx"
    forged.write_bytes(forged_bytes)
    rule = "value.items: the price schedule totals 1080000, more than value.amount 360000"
    assert refused(cli("verify", forged)) == [f"{forged}:spec.resolved.json:{where}: {rule}"]
    # The very message `check` gives for the same spec in a file.
    spec_file = tmp_path / "spec.resolved.json"
    spec_file.write_text(text, encoding="utf-8")
    assert f"{spec_file}:{where}: {rule}" in refused(cli("check", spec_file))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # 110,000 CPV codes in 0.9 MB: under the byte limit, over the node limit.
        (
            lambda data: {**data, "agreement": {**data["agreement"], "cpv": ["1"] * 110_000}},
            "too many YAML nodes (more than 100000)",
        ),
        (
            lambda data: {**data, "clauses": {**data["clauses"], "allow": _nested(40)}},
            "nested deeper than 32 levels",
        ),
    ],
)
def test_an_embedded_spec_is_held_to_a_spec_files_size_limits(
    drafted: dict[str, Path],
    tmp_path: Path,
    cli: Callable[..., Run],
    spec: Callable[[dict[str, Any]], dict[str, Any]],
    message: str,
) -> None:
    manifest, text = docx_embedded(drafted["docx"])
    forged_spec = json.dumps(spec(json.loads(text)), indent=1).encode()
    assert len(forged_spec) < 1_000_000
    part = procuregen_part(json.dumps(manifest).encode(), forged_spec)
    forged = rezip(drafted["docx"], tmp_path / "forged.docx", {PART: part})
    (line,) = refused(cli("verify", forged))
    assert re.fullmatch(
        rf"{re.escape(str(forged))}:spec\.resolved\.json:\d+:\d+: {re.escape(message)}", line
    )


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_pdf_carrying_a_20000_row_spec_is_refused_quickly(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    data = json.loads(pdf_attachment(drafted["pdf"], "spec.resolved.json"))
    (row,) = data["value"]["items"]
    data["value"]["items"] = [row] * 20_000
    rows = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    forged = forged_pdf(drafted["pdf"], tmp_path / "forged.pdf", {"spec.resolved.json": rows})
    started = time.monotonic()
    lines = refused(cli("verify", forged))
    elapsed = time.monotonic() - started
    assert lines == [f"{forged}:spec.resolved.json:1:1: larger than 1000000 bytes"]
    assert elapsed < 10.0, f"took {elapsed:.1f} s"


def test_an_embedded_spec_must_be_json(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    manifest, text = docx_embedded(drafted["docx"])
    yaml_spec = text.replace('"accessibility": "EN-301-549",', "accessibility: EN-301-549,", 1)
    part = procuregen_part(json.dumps(manifest).encode(), yaml_spec.encode())
    forged = rezip(drafted["docx"], tmp_path / "forged.docx", {PART: part})
    assert refused(cli("verify", forged)) == [
        f"{forged}:spec.resolved.json:2:3: not JSON: Expecting property name enclosed in double quotes"
    ]


# ------------------------------------------------------------------ the zip


def bomb(size: int) -> bytes:
    """`size` bytes of well-formed XML that deflate about a thousand to one."""
    return b"<a>" + b" " * (size - 7) + b"</a>"


def test_a_zip_bomb_in_custom_xml_is_refused_from_the_directory(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    forged = rezip(
        drafted["docx"],
        tmp_path / "forged.docx",
        before_part={"customXml/item0.xml": bomb(20 << 20)},
    )
    info = zipfile.ZipFile(forged).getinfo("customXml/item0.xml")
    ratio = info.file_size // info.compress_size
    assert forged.stat().st_size < 200_000 and ratio > 500
    tracemalloc.start()
    started = time.monotonic()
    try:
        lines = refused(cli("verify", forged))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2.0
    assert peak < 8 << 20, f"peak {peak >> 20} MB"  # the bomb inflates to 20 MB
    assert lines == [
        f"{forged}: customXml/item0.xml: compressed {ratio} to 1; at most 100 to 1 (a zip bomb?)"
    ]


def test_a_directory_entry_that_lies_about_its_size_is_caught_while_inflating(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    honest = rezip(
        drafted["docx"],
        tmp_path / "honest.docx",
        before_part={"customXml/item0.xml": bomb(20 << 20)},
    )
    forged = tmp_path / "forged.docx"
    forged.write_bytes(declare_size(honest.read_bytes(), "customXml/item0.xml", 1000))
    assert zipfile.ZipFile(forged).getinfo("customXml/item0.xml").file_size == 1000
    tracemalloc.start()
    try:
        (line,) = refused(cli("verify", forged))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak >> 20} MB"
    assert (
        line
        == f"{forged}: customXml/item0.xml: cannot be read: Bad CRC-32 for file 'customXml/item0.xml'"
    )


def test_too_many_entries_are_refused_before_any_is_read(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    padding = {f"customXml/pad{n}.xml": b"<a/>" for n in range(1000)}
    forged = rezip(drafted["docx"], tmp_path / "forged.docx", before_part=padding)
    count = len(zipfile.ZipFile(forged).infolist())
    assert refused(cli("verify", forged)) == [
        f"{forged}: has {count} zip entries; at most 1000 are allowed"
    ]


def test_a_directory_too_large_for_its_entries_is_refused_before_zipfile_reads_it(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    # 20,000 empty entries in a 2 MB file: zipfile would build an object for each.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for n in range(20_000):
            package.writestr(f"customXml/pad{n:05}.xml", b"")
    forged = tmp_path / "forged.docx"
    forged.write_bytes(buffer.getvalue())
    (line,) = refused(cli("verify", forged))
    assert re.fullmatch(
        rf"{re.escape(str(forged))}: a zip directory of \d\.\d MB; at most 1\.0 MB "
        r"\(more than 1000 entries\?\)",
        line,
    ), line


def test_two_parts_of_one_name_are_refused(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    # Which of the two a word processor shows, and which a reader compares, is anyone's guess.
    forged = rezip(
        drafted["docx"], tmp_path / "forged.docx", before_part={"Word/Document.xml": b"<a/>"}
    )
    assert refused(cli("verify", forged)) == [
        f"{forged}: Word/Document.xml: a second zip entry named 'word/document.xml'"
    ]


def test_a_part_compressed_with_bzip2_is_refused_before_it_is_inflated(
    drafted: dict[str, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    # zipfile inflates bzip2 a whole chunk at a time: 4 KB can give hundreds of MB.
    forged = rezip(drafted["docx"], tmp_path / "forged.docx")
    with zipfile.ZipFile(forged, "a") as package:
        package.writestr("customXml/item9.xml", b"<a/>", zipfile.ZIP_BZIP2)
    assert refused(cli("verify", forged)) == [
        f"{forged}: customXml/item9.xml: compression method 12 refused; a DOCX is stored or deflated"
    ]


# ------------------------------------------------------------------ the PDF around it


def test_an_offset_of_thousands_of_digits_is_not_a_traceback(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(b"%PDF-1.7\nstartxref\n" + b"9" * 5000 + b"\n%%EOF\n")
    (line,) = refused(cli("verify", forged))
    assert line.startswith(f"{forged}: cannot read the document (")


def test_ten_thousand_revisions_are_read_in_linear_time() -> None:
    from procuregen.revisions import revisions

    data = bytearray(b"%PDF-1.7\n")
    previous = ""
    for _ in range(10_000):
        offset = len(data)
        data += f"xref\n0 0\ntrailer\n<< {previous}>>\nstartxref\n{offset}\n%%EOF\n".encode()
        previous = f"/Prev {offset} "
    started = time.monotonic()
    found = revisions(bytes(data))
    elapsed = time.monotonic() - started
    assert len(found) == 10_000 and found[-1].end == len(data)
    assert elapsed < 1.5, f"took {elapsed:.2f} s"


# ------------------------------------------------------------------ what drafts still verifies


def test_every_example_spec_reads_back_from_its_json_unchanged() -> None:
    from procuregen.manifest import resolved_spec_json
    from procuregen.spec import read_spec
    from procuregen.spec.load import read_resolved_spec
    from tests.conftest import EXAMPLES

    for example in EXAMPLES:
        spec = read_spec(example).spec
        resolved = read_resolved_spec("x.json", resolved_spec_json(spec), default_name="x")
        assert resolved == spec, example.name


def test_every_manifest_procuregen_builds_passes_its_schema() -> None:
    from procuregen.api import build
    from procuregen.drafting import find_template
    from procuregen.errors import Location
    from procuregen.manifest import build_manifest, manifest_json, read_manifest

    for example in ("region-health-records", "framework-agreement"):
        agreement = build(ROOT / "examples" / f"{example}.yaml")[2]
        built = build_manifest(agreement, "0" * 64, find_template("default"))
        assert read_manifest(manifest_json(built), Location("x")) == json.loads(
            manifest_json(built)
        )


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_reads_as_yaml_giving_every_string_back(value: Any) -> None:
    """Whatever text JSON carries, the YAML loader gives it back as JSON does, so an
    embedded spec is read by the same loader as a spec file without changing a value;
    text the text policy refuses is refused as in a spec file, each character located."""
    from procuregen.errors import SpecError
    from procuregen.spec.load import load_json

    text = json.dumps({"v": value}, ensure_ascii=False, indent=2)
    if not _holds_refused_text(value):
        assert load_json("x.json", text.encode("utf-8")).data == {"v": value}
        return
    with pytest.raises(SpecError) as refused:
        load_json("x.json", text.encode("utf-8"))
    for problem in refused.value.problems:
        assert re.fullmatch(
            r"x\.json:\d+:\d+: .*U\+[0-9A-F]{4,6}.* is not allowed \(.*\)", str(problem)
        )


def _holds_refused_text(value: Any) -> bool:
    from procuregen.textpolicy import LINE, TEXT, refusals

    if isinstance(value, str):
        return bool(refusals(value, TEXT))
    if isinstance(value, list):
        return any(_holds_refused_text(item) for item in value)
    if isinstance(value, dict):
        return any(refusals(key, LINE) or _holds_refused_text(v) for key, v in value.items())
    return False
