"""A template folder: checked before use, and initialised from the bundled template.

A team's own template folder (agreement.docx, agreement.html, agreement.css) is user
input, so it is checked like a spec before anything renders with it:

- every part is there, a regular file inside the folder;
- the DOCX is a sane zip (`archive.py`): at most 1,000 entries, none larger than 50 MB
  uncompressed, 200 MB in all, none compressed more than 100 to one; the sizes come
  from the central directory before anything is inflated, and every part is then read
  through the bounded reader;
- no XML part has a DOCTYPE or an ENTITY; no relationship is external (a hyperlink
  excepted: it is clicked, never fetched); no macros or ActiveX controls;
- the styles the body is written with exist;
- every name a placeholder uses is one the render context gives (`docs/templates.md`);
- HTML, CSS and SVG refer to nothing outside the folder: `url(...)`, `@import`,
  `<link href>`, `src`, ... are relative paths to files in the folder, or `data:` URLs;
- the template text (HTML, CSS, SVG, the text of the DOCX parts that are rendered) and
  its Jinja string literals hold no character the text policy refuses
  (procuregen.textpolicy).

Every problem is a located RenderError naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import TemplateSyntaxError, meta, nodes

from procuregen.archive import megabytes, open_zip
from procuregen.errors import Location, Problem, RenderError
from procuregen.manifest import Template
from procuregen.resources import bundled_root
from procuregen.textpolicy import TEXT, located, refusals

MAX_TEXT = 5 * 1024 * 1024  # an HTML, CSS or SVG file of the folder
MAX_FILES = 1_000  # files in the folder

# What render.context.render_context gives every template (a test keeps them equal).
CONTEXT_NAMES = frozenset(
    {
        "_",
        "quotes",
        "agreement",
        "sections",
        "title",
        "document_title",
        "reference",
        "framework_reference",
        "date",
        "iso_date",
        "language",
        "parties",
        "signatories",
        "schedules",
        "parallel_sections",
        "parallel_schedules",
        "parallel_language",
        "library",
    }
)
# The DOCX template also gets the clause body and the schedules as subdocuments.
DOCX_NAMES = CONTEXT_NAMES | {"body", "schedules_body"}
DOCX_REQUIRED = ("body", "schedules_body")
# The fields of render.context.PartyView: what `parties` and `signatories` items have.
PARTY_FIELDS = frozenset(
    {
        "role",
        "name",
        "identifier",
        "address",
        "contact",
        "signatory_name",
        "signatory_title",
        "signatory_place",
    }
)
PARTY_LISTS = ("parties", "signatories")

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_TEMPLATE_PARTS = re.compile(
    r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml|docProps/core\.xml"
)
_ESCAPED_QUOTE = re.compile(r"(\{\{|\{%)(?:(?!\}\}|%\}).)*&(quot|apos);", re.S)
_FORBIDDEN_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$|^word/activeX/", re.I)


def _problem(path: Path, message: str, line: int = 0) -> Problem:
    return Problem(Location(str(path), line), message)


# ---------------------------------------------------------------------------- the folder


def check_template(template: Template) -> None:
    """Raise a RenderError naming every problem of the template folder; None if it is sound."""
    problems = _cached_check(template.root.resolve(), _fingerprint(template.root))
    if problems:
        raise RenderError(problems)


def template_problems(root: Path) -> list[Problem]:
    """Every problem of the template folder at `root`, in file order."""
    problems: list[Problem] = []
    real = root.resolve()
    if not real.is_dir():
        return [_problem(root, "not a folder")]
    missing = []
    for name in Template.FILES:
        path = root / name
        if not path.is_file():
            missing.append(name)
        elif not path.resolve().is_relative_to(real):
            problems.append(_problem(path, "is a link that leaves the template folder"))
    if missing:
        problems.append(_problem(root, f"template folder lacks {', '.join(missing)}"))
    docx = root / "agreement.docx"
    if docx.is_file() and docx.resolve().is_relative_to(real):
        problems.extend(docx_problems(docx))
    if (root / "agreement.html").is_file():
        problems.extend(html_template_problems(root))
    problems.extend(reference_problems(root))
    return sorted(set(problems), key=Problem.sort_key)


def _fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the folder's files: the check's cache key."""
    found: list[tuple[str, int, int]] = []
    try:
        for index, path in enumerate(sorted(root.rglob("*"))):
            if index > MAX_FILES:
                break
            stat = path.stat()
            found.append((str(path), stat.st_size, stat.st_mtime_ns))
    except OSError:
        return ()
    return tuple(found)


