"""Fonts: no blank glyphs. A PDF prints every character with a font the template names, or
drafting stops with a located error (docs/security.md, "Fonts: no blank glyphs")."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from procuregen.cli import cli as procuregen_cli
from procuregen.errors import RenderError
from procuregen.resources import bundled_root
from tests.conftest import ROOT, Run, write_tree
from tests.libraries import base_library
from tests.specs import VALID, edit

# A supplier's name in each script the bundled template must print.
NAMES = {
    "Japanese": "山田ソフトウェア株式会社",
    "Hindi": "भारत सॉफ़्टवेयर सेवाएँ",
    "Thai": "บริษัท ซอฟต์แวร์ไทย จำกัด",
    "Korean": "한국소프트웨어 주식회사",
    "Arabic": "شركة البرمجيات العربية",
    "Hebrew": "תוכנה ישראלית בע״מ",
    "Greek": "Λογισμικό Ελλάδος Α.Ε.",  # noqa: RUF001 - Greek letters, as meant
    "Cyrillic": "ООО «Русский софт»",  # noqa: RUF001 - Cyrillic letters, as meant
}
# The bundled template's font-family, as agreement.css names it (generic serif aside).
DECLARED = (
    "Liberation Serif",
    "DejaVu Serif",
    "Noto Serif Hebrew",
    "Noto Naskh Arabic",
    "Noto Serif Devanagari",
    "Noto Serif Thai",
    "Noto Serif CJK JP",
)
SCRIPT_FONTS = (
    "Noto Serif CJK JP",
    "Noto Serif Devanagari",
    "Noto Serif Thai",
    "Noto Naskh Arabic",
)
ETHIOPIC = "የኢትዮጵያ ሶፍትዌር"  # a script the bundled template does not name a font for
# From Debian's fonts-noto-core, which the set-up installs for the bundled template.
ETHIOPIC_FONT = Path("/usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf")


def _key(name: str) -> str:
    return re.sub(r"[\s-]", "", name).casefold()


def _letters(text: str) -> str:
    """Text without spaces and format controls: poppler splits words at combining marks and
    wraps right-to-left runs in embedding controls."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


def _embedded_fonts(pdf: Path) -> set[str]:
    """The embedded fonts' names without subset prefix and style: `noto serif cjk jp bold`."""
    lines = _run("pdffonts", pdf).splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1] for line in lines}


def _family_of(font: str) -> str | None:
    for family in DECLARED:
        if _key(font).startswith(_key(family)):
            return family
    return None


