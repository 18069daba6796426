"""`procuregen clauses site`: the static review site of a clause library."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from click.testing import CliRunner

from procuregen.commands.site import site_command
from procuregen.library import library_path, load_library
from procuregen.site import build_site, describe_condition
from procuregen.site.build import bundled_examples
from tests.conftest import write_tree
from tests.libraries import LIBRARY_YAML, clause

SCRIPT = "<script>alert('clause')</script>"


class _Page(HTMLParser):
    """The links, ids, headings and script sources of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[str] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag in ("a", "link") and found.get("href") is not None:
            self.links.append(str(found["href"]))
        if tag == "script":
            self.scripts.append(str(found.get("src") or ""))
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the bundled library with the repository's examples, built once."""
    out = tmp_path_factory.mktemp("site")
    build_site(library_path(None, None), out)
    return out


def _fixture_library(root: Path, *, translates: str = "1.0.0") -> Path:
    library_yaml = LIBRARY_YAML.replace("languages: [en]", "languages: [en, sv]")
    files = dict(
        [
            clause(
                "definitions",
                "general",
                "Terms have these meanings.\n",
                order=10,
                defines={
                    "Buyer": "means the buyer.",
                    "Supplier": "means the supplier <b onmouseover=alert(1)>x</b>.",
                },
            ),
            clause(
                "scope",
                "general",
                f"The [[Supplier]] shall deliver to the [[Buyer]] under [[#payment]]. {SCRIPT}\n"
                "\n"
                '<img src=x onerror="alert(2)">\n'
                "\n"
                "[a link](javascript:alert(3))\n",
                order=20,
                title="Scope <script>x</script>",
                version="2.0.0",
                source="Written for the tests; </dd><script>alert(4)</script>",
            ),
            clause(
                "payment",
                "commercial",
                "The [[Buyer]] pays the [[Supplier]].\n",
                when="'hosting' in services",
            ),
            clause(
                "disputes-courts",
                "disputes",
                "The courts decide.\n",
                slot="disputes",
                default=True,
                when='law.disputes == "courts"',
            ),
            clause(
                "disputes-arbitration",
                "disputes",
                "An arbitral tribunal decides.\n",
                slot="disputes",
                when='law.disputes == "arbitration"',
            ),
        ]
    )
    files["lib/library.yaml"] = library_yaml
    files["lib/glossary.sv.yaml"] = "Buyer: Köparen\nSupplier: Leverantören\n"
    translation = {"translates": translates, "title": "Omfattning"}
    files["lib/general/scope.sv.md"] = (
        "---\n"
        + yaml.safe_dump(translation, allow_unicode=True)
        + "---\n[[Leverantören]] levererar till [[Köparen]]. <script>alert(5)</script>\n"
    )
    write_tree(root, files)
    return root / "lib"


# --- conditions in plain words ---------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("'hosting' in services", "when hosting is bought"),
        ("'hosting' not in services", "when hosting is not bought"),
        ("data.personal_data", "when personal data is processed"),
        ("not data.personal_data", "when no personal data is processed"),
        ('law.governing_law == "SE"', "when the governing law is SE"),
        ('law.disputes == "arbitration"', "when law.disputes is arbitration"),
        ('open_source.ipr == "buyer"', "when open_source.ipr is buyer"),
        ("service_levels is not none", "when service_levels is set"),
        ("value.items", "when value.items has at least one entry"),
        (
            "'development' in services or 'maintenance' in services or 'hosting' in services",
            "when development, maintenance or hosting is bought",
        ),
        (
            "not call_off_terms and data.personal_data",
            "when it is not printed in the Call-Off Terms of a framework agreement "
            "and personal data is processed",
        ),
        (
            '("development" in services or "training" in services) and accessibility != "none"',
            "when either development or training is bought, and accessibility is not none",
        ),
        (
            "not call_off_terms and (milestones | selectattr('payment') | list | length > 0)",
            "when it is not printed in the Call-Off Terms of a framework agreement and "
            "the number of milestones with payment is more than 0",
        ),
        ("range(3) | first", "when this condition holds: range(3) | first"),
        ("hosting in", "when this condition holds: hosting in"),
        (None, "always"),
    ],
)
def test_conditions_are_written_in_plain_words(when: str | None, words: str) -> None:
    assert describe_condition(when) == words


def test_every_condition_of_the_bundled_library_has_words() -> None:
    library = load_library(library_path(None, None))
    documents = {kind: meta.title for kind, meta in library.meta.documents.items()}
    for clause_ in library.clauses.values():
        words = describe_condition(clause_.meta.when, documents)
        assert "condition holds" not in words, (clause_.id, clause_.meta.when)
        assert "{" not in words and "==" not in words and "'" not in words


