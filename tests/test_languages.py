"""Languages and jurisdiction packs: Swedish agreements with no English word, Swedish formats
and template text, bilingual pairs, English-law statutes, translation governance."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from procuregen.api import build
from procuregen.lint import lint_library
from tests.conftest import EXAMPLES, Drafted, Run, agreement_text, write_tree
from tests.libraries import LIBRARY_YAML, clause

SWEDISH = [e.stem for e in EXAMPLES if yaml.safe_load(e.read_text("utf-8")).get("language") == "sv"]
BILINGUAL = "bilingual-school-platform"
ENGLISH_LAW = "uk-council-english-law"

# Common English words that are not also Swedish words: none may stand in a Swedish text.
_ENGLISH = """the and of to shall must will would which that this these those with within from by
    any each other such where when whether unless until upon after before between
    without into onto than then there their they them it its is are be been being was were
    has have had not no nor our your his her who whom whose what how why also only
    agreement contract clause schedule page date place name title signature contents
    reference supplier buyer party parties price prices charges services software law court
    courts day days month months year years cent percent notice written writing
    terms value amount invoice payment liability insurance security
    maintenance development hosting training delivery deliverables acceptance
    behalf annex article regulation directive paragraph following"""
ENGLISH_WORDS = set(_ENGLISH.split())
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+")


def pdf_text(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", " ", text)


def spec_words(example: str) -> set[str]:
    """Words the spec itself wrote (names, addresses, e-mail addresses): not the tool's."""
    text = next(e for e in EXAMPLES if e.stem == example).read_text("utf-8")
    return {w.lower() for w in WORD.findall(text)}


