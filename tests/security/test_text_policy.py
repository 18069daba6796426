"""Text policy: one decision on which code points text may hold, applied in every place.

Each refused character is tried in each place user text comes from (a spec value written
as itself or as an escape, a key, a clause body written as itself or as a character
reference, front matter, a translation, a glossary, a template) and must end with exit
code 1 and a located message naming the character, with nothing drafted. Only `check`,
`clauses lint` and `template check` run, and `draft` where it stops before rendering.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run, write_tree
from tests.libraries import LIBRARY_YAML, base_library, clause
from tests.specs import VALID, edit

# (character, how a message names it): one or more of each kind the policy refuses.
CHARACTERS = [
    ("\u061c", "bidirectional control U+061C ARABIC LETTER MARK"),
    ("\u200e", "bidirectional control U+200E LEFT-TO-RIGHT MARK"),
    ("\u200f", "bidirectional control U+200F RIGHT-TO-LEFT MARK"),
    ("\u202e", "bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2067", "bidirectional control U+2067 RIGHT-TO-LEFT ISOLATE"),
    ("\x01", "control character U+0001"),
    ("\x85", "control character U+0085"),
    ("\u200b", "invisible format character U+200B ZERO WIDTH SPACE"),
    ("\u00ad", "invisible format character U+00AD SOFT HYPHEN"),
    ("\U000e0041", "invisible format character U+E0041 TAG LATIN CAPITAL LETTER A"),
    ("\u3164", "blank character U+3164 HANGUL FILLER"),
    ("\u115f", "blank character U+115F HANGUL CHOSEONG FILLER"),
    ("\u0336", "combining overlay U+0336 COMBINING LONG STROKE OVERLAY"),
    ("\u20d2", "combining overlay U+20D2 COMBINING LONG VERTICAL LINE OVERLAY"),
    ("\u20e0", "combining overlay U+20E0 COMBINING ENCLOSING CIRCLE BACKSLASH"),
    ("\u2028", "line or paragraph separator U+2028 LINE SEPARATOR"),
    ("\ue000", "private-use character U+E000"),
    ("\u0378", "unassigned code point U+0378"),
    ("\ufffe", "noncharacter U+FFFE"),
    ("\uffff", "noncharacter U+FFFF"),
    ("\ufdd0", "noncharacter U+FDD0"),
    ("\U0010fffe", "noncharacter U+10FFFE"),
]
each_character = pytest.mark.parametrize(
    ("char", "named"), CHARACTERS, ids=[f"U+{ord(c):04X}" for c, _ in CHARACTERS]
)
# Where a check costs more (a template folder, a bilingual library): the first of each kind.
KINDS = list(reversed({n.split(" U+")[0]: (c, n) for c, n in reversed(CHARACTERS)}.values()))
each_kind = pytest.mark.parametrize(
    ("char", "named"), KINDS, ids=[f"U+{ord(c):04X}" for c, _ in KINDS]
)


def escape(char: str) -> str:
    """The character as a YAML, Jinja or Python escape: `\\u202e`, `\\U000e0041`."""
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def place(path: Path, needle: str) -> str:
    """`path:line:col` of the first `needle` in the file, counted independently of procuregen."""
    text = path.read_text(encoding="utf-8")
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    return f"{path}:{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def written(folder: Path) -> list[Path]:
    """Every file under `folder`, hidden temporary files included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fixture library in lib/ and a valid spec.yaml that assembles from it."""
    write_tree(tmp_path, {**base_library(), "spec.yaml": VALID})
    return tmp_path


def write_spec(project: Path, text: str) -> Path:
    spec = project / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def check(cli: Callable[..., Run], project: Path) -> Run:
    return cli("check", project / "spec.yaml", "--library", project / "lib")


def lint(cli: Callable[..., Run], project: Path) -> Run:
    return cli("clauses", "lint", "--library", project / "lib")


def draft(cli: Callable[..., Run], project: Path) -> Run:
    return cli(
        "draft",
        project / "spec.yaml",
        "--library",
        project / "lib",
        "-o",
        project / "out",
        "--format",
        "docx",
    )


def assert_refused(result: Run, expected: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert expected in result.stderr.splitlines() or any(
        line.startswith(expected) for line in result.stderr.splitlines()
    ), result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ spec


@each_character
def test_a_spec_value_written_as_itself(
    project: Path, cli: Callable[..., Run], char: str, named: str
) -> None:
    spec = write_spec(project, edit("  title: Case management", f"  title: Case{char} management"))
    where = place(spec, char)
    assert where.endswith(":4:14")
    assert_refused(
        check(cli, project), f"{where}: agreement.title: {named} at offset 4 is not allowed ("
    )


@each_character
def test_a_spec_value_written_as_an_escape_is_refused_before_drafting(
    project: Path, cli: Callable[..., Run], char: str, named: str
) -> None:
    text = edit("  title: Case management", f'  title: "Case{escape(char)} management"')
    spec = write_spec(project, text)
    expected = f"{spec}:4:10: agreement.title: {named} at offset 4 is not allowed ("
    assert_refused(check(cli, project), expected)
    assert_refused(draft(cli, project), expected)
    assert written(project / "out") == []


@each_character
def test_a_spec_key(project: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    spec = write_spec(project, edit("  title: Case management", f"  ti{char}tle: Case management"))
    assert_refused(
        check(cli, project),
        f"{place(spec, char)}: agreement.ti{escape(char)}tle (a key): {named} at offset 2 "
        "is not allowed (",
    )


def test_a_comment_and_every_field_are_reported_in_one_run(
    project: Path, cli: Callable[..., Run]
) -> None:
    text = edit("  title: Case management", "  title: Case\u202emanagement  # \u2066note")
    text = edit("  name: CaseFlow", '  name: "Case\\uFFFEFlow"', text)
    spec = write_spec(project, text)
    result = check(cli, project)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{spec}:4:14: agreement.title: bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE"
        " at offset 4 is not allowed (it reorders what is printed; delete it)",
        f"{spec}:4:29: bidirectional control U+2066 LEFT-TO-RIGHT ISOLATE in the YAML text"
        " is not allowed (it reorders what is printed; delete it)",
        f"{spec}:28:9: software.name: noncharacter U+FFFE at offset 4 is not allowed"
        " (it is not for interchange; delete it)",
    ]


def test_a_spec_that_does_not_come_from_yaml_is_held_to_the_same_policy() -> None:
    """`verify` re-reads a resolved spec as JSON: the model's text types apply the policy."""
    from pydantic import ValidationError

    from procuregen.spec.model import Signatory

    for char, named in CHARACTERS:
        with pytest.raises(ValidationError, match=re.escape(f"{named} at offset 2 is not allowed")):
            Signatory.model_validate({"name": f"Ab{char}c", "title": "Director"})