def test_the_governing_law_names_the_jurisdiction_pack() -> None:
    assert (
        describe_condition('law.governing_law == "SE"', jurisdictions={"SE": "the law of Sweden"})
        == "when the governing law is SE (the law of Sweden)"
    )
    assert (
        describe_condition("document == 'framework'", {"framework": "Framework Agreement"})
        == "when the document is the Framework Agreement (framework)"
    )


# --- the bundled library's site ----------------------------------------------------------


def test_the_site_has_an_index_a_page_per_clause_and_its_assets(bundled_site: Path) -> None:
    library = load_library(library_path(None, None))
    for name in ("index.html", "terms.html", "assets/site.css", "assets/search.js"):
        assert (bundled_site / name).stat().st_size > 0, name
    pages = sorted(p.stem for p in (bundled_site / "clauses").glob("*.html"))
    assert pages == sorted(library.clauses)
    index = (bundled_site / "index.html").read_text(encoding="utf-8")
    for section_id, section in library.meta.sections.items():
        assert f'id="section-{section_id}"' in index
        assert section.title.replace(",", "") in index.replace(",", "")
    assert "could not be assembled" not in index


def test_every_link_and_asset_resolves_and_nothing_is_external(bundled_site: Path) -> None:
    pages = sorted(bundled_site.rglob("*.html"))
    ids = {page: _page(page).ids for page in pages}
    for page in pages:
        parsed = _page(page)
        assert parsed.scripts == ["../assets/search-index.js", "../assets/search.js"] or (
            parsed.scripts == ["assets/search-index.js", "assets/search.js"]
        )
        for href in [*parsed.links, *parsed.scripts]:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, (page, href)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), (page, href)
            assert target.is_relative_to(bundled_site.resolve()), (page, href)
            if parts.fragment:
                assert parts.fragment in ids[target], (page, href)
    for text_file in bundled_site.rglob("*"):
        if text_file.is_file():
            text = text_file.read_text(encoding="utf-8")
            assert "http://" not in text.replace("http://www.w3.org", "")
            assert "https://" not in text, text_file


def test_a_clause_page_shows_its_metadata_condition_positions_and_translations(
    bundled_site: Path,
) -> None:
    page = (bundled_site / "clauses" / "disputes-arbitration.html").read_text(encoding="utf-8")
    assert "when law.disputes is arbitration" in page
    assert "<code>disputes</code>, an alternative position" in page
    assert 'href="disputes-courts.html"' not in page  # links are written from the site root
    assert 'href="../clauses/disputes-courts.html"' in page
    assert "when law.disputes is courts" in page
    assert "<td>sv</td>" in page and "up to date" in page
    assert 'Approval</dt><dd class="approval">not recorded' in page
    hosting = next(
        c
        for c in load_library(library_path(None, None)).clauses.values()
        if c.meta.when == "'hosting' in services"
    )
    assert "when hosting is bought" in (bundled_site / "clauses" / f"{hosting.id}.html").read_text(
        encoding="utf-8"
    )


def test_terms_link_to_their_definition_and_references_go_both_ways(bundled_site: Path) -> None:
    charges = (bundled_site / "clauses" / "charges.html").read_text(encoding="utf-8")
    assert '<dt id="term-contract-value">“Contract Value”</dt>' in charges
    assert 'href="../clauses/definitions.html#term-buyer"' in charges
    assert '<a class="xref" href="../clauses/change-control.html"' in charges
    change_control = (bundled_site / "clauses" / "change-control.html").read_text(encoding="utf-8")
    referred_by = change_control.split("<h3>Referred to by</h3>")[1].split("</ul>")[0]
    assert 'href="../clauses/charges.html"' in referred_by
    terms = (bundled_site / "terms.html").read_text(encoding="utf-8")
    assert 'id="term-contract-value"' in terms and "sv: " in terms


def test_clause_pages_name_the_examples_that_include_them(bundled_site: Path) -> None:
    assert [p.name for p in bundled_examples(load_library(library_path(None, None)))]
    arbitration = (bundled_site / "clauses" / "disputes-arbitration.html").read_text(
        encoding="utf-8"
    )
    assert "<code>national-agency-hosting.yaml</code>" in arbitration
    definitions = (bundled_site / "clauses" / "definitions.html").read_text(encoding="utf-8")
    assert "<code>framework-agreement.yaml</code> (in the Call-Off Terms)" in definitions


def test_the_search_index_holds_titles_ids_terms_and_text(bundled_site: Path) -> None:
    script = (bundled_site / "assets" / "search-index.js").read_text(encoding="utf-8")
    prefix = "window.PROCUREGEN_SEARCH = "
    assert script.startswith(prefix)
    data = json.loads(script[len(prefix) :].rstrip().rstrip(";"))
    charges = next(c for c in data["clauses"] if c["id"] == "charges")
    assert charges["url"] == "clauses/charges.html"
    assert "Contract Value" in charges["defines"]
    assert "Contract Value" in charges["text"] and "[[" not in charges["text"]


