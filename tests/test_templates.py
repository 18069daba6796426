"""Own templates: init, edit (logo, signature layout), check, draft; unsafe folders refused."""

from __future__ import annotations

import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.shared import Cm

from procuregen.api import build
from procuregen.cli import ProcuregenGroup
from procuregen.commands import template as template_command
from procuregen.drafting import draft_agreement, find_template
from procuregen.errors import RenderError
from procuregen.render.context import render_context
from procuregen.template_check import CONTEXT_NAMES, template_problems
from tests.conftest import Run, write_tree
from tests.libraries import base_library
from tests.specs import VALID

NEW_SIGNATURES_HTML = """\
  <section class="signatures">
    <table class="signature-table">
    {%- for party in signatories %}
      <tr>
        <td>Signed for {{ party.name }}</td>
        <td>Authorised signatory: {{ party.signatory_name }}, {{ party.signatory_title }}</td>
      </tr>
    {%- endfor %}
    </table>
  </section>
"""


@pytest.fixture
def run() -> Callable[..., Run]:
    """`procuregen template ...` through the error handling of the real command group."""
    group = ProcuregenGroup("procuregen")
    group.add_command(template_command.group)

    def invoke(*args: str | Path) -> Run:
        result = CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(tmp_path, {**base_library(), "agency.yaml": VALID})
    return tmp_path


def png(width: int = 12, height: int = 8) -> bytes:
    """A small opaque red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\xc0\x10\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def init(run: Callable[..., Run], folder: Path) -> None:
    result = run("template", "init", folder)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "agreement.css",
        "agreement.docx",
        "agreement.html",
    ]


def customise(folder: Path) -> None:
    """What a team does: its logo on the cover, its own signature layout, in both templates."""
    (folder / "logo.png").write_bytes(png())
    html = (folder / "agreement.html").read_text("utf-8")
    html = html.replace(
        '<section class="cover">\n',
        '<section class="cover">\n    <img class="logo" src="logo.png" alt="Logo">\n',
    )
    start = html.index('  <section class="signatures">')
    end = html.index("</section>", start) + len("</section>\n")
    html = html[:start] + NEW_SIGNATURES_HTML + html[end:]
    (folder / "agreement.html").write_text(html, "utf-8")
    with (folder / "agreement.css").open("a", encoding="utf-8") as css:
        css.write(".logo { width: 30mm; }\n.signature-table td { width: 50%; }\n")

    path = folder / "agreement.docx"
    document = docx.Document(str(path))
    cover = document.paragraphs[0].insert_paragraph_before()
    cover.add_run().add_picture(str(folder / "logo.png"), width=Cm(3))
    paragraphs = document.paragraphs
    start_index = next(
        i for i, p in enumerate(paragraphs) if p.text == "{%p for party in signatories %}"
    )
    old = paragraphs[start_index + 1 : start_index + 6]
    assert old[0].text.startswith('{{ _("For and on behalf of") }}')
    assert paragraphs[start_index + 6].text == "{%p endfor %}"
    for paragraph in old:
        paragraph._p.getparent().remove(paragraph._p)
    table = document.add_table(rows=1, cols=2)
    table.style = document.styles["Table Grid"]
    table.cell(0, 0).text = "Signed for {{ party.name }}"
    table.cell(
        0, 1
    ).text = "Authorised signatory: {{ party.signatory_name }}, {{ party.signatory_title }}"
    paragraphs[start_index]._p.addnext(table._tbl)
    document.save(str(path))


def test_context_names_are_what_render_context_gives(project: Path) -> None:
    _, _, agreement, _ = build(project / "agency.yaml", library_dir=project / "lib")
    assert set(render_context(agreement)) == CONTEXT_NAMES


def test_bundled_template_passes_its_own_check(tmp_path: Path, run: Callable[..., Run]) -> None:
    init(run, tmp_path / "brand")
    result = run("template", "check", tmp_path / "brand")
    assert (result.exit_code, result.stdout) == (0, f"{tmp_path / 'brand'}: ok\n"), result.stderr


def test_init_never_overwrites(tmp_path: Path, run: Callable[..., Run]) -> None:
    folder = tmp_path / "brand"
    init(run, folder)
    (folder / "agreement.css").write_text("/* ours */\n", "utf-8")
    result = run("template", "init", folder)
    assert result.exit_code == 1
    assert f"{folder / 'agreement.css'}: already exists; not overwritten" in result.stderr
    assert (folder / "agreement.css").read_text("utf-8") == "/* ours */\n"


def test_a_custom_template_with_logo_and_signature_table_drafts(
    project: Path, run: Callable[..., Run]
) -> None:
    folder = project / "templates" / "brand"
    init(run, folder)
    customise(folder)
    result = run("template", "check", folder)
    assert result.exit_code == 0, result.stderr

    spec_file, _, agreement, _ = build(project / "agency.yaml", library_dir=project / "lib")
    drafted = draft_agreement(agreement, spec_file.sha256, ("docx", "pdf"), template=folder)
    assert drafted.manifest["template"]["id"] == "brand"
    # The same folder found by name, as output.template names it through the configuration.
    assert find_template("brand", search=[project / "templates"]).root == folder
    assert find_template("brand", search={"brand": folder}).root == folder

    docx_path = project / "agency.docx"
    docx_path.write_bytes(drafted.outputs["docx"])
    with zipfile.ZipFile(docx_path) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert media and package.read(media[0]) == png()
    document = docx.Document(str(docx_path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for line in (
        "Signed for Exampleby Municipality",
        "Signed for Supplier AB",
    ):
        assert line in cells
    assert any(c.startswith("Authorised signatory: ") for c in cells)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "For and on behalf of" not in body

    pdf_path = project / "agency.pdf"
    pdf_path.write_bytes(drafted.outputs["pdf"])
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Signed for Exampleby Municipality" in text
    assert "Authorised signatory:" in text
    assert "For and on behalf of" not in text
    listing = subprocess.run(
        ["pdfimages", "-f", "1", "-l", "1", "-list", str(pdf_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]  # two header lines
    assert len(listing) == 1 and " 12 " in listing[0] and " 8 " in listing[0], listing


def copy_with_part(source: Path, target: Path, replace: dict[str, bytes]) -> None:
    """`source` zip to `target`, entries in `replace` swapped (or added)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in replace:
                new.writestr(info, old.read(info.filename))
        for name, data in replace.items():
            new.writestr(name, data)