@pytest.mark.realclient
@pytest.mark.parametrize("example", SWEDISH)
def test_a_swedish_agreement_has_no_english_word(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    text = pdf_text(drafted_examples[example].pdf)
    allowed = spec_words(example)
    english = sorted(
        {w for w in WORD.findall(text) if w.lower() in ENGLISH_WORDS and w.lower() not in allowed}
    )
    assert english == []


@pytest.mark.realclient
@pytest.mark.parametrize("example", SWEDISH)
def test_a_swedish_agreement_has_swedish_formats_and_template_text(
    drafted_examples: dict[str, Drafted], example: str
) -> None:
    drafted = drafted_examples[example]
    text = pdf_text(drafted.pdf)
    spec = drafted.agreement.spec
    day = spec.agreement.date
    months = "januari februari mars april maj juni juli augusti september oktober november december"
    assert f"{day.day} {months.split()[day.month - 1]} {day.year}" in text
    assert re.search(r"\d{1,3}(?:[ \u00a0]\d{3})+,00 kr", text), "Swedish money"
    for words in ("Innehåll", "Ort och datum", "Namnförtydligande", "Underskrift", "Bilaga 1:"):
        assert words in text
    assert re.search(r"Sida \d+ av \d+", text)
    assert "Avropsavtal" in text and "Call-Off Contract" not in text
    docx_text = zipfile.ZipFile(drafted.docx).read("word/document.xml").decode("utf-8")
    assert "Ort och datum" in docx_text and "For and on behalf of" not in docx_text


@pytest.mark.realclient
def test_the_bilingual_agreement_pairs_every_clause(drafted_examples: dict[str, Drafted]) -> None:
    drafted = drafted_examples[BILINGUAL]
    agreement = drafted.agreement
    parallel = agreement.parallel
    assert agreement.language == "sv" and parallel is not None and parallel.language == "en"
    assert [c.id for c in agreement.clauses] == [c.id for c in parallel.clauses]
    assert [c.number for c in agreement.clauses] == [c.number for c in parallel.clauses]
    text = pdf_text(drafted.pdf)
    for swedish, english in zip(agreement.clauses, parallel.clauses, strict=True):
        assert swedish.heading in text and english.heading in text
    # Each column quotes its defined terms its own way.
    assert "\u201cBuyer\u201d" in text and "\u201dKöparen\u201d" in text
    # The language clause says which version prevails, in both languages.
    assert "svenska" in text and "Swedish" in text
    document = zipfile.ZipFile(drafted.docx).read("word/document.xml").decode("utf-8")
    pairs = document.count('<w:tcW w:w="2500" w:type="pct"/>')
    headings = len(agreement.sections) + len(agreement.schedules) + len(agreement.clauses)
    assert pairs == 2 * headings


@pytest.mark.realclient
def test_the_english_law_agreement_names_the_uk_statutes(
    drafted_examples: dict[str, Drafted],
) -> None:
    text = pdf_text(drafted_examples[ENGLISH_LAW].pdf)
    for statute in (
        "the law of England and Wales",
        "UK GDPR",
        "Data Protection Act 2018",
        "Freedom of Information Act 2000",
        "Environmental Information Regulations 2004",
        "Procurement Act 2023",
        "Contracts (Rights of Third Parties) Act 1999",
        "Financial Conduct Authority",
    ):
        assert statute in text, statute
    for eu_only in (
        "Regulation (EU) 2016/679",
        "Directive 2014/24/EU",
        "Article 72",
        "the law of United Kingdom",
    ):
        assert eu_only not in text, eu_only


def test_a_governing_law_without_a_pack_is_warned(tmp_path: Path, cli: Callable[..., Run]) -> None:
    spec = yaml.safe_load((EXAMPLES[0].parent / "region-health-records.yaml").read_text("utf-8"))
    spec["law"]["governing_law"] = "DE"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    result = cli("check", path)
    assert result.exit_code == 0
    assert (
        "warning: law.governing_law: library 'oss-framework' has no jurisdiction pack for DE, "
        "so its EU baseline text applies (packs: SE (the law of Sweden), GB (the law of "
        "England and Wales))"
    ) in result.stderr


def test_explain_shows_the_language_version_of_each_clause(cli: Callable[..., Run]) -> None:
    spec = next(e for e in EXAMPLES if e.stem == "national-agency-hosting")
    report = json.loads(cli("explain", "--json", spec).stdout)
    languages = {c["language"] for c in report["clauses"] if c["included"]}
    assert languages == {"sv"}


def test_bundled_library_has_every_translation_up_to_date() -> None:
    from procuregen.library import library_path

    findings = [str(f) for f in lint_library(library_path(None, None))]
    assert [f for f in findings if "translat" in f or "glossary" in f or ": error:" in f] == []


TRANSLATED_LIBRARY = LIBRARY_YAML.replace("languages: [en]", "languages: [en, sv]")


def test_lint_reports_a_stale_or_missing_translation_and_a_one_sided_term(tmp_path: Path) -> None:
    files = dict(
        [
            clause(
                "scope",
                "general",
                "The [[Supplier]] delivers.\n",
                version="1.1.0",
                defines={"Supplier": "means the supplier."},
            ),
            clause("payment", "commercial", "Payment is due in 30 days.\n"),
        ]
    )
    files["lib/library.yaml"] = TRANSLATED_LIBRARY
    files["lib/glossary.sv.yaml"] = "Supplier: Leverantören\n"
    files["lib/general/scope.sv.md"] = (
        "---\ntranslates: 1.0.0\ntitle: Omfattning\ndefines:\n"
        "  Leverantör: avser leverantören.\n---\n[[Leverantören]] levererar.\n"
    )
    write_tree(tmp_path, files)
    findings = [str(f).replace(f"{tmp_path}/", "") for f in lint_library(tmp_path / "lib")]
    assert findings == [
        "lib/commercial/payment.md:2:5: warning: no sv translation: write payment.sv.md beside it",
        "lib/general/scope.sv.md:2:13: warning: translates: 1.0.0 is older than scope 1.1.0; "
        "bring the translation up to date",
        "lib/general/scope.sv.md:5:3: warning: defines: 'Supplier' is defined in en but its sv "
        "name 'Leverantören' is not defined here",
        "lib/general/scope.sv.md:5:15: warning: defines: 'Leverantör' is defined in sv but no "
        "term of scope has that name in glossary.sv.yaml",
        "lib/general/scope.sv.md:7: error: [[Leverantören]]: no sv translation defines this term",
    ]


def test_a_swedish_draft_needs_every_clause_in_swedish(tmp_path: Path) -> None:
    from procuregen.errors import ProcuregenError
    from tests.libraries import base_library
    from tests.specs import VALID

    files = {**base_library(), "lib/library.yaml": TRANSLATED_LIBRARY}
    files["lib/glossary.sv.yaml"] = "Buyer: Köparen\n"
    write_tree(
        tmp_path,
        {**files, "spec.yaml": VALID.replace("procuregen: 1", "procuregen: 1\nlanguage: sv")},
    )
    with pytest.raises(ProcuregenError) as caught:
        build(tmp_path / "spec.yaml", library_dir=tmp_path / "lib")
    messages = [p.message for p in caught.value.problems]
    assert "definitions has no sv version: write definitions.sv.md beside it" in messages


def test_swedish_references_and_headings_are_localised() -> None:
    spec = next(e for e in EXAMPLES if e.stem == "exampleby-caseflow")
    _, _, agreement, _ = build(spec)
    text = agreement_text(agreement)
    assert "Bilaga 2: Prisbilaga" in [s.heading for s in agreement.schedules]
    assert re.search(r"i enlighet med punkt \d+\.\d+", text)
    assert "clause " not in text and "Schedule " not in text


def test_a_term_shown_otherwise_does_not_split_a_table_cell() -> None:
    from procuregen.agreement import Table
    from procuregen.markdown import to_blocks

    (table,) = to_blocks(
        "| Part | Roll |\n|---|---|\n| [[Köparen|Köparens]] ombud | x |\n",
        lambda target: ("", ""),
    )
    assert isinstance(table, Table)
    assert [[run.text for run in cell] for cell in table.rows[0]] == [["Köparens", " ombud"], ["x"]]
    assert table.rows[0][0][0].term == "Köparen"


def test_every_template_word_has_a_swedish_translation() -> None:
    """No word a template prints falls back to English in a Swedish agreement."""
    from procuregen.messages import gettext
    from tests.conftest import ROOT

    sources = [
        ROOT / "templates" / "default" / "agreement.html",
        ROOT / "templates" / "default" / "build_docx_template.py",
        ROOT / "src" / "procuregen" / "assemble" / "numbering.py",
        ROOT / "src" / "procuregen" / "render" / "context.py",
    ]
    messages = {
        message
        for source in sources
        for message in re.findall(
            r'(?:_|words|gettext)\((?:language, )?"([^"]+)"', source.read_text("utf-8")
        )
    }
    messages |= {"Buyer", "Supplier", "Framework Authority", "and", "or"}
    assert len(messages) > 15
    words = [m for m in messages if any(c.isalpha() for c in m)]  # not the quotation marks
    untranslated = sorted(m for m in words if gettext("sv", m) == m)
    assert untranslated == []