# --- a fixture library ----------------------------------------------------------------------


def test_raw_html_in_a_clause_never_reaches_a_page_unescaped(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(_fixture_library(tmp_path), out, examples=[])
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name in ("search.js",):
            continue
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "<script>x" not in text, path
        assert "<img" not in text and "<b " not in text, path
        assert "javascript:" not in text.replace("[a link](javascript:alert(3))", ""), path
        assert 'href="javascript' not in text, path
    scope = (out / "clauses" / "scope.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;clause&#39;)&lt;/script&gt;" in scope
    assert '<h1 id="clause-title">Scope &lt;script&gt;x&lt;/script&gt;</h1>' in scope
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in scope
    page = _page(out / "clauses" / "scope.html")
    assert page.scripts == ["../assets/search-index.js", "../assets/search.js"]


def test_a_stale_translation_and_a_missing_one_are_shown(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(_fixture_library(tmp_path, translates="1.0.0"), out, examples=[])
    scope = (out / "clauses" / "scope.html").read_text(encoding="utf-8")
    assert "stale</span>: translates 1.0.0, the source is 2.0.0" in scope
    assert 'href="../clauses/definitions.html#term-supplier"' in scope.split('lang="sv"')[1]
    payment = (out / "clauses" / "payment.html").read_text(encoding="utf-8")
    assert "missing: no payment.sv.md" in payment
    assert "when hosting is bought" in payment
    assert "No examples were given." in payment


def test_the_output_is_deterministic(tmp_path: Path) -> None:
    library = _fixture_library(tmp_path)
    first, second = tmp_path / "one", tmp_path / "two"
    written = build_site(library, first, examples=[])
    build_site(library, second, examples=[])
    names = sorted(p.relative_to(first).as_posix() for p in written)
    assert names == sorted(
        p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()
    )
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_an_example_that_does_not_assemble_is_reported_on_the_index(tmp_path: Path) -> None:
    library = _fixture_library(tmp_path)
    spec = tmp_path / "broken.yaml"
    spec.write_text("procuregen: 1\n", encoding="utf-8")
    out = tmp_path / "site"
    build_site(library, out, examples=[spec])
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<code>broken.yaml</code>: <span class="problem">could not be assembled' in index


def test_approval_fields_are_shown_when_the_front_matter_has_them(tmp_path: Path) -> None:
    from dataclasses import replace

    from procuregen.site.build import _approval

    library = load_library(_fixture_library(tmp_path))
    scope = library.clauses["scope"]

    class Approved:
        def __init__(self, version: str) -> None:
            self.version = version
            self.approved_by = "Legal Team"
            self.approved_on = "2026-03-01"

    assert _approval(scope)["state"] == "not recorded"
    approved = _approval(replace(scope, meta=Approved("2.0.0")))  # type: ignore[arg-type]
    assert approved == {
        "state": "approved",
        "by": "Legal Team",
        "on": "2026-03-01",
        "version": "2.0.0",
    }


def test_the_click_command_builds_the_site(tmp_path: Path) -> None:
    library = _fixture_library(tmp_path)
    out = tmp_path / "site"
    result = CliRunner().invoke(
        site_command, ["-o", str(out), "--library", str(library)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"{out / 'index.html'}: 5 clauses of test-library\n"
    assert (out / "clauses" / "disputes-courts.html").is_file()
    missing = CliRunner().invoke(site_command, ["--library", str(library)])
    assert missing.exit_code == 2


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.realclient
def test_search_a_term_follow_a_reference_and_screenshot_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    site = tmp_path / "site"
    build_site(library_path(None, None), site, examples=[])
    screenshot = tmp_path / "screenshots" / "change-control.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto((site / "index.html").as_uri())
            expect(page.locator("h1")).to_have_text(
                "Framework Agreement for Open Source Software and Services"
            )
            page.fill("#search", "Contract Value")
            first = page.locator("#search-results a.result").first
            expect(first).to_have_text("Charges")
            expect(page.locator("#search-results li").first).to_contain_text(
                "defines “Contract Value”"
            )
            first.click()
            page.wait_for_url("**/clauses/charges.html")
            expect(page.locator("h1")).to_have_text("Charges")
            expect(page.locator("#term-contract-value")).to_be_visible()
            page.locator('#text a.xref[href$="change-control.html"]').first.click()
            page.wait_for_url("**/clauses/change-control.html")
            expect(page.locator("h1")).to_have_text("Change Control")
            expect(page.locator("#references")).to_contain_text("Charges")
            screenshot.parent.mkdir()
            page.screenshot(path=str(screenshot), full_page=True)
            assert errors == []
        finally:
            browser.close()
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 1000