def _draft(*args: str | Path) -> Run:
    """`procuregen draft ARGS...` in-process; an exception escapes, so a traceback fails."""
    argv = ["draft", *map(str, args)]
    result = CliRunner().invoke(procuregen_cli, argv, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def multiscript_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small-agency example with the supplier named in eight scripts, drafted once."""
    folder = tmp_path_factory.mktemp("multiscript")
    spec = (ROOT / "examples" / "small-agency-support.yaml").read_text(encoding="utf-8")
    name = " ".join(NAMES.values())
    spec = spec.replace("name: Wagtail Support Nordic AB", f'name: "{name}"')
    (folder / "multiscript.yaml").write_text(spec, encoding="utf-8")
    result = _draft(folder / "multiscript.yaml", "--format", "pdf", "-o", folder / "out")
    assert result.exit_code == 0, result.stderr
    return folder / "out" / "multiscript.pdf"


def test_a_name_in_eight_scripts_prints_on_the_cover_and_signature_page(
    multiscript_pdf: Path,
) -> None:
    text = _letters(_run("pdftotext", multiscript_pdf, "-"))
    for script, name in NAMES.items():
        assert text.count(_letters(name)) >= 2, script  # the cover and the signature page


def test_the_name_is_drawn_with_the_templates_own_fonts(multiscript_pdf: Path) -> None:
    fonts = _embedded_fonts(multiscript_pdf)
    # No font the machine picked on its own (Noto Sans, DejaVu Sans): the same fonts anywhere.
    assert {font: _family_of(font) for font in fonts if _family_of(font) is None} == {}
    used = {_family_of(font) for font in fonts}
    assert used >= set(SCRIPT_FONTS)


def test_every_word_of_the_name_has_ink_on_the_cover(multiscript_pdf: Path, tmp_path: Path) -> None:
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        _run("pdftotext", "-bbox", "-f", "1", "-l", "1", multiscript_pdf, "-"),
    )
    _run(
        "pdftoppm",
        "-r",
        "72",
        "-gray",
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        multiscript_pdf,
        tmp_path / "cover",
    )
    width, height, pixels = _read_pgm(tmp_path / "cover.pgm")
    for script, name in NAMES.items():
        letters = {c for c in name if c.isalpha() and ord(c) > 0x7F}
        boxes = [w for w in words if letters & set(w[4])]
        assert boxes, f"{script}: not on the cover"
        for *corners, word in boxes:
            x0, y0, x1, y1 = (round(float(v)) for v in corners)
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
            ink = sum(
                1 for y in range(y0, y1) for x in range(x0, x1) if pixels[y * width + x] < 128
            )
            assert ink > 0, f"{script}: {word!r} is blank"


def _read_pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey pixels of a binary PGM, as pdftoppm -gray writes it."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert (magic, depth) == (b"P5", b"255")
    return int(width), int(height), pixels


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(tmp_path, {**base_library(), "agency.yaml": VALID})
    return tmp_path


def test_a_character_no_font_has_is_a_located_error_and_nothing_is_written(
    project: Path,
) -> None:
    spec = project / "agency.yaml"
    spec.write_text(edit("name: Supplier AB", "name: Supplier AB \U0001f9ff \U00013000"))
    result = _draft(spec, "--library", project / "lib", "-o", project / "out")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{spec}:15:9: supplier.name: U+1F9FF NAZAR AMULET (character 13) and U+13000 "
        "EGYPTIAN HIEROGLYPH A001 (character 15) cannot be printed: none of the template's "
        f"fonts has them ({', '.join(DECLARED)}, serif); write them another way, or add a font "
        "that has them to the template's font-family (docs/templates.md, Fonts)"
    ]
    assert not (project / "out").exists() or list((project / "out").iterdir()) == []


def test_a_character_in_a_clause_body_is_located_in_the_clause_file(project: Path) -> None:
    payment = project / "lib" / "commercial" / "payment.md"
    text = payment.read_text(encoding="utf-8")
    body = "The [[Buyer]] pays"
    payment.write_text(text.replace(body, "\U00013000 " + body), encoding="utf-8")
    line = text[: text.index(body)].count("\n") + 1
    result = _draft(project / "agency.yaml", "--library", project / "lib", "-o", project / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{payment}:{line}:1: clause payment: U+13000 EGYPTIAN HIEROGLYPH A001 cannot be printed"
    )
    # Written as an HTML entity it is no longer in the file as such: the clause is named.
    payment.write_text(text.replace(body, "&#x13000; " + body), encoding="utf-8")
    result = _draft(project / "agency.yaml", "--library", project / "lib", "-o", project / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{payment}: clause payment: U+13000 EGYPTIAN HIEROGLYPH")
    assert not (project / "out").exists() or list((project / "out").iterdir()) == []


def test_a_font_file_in_the_template_folder_prints_what_the_bundled_fonts_cannot(
    project: Path,
) -> None:
    spec = project / "agency.yaml"
    spec.write_text(edit("name: Supplier AB", f"name: {ETHIOPIC}"), encoding="utf-8")
    lib, out = project / "lib", project / "out"
    refused = _draft(spec, "--library", lib, "-o", out, "--format", "pdf")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"{spec}:15:9: supplier.name: U+12E8 ETHIOPIC SYLLABLE YA (character 1), U+12A2 "
        "ETHIOPIC SYLLABLE GLOTTAL I (character 2), "
    )
    brand = project / "brand"
    shutil.copytree(bundled_root("templates") / "default", brand)
    (brand / "fonts").mkdir()
    shutil.copy(ETHIOPIC_FONT, brand / "fonts" / "ethiopic.ttf")
    css = (brand / "agreement.css").read_text(encoding="utf-8")
    css = css.replace(
        '"Noto Serif CJK JP", serif;', '"Noto Serif CJK JP", "Brand Ethiopic", serif;'
    )
    css += '@font-face { font-family: "Brand Ethiopic"; src: url(fonts/ethiopic.ttf); }\n'
    (brand / "agreement.css").write_text(css, encoding="utf-8")
    drafted = _draft(spec, "--library", lib, "-o", out, "--format", "pdf", "--template", brand)
    assert drafted.exit_code == 0, drafted.stderr
    assert _letters(ETHIOPIC) in _letters(_run("pdftotext", out / "agency.pdf", "-"))
    fonts = _embedded_fonts(out / "agency.pdf")
    assert "Brand-Ethiopic" in fonts, fonts  # WeasyPrint names the font by its @font-face
    # A font is embedded only where it is used: a Latin and Ethiopic agreement carries no
    # CJK, Devanagari, Thai or Arabic font.
    assert not {_family_of(f) for f in fonts} & set(SCRIPT_FONTS), fonts


def test_a_font_the_machine_lacks_and_text_the_css_prints_are_named(tmp_path: Path) -> None:
    from procuregen.render.glyphs import check_glyphs

    root = write_tree(
        tmp_path,
        {"agreement.css": 'html { font: 11pt/1.3 "Noto Serif Klingon", "Liberation Serif"; }'},
    )
    html = (
        '<html><head><link rel="stylesheet" href="agreement.css">'
        '<style>@page { @top-right { content: "\\1F9FF  draft"; } }</style></head>'
        "<body><p>Plain Latin text.</p></body></html>"
    )
    with pytest.raises(RenderError) as raised:
        check_glyphs(html, root)
    assert [str(p) for p in raised.value.problems] == [
        f"{root / 'agreement.html'}: template: U+1F9FF NAZAR AMULET cannot be printed: none of "
        "the template's fonts has it (Noto Serif Klingon, Liberation Serif); write it another "
        "way, or add a font that has it to the template's font-family (docs/templates.md, "
        "Fonts); not installed: Noto Serif Klingon (the bundled template's fonts are Debian's "
        "fonts-liberation2, fonts-dejavu-core, fonts-noto-core and fonts-noto-cjk)"
    ]
    check_glyphs(html.replace("\\1F9FF ", "Page"), root)  # the same page without it passes