def broken(run: Callable[..., Run], tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    init(run, folder)
    return folder


def refused(run: Callable[..., Run], folder: Path) -> list[str]:
    result = run("template", "check", folder)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    with pytest.raises(RenderError) as raised:
        find_template(folder)
    assert [str(p) for p in raised.value.problems] == result.stderr.splitlines()
    return result.stderr.splitlines()


def test_a_doctype_in_the_docx_is_refused_naming_the_file(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    original = tmp_path / "original.docx"
    path.rename(original)
    with zipfile.ZipFile(original) as package:
        xml = package.read("word/document.xml")
    declaration, rest = xml.split(b"?>", 1)
    evil = declaration + b'?>\n<!DOCTYPE w:document [<!ENTITY lol "lol">]>' + rest
    copy_with_part(original, path, {"word/document.xml": evil})
    assert refused(run, folder) == [
        f"{path}: word/document.xml: a DOCTYPE or ENTITY declaration is refused"
        " (entities can expand or fetch)"
    ]


def test_a_zip_bomb_is_refused_quickly_without_inflating_it(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    original = tmp_path / "original.docx"
    path.rename(original)
    copy_with_part(original, path, {})
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as package,
        package.open("word/media/zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(200):
            entry.write(bytes(1024 * 1024))
    assert path.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    problems = refused(run, folder)
    assert time.monotonic() - started < 2.0
    assert f"{path}: 200.8 MB uncompressed in all; at most 200.0 MB" in problems
    (entry,) = [p for p in problems if "zeros.bin" in p]
    assert entry.startswith(f"{path}: word/media/zeros.bin: 200.0 MB uncompressed;")
    assert "zip bomb" in entry


def test_an_external_relationship_is_refused(tmp_path: Path, run: Callable[..., Run]) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE

    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    document = docx.Document(str(path))
    document.part.relate_to("http://tracker.example/pixel.png", RELATIONSHIP_TYPE.IMAGE, True)
    document.save(str(path))
    assert refused(run, folder) == [
        f"{path}: word/_rels/document.xml.rels: external relationship to "
        "'http://tracker.example/pixel.png' refused (a template embeds what it shows)"
    ]


@pytest.mark.parametrize(
    ("css", "reason"),
    [
        (
            "@font-face { font-family: X; src: url(http://fonts.example/x.woff); }",
            "the http: scheme is refused; only files of the folder or data: URLs",
        ),
        ('@import "https://cdn.example/a.css";', "the https: scheme is refused"),
        ("h1 { background: url('../secret.png'); }", "leaves the template folder"),
        ("h1 { background: url(/etc/passwd); }", "an absolute path"),
        ("h1 { background: url(file:///etc/passwd); }", "the file: scheme is refused"),
    ],
)
def test_css_fetching_outside_the_folder_is_refused(
    tmp_path: Path, run: Callable[..., Run], css: str, reason: str
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.css"
    lines = path.read_text("utf-8").count("\n")
    with path.open("a", encoding="utf-8") as file:
        file.write(css + "\n")
    (problem,) = refused(run, folder)
    assert problem.startswith(f"{path}:{lines + 1}: refers to ")
    assert reason in problem


def test_css_data_urls_and_files_of_the_folder_pass(tmp_path: Path) -> None:
    folder = tmp_path / "ok"
    write_tree(folder, {"logo.png": png()})
    from procuregen.template_check import init_template

    init_template(folder)
    with (folder / "agreement.css").open("a", encoding="utf-8") as file:
        file.write("h1 { background: url(logo.png), url('data:image/png;base64,AAAA'); }\n")
    assert template_problems(folder) == []


def test_html_images_and_links_outside_the_folder_are_refused(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.html"
    html = path.read_text("utf-8")
    html = html.replace(
        '<link rel="stylesheet" href="agreement.css">',
        '<link rel="stylesheet" href="agreement.css">\n'
        '  <link rel="stylesheet" href="//cdn.example/x.css">\n'
        '  <img src="https://tracker.example/p.png">',
    )
    path.write_text(html, "utf-8")
    problems = refused(run, folder)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "refers to '//cdn.example/x.css': another host is refused;"
        " only files of the folder or data: URLs",
        "refers to 'https://tracker.example/p.png': the https: scheme is refused;"
        " only files of the folder or data: URLs",
    ]


def test_unknown_placeholders_are_refused_in_html_and_docx(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    html = folder / "agreement.html"
    text = html.read_text("utf-8").replace(
        "<title>{{ title }}</title>", "<title>{{ title }} {{ agency_logo }}</title>"
    )
    html.write_text(text, "utf-8")
    line = text[: text.index("agency_logo")].count("\n") + 1
    document = docx.Document(str(folder / "agreement.docx"))
    document.paragraphs[0].text = "{{ titel }}"
    document.add_paragraph("{% for party in parties %}{{ party.fax }}{% endfor %}")
    document.save(str(folder / "agreement.docx"))
    assert refused(run, folder) == [
        f"{folder / 'agreement.docx'}: word/document.xml: party.fax is not a party field",
        f"{folder / 'agreement.docx'}: word/document.xml: unknown placeholder name 'titel'",
        f"{html}:{line}: unknown placeholder name 'agency_logo'",
    ]


def test_missing_parts_are_named(tmp_path: Path, run: Callable[..., Run]) -> None:
    folder = broken(run, tmp_path)
    (folder / "agreement.css").unlink()
    text = (folder / "agreement.html").read_text("utf-8")
    line = text[: text.index('href="agreement.css"')].count("\n") + 1
    assert refused(run, folder) == [
        f"{folder}: template folder lacks agreement.css",
        f"{folder / 'agreement.html'}:{line}: refers to 'agreement.css':"
        " no such file in the template folder",
    ]


def test_a_template_without_the_body_or_a_style_is_refused(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    document = docx.Document(str(path))
    for paragraph in document.paragraphs:
        if paragraph.text == "{{p body }}":
            paragraph._p.getparent().remove(paragraph._p)
    document.save(str(path))
    (problem,) = refused(run, folder)
    assert problem.startswith(f"{path}: word/document.xml: never prints {{{{p body }}}}")


def test_draft_refuses_an_unsafe_template_before_rendering(
    project: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, project)
    with (folder / "agreement.css").open("a", encoding="utf-8") as file:
        file.write("body { background: url(http://example.com/x.png); }\n")
    spec_file, _, agreement, _ = build(project / "agency.yaml", library_dir=project / "lib")
    with pytest.raises(RenderError) as raised:
        draft_agreement(agreement, spec_file.sha256, ("docx",), template=folder)
    assert str(folder / "agreement.css") in str(raised.value)


def test_an_unknown_template_name_lists_where_it_was_searched(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as raised:
        find_template("vaxby", search=[tmp_path])
    assert "template 'vaxby' not found (searched " in str(raised.value)
    assert str(tmp_path / "vaxby") in str(raised.value)


def test_a_part_compressed_beyond_the_ratio_is_refused(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/padding.bin", bytes(8 * 1024 * 1024))
    (problem,) = refused(run, folder)
    assert problem.startswith(f"{path}: word/media/padding.bin: compressed ")
    assert problem.endswith("to 1; at most 100 to 1 (a zip bomb?)")


def test_quotes_saved_as_entities_and_capitalised_styles_are_explained(
    tmp_path: Path, run: Callable[..., Run]
) -> None:
    """What LibreOffice does to the template when it saves it."""
    folder = broken(run, tmp_path)
    path = folder / "agreement.docx"
    original = tmp_path / "original.docx"
    path.rename(original)
    with zipfile.ZipFile(original) as package:
        xml = package.read("word/document.xml")
        styles = package.read("word/styles.xml")
    xml = xml.replace(b'_("Reference")', b"_(&quot;Reference&quot;)")
    styles = styles.replace(b'w:val="heading 1"', b'w:val="Heading 1"')
    copy_with_part(original, path, {"word/document.xml": xml, "word/styles.xml": styles})
    assert refused(run, folder) == [
        f"{path}: word/document.xml: a tag holds a quote saved as &quot; or &apos;"
        " (LibreOffice saves quotes so), which the renderer cannot read;"
        " edit the tags in Word (docs/templates.md)",
        f"{path}: word/styles.xml: lacks the paragraph style 'Heading 1' (it is saved as"
        " 'Heading 1', as LibreOffice saves it; the renderer looks for Word's name 'heading 1')",
    ]