@lru_cache(maxsize=32)
def _cached_check(root: Path, fingerprint: tuple[tuple[str, int, int], ...]) -> list[Problem]:
    del fingerprint  # only the cache key: a changed file is checked again
    return template_problems(root)


# ------------------------------------------------------------------------------ the DOCX


def docx_problems(path: Path) -> list[Problem]:
    """Zip bounds, XML safety, relationships, styles and placeholders of a DOCX template."""
    try:
        package = open_zip(path, Location(str(path)), RenderError)
    except RenderError as refused:
        return list(refused.problems)  # nothing is inflated from a zip out of bounds
    problems: list[Problem] = []
    parts: dict[str, bytes] = {}
    with package:
        for name in package.names():
            if _FORBIDDEN_PARTS.search(name):
                problems.append(_problem(path, f"{name}: macros and ActiveX are refused"))
                continue
            if name.endswith((".xml", ".rels")):
                try:
                    parts[name] = package.read(name)
                except RenderError as unreadable:
                    problems.extend(unreadable.problems)
    trees: dict[str, Any] = {}
    for name, data in parts.items():
        found = _xml_problem(data)
        if found:
            problems.append(_problem(path, f"{name}: {found}"))
        else:
            trees[name] = _parse(data)
    for name, tree in trees.items():
        if name.endswith(".rels"):
            problems.extend(_relationship_problems(path, name, tree))
    if problems:
        return problems
    if "word/document.xml" not in trees:
        return [_problem(path, "has no word/document.xml: not a Word document")]
    problems.extend(_style_problems(path, trees.get("word/styles.xml")))
    refused_text = _refused_text_problems(path, trees)
    problems.extend(refused_text)
    # A literal that writes a refused character as itself is reported once, with the text.
    problems.extend(_placeholder_problems(path, parts, check_literals=not refused_text))
    return problems


def _refused_text_problems(path: Path, trees: dict[str, Any]) -> list[Problem]:
    """Characters the text policy refuses in the text of the parts docxtpl renders."""
    problems = []
    for name in sorted(trees):
        if not _TEMPLATE_PARTS.fullmatch(name):
            continue
        for element in trees[name].iter():
            for text in (element.text, element.tail):
                for refused in refusals(text or "", TEXT):
                    problems.append(
                        _problem(
                            path,
                            f"{name} (XML line {element.sourceline}): "
                            + refused.message("in the template text"),
                        )
                    )
    return problems


def _xml_problem(data: bytes) -> str | None:
    """Why an XML part is refused: a DOCTYPE, an ENTITY, or not well-formed."""
    from lxml import etree

    text = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace").encode("utf-8")
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        return "a DOCTYPE or ENTITY declaration is refused (entities can expand or fetch)"
    try:
        tree = _parse(data)
    except etree.XMLSyntaxError as exc:
        return f"not well-formed XML: {exc}"
    if tree.getroottree().docinfo.doctype:
        return "a DOCTYPE declaration is refused"
    return None