# ---------------------------------------------------------------------- clause library


def write_clause(project: Path, body: str, **front: object) -> Path:
    path, text = clause("payment", "commercial", body, order=10, **front)
    target = project / path
    target.write_text(text, encoding="utf-8")
    return target


PAYMENT_BODY = (
    "The [[Buyer]] pays {{ value.amount | money }} within {{ value.payment_days }} days{}.\n\n"
    "1. Invoices name the reference {{ agreement.reference }}.\n"
    "2. Each invoice lists the [[Deliverable|Deliverables]].\n"
)


@each_character
def test_a_clause_body_written_as_itself(
    project: Path, cli: Callable[..., Run], char: str, named: str
) -> None:
    path = write_clause(project, PAYMENT_BODY.replace("{}", f" net{char}"))
    expected = f"{place(path, char)}: {named} in the body is not allowed ("
    assert_refused(check(cli, project), expected)
    assert_refused(lint(cli, project), _lint_line(expected))


def _lint_line(message: str) -> str:
    """`file:line:col: message` as lint prints it: `file:line:col: error: message`."""
    location, _, text = message.partition(": ")
    return f"{location}: error: {text}"


@each_character
def test_a_clause_body_written_as_a_character_reference(
    project: Path, cli: Callable[..., Run], char: str, named: str
) -> None:
    reference = f"&#x{ord(char):X};"
    path = write_clause(project, PAYMENT_BODY.replace("{}", f" net{reference}"))
    expected = f"{place(path, reference)}: {named} written as {reference} is not allowed ("
    assert_refused(lint(cli, project), _lint_line(expected))
    assert_refused(check(cli, project), expected)
    assert_refused(draft(cli, project), expected)
    assert written(project / "out") == []


def test_a_character_reference_that_names_no_character_is_refused(
    project: Path, cli: Callable[..., Run]
) -> None:
    path = write_clause(project, PAYMENT_BODY.replace("{}", " &#x110000;"))
    assert_refused(
        check(cli, project),
        f"{place(path, '&#x')}: &#x110000; is not a Unicode character (above U+10FFFF)",
    )


def test_an_escaped_ampersand_is_text_not_a_reference(
    project: Path, cli: Callable[..., Run]
) -> None:
    write_clause(project, PAYMENT_BODY.replace("{}", " (written \\&#x202E;)"))
    assert lint(cli, project).exit_code == 0
    assert check(cli, project).exit_code == 0


def test_a_template_escape_is_refused_in_the_rendered_text(
    project: Path, cli: Callable[..., Run]
) -> None:
    """A body can print what its file may not hold: lint names the literal, check the text."""
    path = write_clause(project, PAYMENT_BODY.replace("{}", ' {{ "\\u202e" }}'))
    named = "bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE"
    line = f"{path}:{place(path, '{{ ').split(':')[-2]}"
    assert_refused(lint(cli, project), f"{line}: error: template: {named} in a template string")
    assert_refused(check(cli, project), f"{line}: {named} in the rendered text is not allowed (")


@each_character
def test_front_matter(project: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    path = write_clause(project, PAYMENT_BODY.replace("{}", ""))
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: Payment", f"title: Pay{char}ment"),
        encoding="utf-8",
    )
    expected = f"{place(path, char)}: title: {named} at offset 3 is not allowed ("
    assert_refused(lint(cli, project), _lint_line(expected))
    assert_refused(check(cli, project), expected)


def test_a_definition_written_with_a_character_reference(
    project: Path, cli: Callable[..., Run]
) -> None:
    path = write_clause(
        project, PAYMENT_BODY.replace("{}", ""), defines={"Net": "means &#xFFFE;net."}
    )
    assert_refused(
        check(cli, project),
        f"{place(path, 'means')}: defines.Net: noncharacter U+FFFE written as &#xFFFE; "
        "is not allowed (",
    )


def bilingual(project: Path) -> None:
    """The fixture library in English and Swedish, with a glossary and one translation."""
    (project / "lib" / "library.yaml").write_text(
        LIBRARY_YAML.replace("languages: [en]", "languages: [en, sv]"), encoding="utf-8"
    )
    write_tree(
        project,
        {
            "lib/glossary.sv.yaml": "Buyer: Köparen\nSupplier: Leverantören\n"
            "Deliverable: Leverans\nPersonal Data: Personuppgifter\n",
            "lib/commercial/payment.sv.md": "---\ntranslates: 1.0.0\ntitle: Betalning\n---\n"
            "[[Köparen]] betalar {{ value.amount | money }} netto.\n",
        },
    )


@each_kind
def test_a_translation(project: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    bilingual(project)
    path = project / "lib" / "commercial" / "payment.sv.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(" netto", f" netto{char}"), encoding="utf-8"
    )
    expected = f"{place(path, char)}: {named} in the body is not allowed ("
    assert_refused(lint(cli, project), _lint_line(expected))
    assert_refused(check(cli, project), expected)