def _parse(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def _relationship_problems(path: Path, name: str, tree: Any) -> Iterator[Problem]:
    for relation in tree.iter(f"{{{_RELS}}}Relationship"):
        if relation.get("TargetMode", "Internal") != "External":
            continue
        target = relation.get("Target", "")
        scheme = urlsplit(target).scheme.lower()
        if relation.get("Type") == _HYPERLINK and scheme in ("http", "https", "mailto"):
            continue  # a link the reader may click; nothing fetches it
        yield _problem(
            path,
            f"{name}: external relationship to {target!r} refused "
            "(a template embeds what it shows)",
        )


def _style_problems(path: Path, styles: Any) -> Iterator[Problem]:
    """The body's styles, looked up by name as python-docx looks them up (exactly)."""
    from docx.styles import BabelFish

    from procuregen.render.docx import STYLES

    names = set()
    if styles is not None:
        for style in styles.iter(f"{{{_W}}}style"):
            element = style.find(f"{{{_W}}}name")
            if element is not None:
                names.add(element.get(f"{{{_W}}}val") or "")
    lowered = {name.lower(): name for name in names}
    for style in STYLES:
        wanted = BabelFish.ui2internal(style)
        if wanted in names:
            continue
        found = lowered.get(wanted.lower())
        hint = (
            f" (it is saved as {found!r}, as LibreOffice saves it; the renderer looks for "
            f"Word's name {wanted!r})"
            if found
            else ""
        )
        yield _problem(path, f"word/styles.xml: lacks the paragraph style {style!r}{hint}")


def _placeholder_problems(
    path: Path, parts: dict[str, bytes], *, check_literals: bool = True
) -> list[Problem]:
    """Placeholders of the parts docxtpl renders, read as docxtpl reads them; with
    `check_literals`, their string literals held to the text policy."""
    from docxtpl import DocxTemplate

    from procuregen.environment import make_environment

    environment = make_environment("xml")
    problems: list[Problem] = []
    used: set[str] = set()
    syntax_error = False
    for name in sorted(parts):
        if not _TEMPLATE_PARTS.fullmatch(name):
            continue
        text = parts[name].decode("utf-8", errors="replace")
        if "{" not in text:
            continue
        if name == "docProps/core.xml":
            sources = [t for t in _texts(parts[name]) if "{{" in t or "{%" in t]
        else:
            sources = [DocxTemplate.patch_xml(None, text)]
            if _ESCAPED_QUOTE.search(sources[0]):
                syntax_error = True
                problems.append(
                    _problem(
                        path,
                        f"{name}: a tag holds a quote saved as &quot; or &apos; "
                        "(LibreOffice saves quotes so), which the renderer cannot read; "
                        "edit the tags in Word (docs/templates.md)",
                    )
                )
                continue
        for source in sources:
            try:
                tree = environment.parse(source)
            except TemplateSyntaxError as exc:
                syntax_error = True
                problems.append(_problem(path, f"{name}: placeholder syntax: {exc.message}"))
                continue
            free = meta.find_undeclared_variables(tree)
            used |= free
            for unknown in sorted(free - DOCX_NAMES - set(environment.globals)):
                problems.append(_problem(path, f"{name}: unknown placeholder name {unknown!r}"))
            for _line, dotted in party_attribute_problems(tree):
                problems.append(_problem(path, f"{name}: {dotted} is not a party field"))
            if check_literals:
                for _line, message in literal_refusals(tree):
                    problems.append(_problem(path, f"{name}: {message}"))
    for required in DOCX_REQUIRED:
        if required not in used and not syntax_error:
            problems.append(
                _problem(
                    path,
                    f"word/document.xml: never prints {{{{p {required} }}}}; "
                    f"the agreement's {'clauses' if required == 'body' else 'schedules'} "
                    "would be missing",
                )
            )
    return problems


def literal_refusals(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """(line, message) of each template string literal holding a refused character: an
    escape such as `{{ "\\u202e" }}` prints what the template text may not hold."""
    for constant in tree.find_all(nodes.Const):
        if isinstance(constant.value, str):
            for refused in refusals(constant.value, TEXT):
                yield constant.lineno, refused.message("in a template string")


def _texts(data: bytes) -> list[str]:
    return [element.text for element in _parse(data).iter() if element.text]


def party_attribute_problems(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """`party.x` where `party` walks `parties` or `signatories` and x is not a PartyView field."""
    for loop in tree.find_all(nodes.For):
        if not (
            isinstance(loop.iter, nodes.Name)
            and loop.iter.name in PARTY_LISTS
            and isinstance(loop.target, nodes.Name)
        ):
            continue
        target = loop.target.name
        for child in loop.body:
            for attribute in child.find_all(nodes.Getattr):
                node = attribute.node
                if (
                    isinstance(node, nodes.Name)
                    and node.name == target
                    and attribute.attr not in PARTY_FIELDS
                ):
                    yield attribute.lineno, f"{target}.{attribute.attr}"
    for attribute in tree.find_all(nodes.Getattr):
        node = attribute.node
        if (
            isinstance(node, nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and node.node.name in PARTY_LISTS
            and attribute.attr not in PARTY_FIELDS
        ):
            yield attribute.lineno, f"{node.node.name}[...].{attribute.attr}"


# ------------------------------------------------------------------------- HTML and CSS


def html_template_problems(root: Path) -> list[Problem]:
    """Syntax and unknown names of agreement.html, parsed by the project's environment."""
    from procuregen.environment import make_environment

    path = root / "agreement.html"
    environment = make_environment("html", template_root=root)
    try:
        source = _read_text(path)
        tree = environment.parse(source, "agreement.html", str(path))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [_problem(path, f"cannot be read: {exc}")]
    except TemplateSyntaxError as exc:
        return [_problem(path, f"template syntax: {exc.message}", exc.lineno or 0)]
    problems: list[Problem] = []
    known = CONTEXT_NAMES | set(environment.globals)
    names = _free_names(tree)
    for name, line in sorted(names.items()):
        if name not in known:
            problems.append(_problem(path, f"unknown placeholder name {name!r}", line))
    for line, dotted in party_attribute_problems(tree):
        problems.append(_problem(path, f"{dotted} is not a party field", line))
    if not refusals(source, TEXT):  # else reported with the file's text
        for line, message in literal_refusals(tree):
            problems.append(_problem(path, message, line))
    return problems


def _free_names(tree: nodes.Template) -> dict[str, int]:
    """Free names of a template, each with the first line it is used on."""
    free = meta.find_undeclared_variables(tree)
    lines: dict[str, int] = {}
    for name in tree.find_all(nodes.Name):
        if name.name in free and name.ctx == "load":
            lines.setdefault(name.name, name.lineno)
    return {name: lines.get(name, 0) for name in free}


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_TEXT:
        raise ValueError(f"larger than {megabytes(MAX_TEXT)}")
    return path.read_text(encoding="utf-8")


_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_TAG = re.compile(r"<([A-Za-z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
# (tag or "*", attribute): attributes whose URL a renderer fetches.
_FETCHED = {
    ("*", "src"),
    ("*", "srcset"),
    ("*", "xlink:href"),
    ("*", "poster"),
    ("*", "background"),
    ("object", "data"),
    ("link", "href"),
    ("image", "href"),
    ("use", "href"),
    ("feimage", "href"),
}


def reference_problems(root: Path) -> list[Problem]:
    """Every HTML, CSS or SVG file of the folder that refers to something outside it or
    holds a character the text policy refuses."""
    problems: list[Problem] = []
    real = root.resolve()
    files = []
    for index, path in enumerate(sorted(root.rglob("*"))):
        if index >= MAX_FILES:
            problems.append(_problem(root, f"more than {MAX_FILES} files"))
            break
        if path.suffix.lower() in (".html", ".htm", ".css", ".svg") and path.is_file():
            files.append(path)
    for path in files:
        if not path.resolve().is_relative_to(real):
            problems.append(_problem(path, "is a link that leaves the template folder"))
            continue
        try:
            text = _read_text(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(_problem(path, f"cannot be read: {exc}"))
            continue
        for line, column, refused in located(text, TEXT):
            problems.append(
                Problem(Location(str(path), line, column), refused.message("in the template text"))
            )
        for line, url in _urls(text, css=path.suffix.lower() == ".css"):
            reason = outside_reason(url, path.parent, real)
            if reason:
                problems.append(_problem(path, f"refers to {url!r}: {reason}", line))
    return problems


def _urls(text: str, *, css: bool) -> Iterator[tuple[int, str]]:
    """(line, URL) of every reference a renderer would fetch: CSS in any file, tags in markup."""

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    for pattern in (_CSS_URL, _CSS_IMPORT):
        for match in pattern.finditer(text):
            url = next((g for g in match.groups() if g is not None), "")
            yield line_of(match.start()), url.strip()
    if css:
        return
    for tag in _TAG.finditer(text):
        name = tag.group(1).lower()
        for attribute in _ATTRIBUTE.finditer(tag.group(2)):
            key = attribute.group(1).lower()
            if ("*", key) not in _FETCHED and (name, key) not in _FETCHED:
                continue
            value = next((g for g in attribute.groups()[1:] if g is not None), "")
            urls = [part.split()[0] for part in value.split(",") if part.strip()]
            for url in urls if key == "srcset" else [value.strip()]:
                yield line_of(tag.start()), url


def outside_reason(url: str, base: Path, root: Path) -> str | None:
    """Why `url`, written in a file in `base`, is not a file of the template folder `root`."""
    if not url or url.startswith("#"):
        return None
    if "{{" in url or "{%" in url:
        return "a URL computed by the template; only files of the folder or data: URLs"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return None
    if scheme:
        return f"the {scheme}: scheme is refused; only files of the folder or data: URLs"
    if parts.netloc or url.startswith("//"):
        return "another host is refused; only files of the folder or data: URLs"
    path = unquote(parts.path)
    if path.startswith(("/", "\\")):
        return "an absolute path; only paths relative to the template folder"
    target = (base / path).resolve()
    if not target.is_relative_to(root):
        return "leaves the template folder"
    if not target.is_file():
        return "no such file in the template folder"
    return None


# ---------------------------------------------------------------------------- template init


def init_template(target: Path) -> list[Path]:
    """Copy the bundled template into `target` (created if need be); never overwrites.

    Every file is checked before any is written: an existing one stops it all.
    """
    from procuregen.errors import OutputError
    from procuregen.output import create_folder, write_new

    source = bundled_root("templates") / "default"
    paths = [target / name for name in Template.FILES]
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing:
        raise OutputError(
            [Problem(Location(str(p)), "already exists; not overwritten") for p in existing]
        )
    if target.exists() and not target.is_dir():
        raise OutputError(Problem(Location(str(target)), "exists and is not a folder"))
    create_folder(target)
    for name, path in zip(Template.FILES, paths, strict=True):
        write_new(path, (source / name).read_bytes())
    return paths