@each_kind
def test_a_glossary(project: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    bilingual(project)
    path = project / "lib" / "glossary.sv.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Leverans", f"Lev{char}erans"), encoding="utf-8"
    )
    expected = f"{place(path, char)}: Deliverable: {named} at offset 3 is not allowed ("
    assert_refused(lint(cli, project), _lint_line(expected))
    assert_refused(check(cli, project), expected)


# --------------------------------------------------------------------------- templates


@pytest.fixture
def template(tmp_path: Path, cli: Callable[..., Run]) -> Path:
    folder = tmp_path / "brand"
    assert cli("template", "init", folder).exit_code == 0
    return folder


@each_kind
def test_template_html_text(template: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    html = template / "agreement.html"
    html.write_text(
        html.read_text(encoding="utf-8").replace("</body>", f"<p>Seal{char}</p></body>", 1),
        encoding="utf-8",
    )
    assert_refused(
        cli("template", "check", template),
        f"{place(html, char)}: {named} in the template text is not allowed (",
    )


@each_kind
def test_template_string_literal(
    template: Path, cli: Callable[..., Run], char: str, named: str
) -> None:
    html = template / "agreement.html"
    literal = f'{{{{ "{escape(char)}" }}}}'
    html.write_text(
        html.read_text(encoding="utf-8").replace("</body>", f"<p>{literal}</p></body>", 1),
        encoding="utf-8",
    )
    line = ":".join(place(html, literal).split(":")[:-1])
    assert_refused(
        cli("template", "check", template),
        f"{line}: {named} in a template string is not allowed (",
    )


XML_CANNOT_HOLD = {"\x01", "\ufffe", "\uffff"}  # outside XML 1.0's Char production


@each_kind
def test_template_docx_text(template: Path, cli: Callable[..., Run], char: str, named: str) -> None:
    docx = template / "agreement.docx"
    with zipfile.ZipFile(docx) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    document = parts["word/document.xml"].decode("utf-8")
    start = document.index("<w:t") + document[document.index("<w:t") :].index(">") + 1
    parts["word/document.xml"] = (document[:start] + char + document[start:]).encode(
        "utf-8", "surrogatepass"
    )
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    result = cli("template", "check", template)
    if char in XML_CANNOT_HOLD:
        assert_refused(result, f"{docx}: word/document.xml: not well-formed XML")
    else:
        assert_refused(result, f"{docx}: word/document.xml (XML line ")
        assert f"{named} in the template text is not allowed (" in result.stderr


# --------------------------------------------------------------------------- the policy


def test_real_text_in_many_scripts_is_accepted() -> None:
    from procuregen.textpolicy import LINE, TEXT, refusals

    names = [
        "Kommunförbundet Skåne, Storgatan 1",
        "Ελληνική Δημοκρατία",
        "Министерство цифрового развития",
        "وزارة الاتصالات",
        "משרד המשפטים",
        "株式会社サンプル 🏢",
        "भारत सरकार",
        "กระทรวงดิจิทัล",
        "대한민국 정부",
        "12\u00a0000\u202fkr",  # no-break spaces, as babel formats Swedish amounts
        "👍\ufe0f",  # a variation selector picks a glyph; it hides nothing
        "résumé with é as e and U+0301",
    ]
    assert [refusals(name, LINE) for name in names] == [[]] * len(names)
    assert refusals("one\n\ttwo", TEXT) == []
    assert [r.char for r in refusals("one\n\ttwo", LINE)] == ["\n", "\t"]


def test_every_overlay_and_enclosing_mark_of_this_unicode_is_refused() -> None:
    from procuregen.textpolicy import refusal

    marks = [
        chr(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Mn", "Me")
        and (
            "OVERLAY" in unicodedata.name(chr(code), "") or unicodedata.category(chr(code)) == "Me"
        )
    ]
    assert len(marks) > 20
    assert [m for m in marks if refusal(m) != "combining overlay"] == []


def test_unassigned_means_unassigned_in_the_unicode_this_python_knows() -> None:
    from procuregen.textpolicy import refusals

    (found,) = refusals("a\u0378")
    assert f"not assigned in Unicode {unicodedata.unidata_version}" in found.message()
