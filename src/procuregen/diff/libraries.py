"""Two clause libraries compared clause by clause: folders, or git revisions of one folder.

A `git:REV` side is read from the repository's object store (`git ls-tree` for the file
list, `git cat-file --batch` for the contents) into a temporary folder; the work tree is
never touched, so a revision can be compared while someone edits the folder.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from procuregen.diff.model import ClauseDiff, Comparison, Kind, TextDiff
from procuregen.diff.words import deleted, inserted, word_diff
from procuregen.errors import LibraryError, Location, Problem, ProcuregenError, sorted_problems
from procuregen.library import Clause, Library, library_path, load_library
from procuregen.translation import Translation

GIT_PREFIX = "git:"


def compare_libraries(a: str, b: str, library_dir: Path | None) -> Comparison:
    """Load both sides (every problem of both reported at once) and compare them."""
    with tempfile.TemporaryDirectory(prefix="procuregen-diff-") as scratch:
        libraries: list[Library] = []
        problems: list[Problem] = []
        for name, side in (("a", a), ("b", b)):
            try:
                libraries.append(open_library(side, library_dir, Path(scratch) / name))
            except ProcuregenError as error:
                problems.extend(error.problems)
        if problems:
            raise LibraryError(sorted_problems(problems))
        return diff_libraries(libraries[0], libraries[1], a, b)


def open_library(side: str, library_dir: Path | None, scratch: Path) -> Library:
    """A library folder, or `git:REV` of the --library folder read into `scratch`."""
    if not side.startswith(GIT_PREFIX):
        return load_library(library_path(None, Path(side)))
    revision = side[len(GIT_PREFIX) :]
    if library_dir is None:
        raise LibraryError(
            Problem(Location(side), "a git revision needs --library DIR, the library's folder")
        )
    if not revision or revision.startswith("-"):
        raise LibraryError(Problem(Location(side), "name a git revision after git:"))
    shown = f"{side}:{library_dir}"
    top = _git(library_dir, shown, "rev-parse", "--show-toplevel").decode().strip()
    prefix = library_dir.resolve().relative_to(Path(top).resolve()).as_posix()
    commit = _git(
        Path(top), side, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"
    ).decode()
    entries = list(_tree(Path(top), commit.strip(), prefix, side))
    if not entries:
        raise LibraryError(Problem(Location(shown), f"no files in {prefix} at {revision}"))
    contents = _blobs(Path(top), [sha for _, sha in entries], side)
    scratch.mkdir(parents=True)
    for (path, _), content in zip(entries, contents, strict=True):
        target = scratch / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    try:
        return load_library(library_path(None, scratch))
    except ProcuregenError as error:
        raise LibraryError([_relocated(p, scratch, f"{side}:") for p in error.problems]) from None


def _relocated(problem: Problem, scratch: Path, name: str) -> Problem:
    """A problem found in the temporary copy, located as `git:REV:path`."""
    file = problem.location.file
    root = str(scratch)
    if file.startswith(root):
        file = name + file[len(root) :].lstrip("/")
    location = Location(file, problem.location.line, problem.location.column)
    return Problem(location, problem.message, problem.warning)


def _git(cwd: Path, side: str, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            timeout=120,
        )
    except FileNotFoundError:
        raise LibraryError(Problem(Location(side), "git is not installed")) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LibraryError(Problem(Location(side), f"cannot run git: {exc}")) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1] if message else "no such revision"
        if args[:1] == ("rev-parse",) and "--verify" in args:
            reason = f"no such revision in {cwd}"
        raise LibraryError(Problem(Location(side), f"git {args[0]}: {reason}"))
    return done.stdout


def _tree(top: Path, commit: str, prefix: str, side: str) -> Iterator[tuple[str, str]]:
    """(path below prefix, blob id) of every regular file under prefix at commit."""
    listing = _git(top, side, "ls-tree", "-r", "-z", "--full-tree", commit)
    base = "" if prefix == "." else prefix.rstrip("/") + "/"
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        info, _, raw_path = entry.partition(b"\t")
        mode, kind, sha = info.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode not in ("100644", "100755") or not path.startswith(base):
            continue  # links and submodules are not part of a library
        relative = path[len(base) :]
        if ".." in relative.split("/"):
            continue
        yield relative, sha


def _blobs(top: Path, shas: list[str], side: str) -> list[bytes]:
    """The contents of many blobs through one `git cat-file --batch`."""
    output = _git(top, side, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in shas).encode())
    contents: list[bytes] = []
    position = 0
    for _ in shas:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        size = int(header[2])
        contents.append(output[end + 1 : end + 1 + size])
        position = end + 1 + size + 1
    return contents


# ---------------------------------------------------------------------------------------


def diff_libraries(old: Library, new: Library, a: str, b: str) -> Comparison:
    """Every clause that was added, removed, moved, renumbered or changed, in B's order."""
    notes = list(_library_notes(old, new))
    ids = list(new.clauses) + [i for i in old.clauses if i not in new.clauses]
    sections = list(new.meta.sections) + [
        s for s in old.meta.sections if s not in new.meta.sections
    ]

    def position(clause_id: str) -> tuple[int, int, str]:
        clause = new.clauses.get(clause_id) or old.clauses[clause_id]
        return (sections.index(clause.meta.section), clause.meta.order, clause_id)

    clauses: list[ClauseDiff] = []
    unchanged = 0
    for clause_id in sorted(ids, key=position):
        before, after = old.clauses.get(clause_id), new.clauses.get(clause_id)
        if before is None:
            assert after is not None
            clauses.append(_added(after, old))
        elif after is None:
            clauses.append(_removed(before, new))
        else:
            found = _changed(before, after)
            if found is None:
                unchanged += 1
            else:
                clauses.append(found)
    return Comparison(
        "libraries",
        f"{a} ({old.id} {old.meta.version})",
        f"{b} ({new.id} {new.meta.version})",
        tuple(notes),
        tuple(clauses),
        unchanged,
    )


def _library_notes(old: Library, new: Library) -> Iterator[str]:
    a, b = old.meta, new.meta
    for name in ("id", "title", "version", "license"):
        if getattr(a, name) != getattr(b, name):
            yield f"library {name} {getattr(a, name)} → {getattr(b, name)}"
    if a.languages != b.languages:
        yield f"languages {', '.join(a.languages)} → {', '.join(b.languages)}"
    for section in b.sections:
        if section not in a.sections:
            yield f"section {section} added ({b.sections[section].title})"
        elif a.sections[section] != b.sections[section]:
            yield (
                f"section {section}: title {a.sections[section].title} → "
                f"{b.sections[section].title}"
                if a.sections[section].title != b.sections[section].title
                else f"section {section} changed"
            )
    for section in a.sections:
        if section not in b.sections:
            yield f"section {section} removed ({a.sections[section].title})"
    for kind in sorted(set(a.documents) | set(b.documents)):
        da, db = a.documents.get(kind), b.documents.get(kind)
        if da is None:
            yield f"document {kind} added"
        elif db is None:
            yield f"document {kind} removed"
        else:
            for part in ("sections", "schedules"):
                pa, pb = getattr(da, part), getattr(db, part)
                if pa != pb:
                    yield f"document {kind} {part} {_listed(pa)} → {_listed(pb)}"
            if da.title != db.title:
                yield f"document {kind} title {da.title} → {db.title}"


def _listed(items: Any) -> str:
    return ", ".join(items) if items else "none"


def _whole(clause: Clause, segments: Any) -> tuple[TextDiff, ...]:
    """Every text of a clause, as one side's segments (all inserted or all deleted)."""
    texts = [TextDiff("body", segments(clause.body))]
    for term, definition in clause.meta.defines.items():
        texts.append(TextDiff(f"definition of “{term}”", segments(definition)))
    for language, translation in sorted(clause.translations.items()):
        texts.append(TextDiff(f"body ({language})", segments(translation.body)))
    return tuple(texts)


def _added(clause: Clause, old: Library) -> ClauseDiff:
    meta = clause.meta
    notes = [
        f"added in section {meta.section}, order {meta.order}: version {meta.version}, "
        f"{meta.status}"
    ]
    if meta.when:
        notes.append(f"condition: {meta.when}")
    if meta.slot:
        notes.append(_slot_words(meta.slot, meta.default))
    formerly = [alias for alias in meta.aliases if alias in old.clauses]
    if formerly:
        notes.append(f"replaces {', '.join(formerly)} (listed in aliases)")
    return ClauseDiff(
        clause.id, meta.title, meta.section, ("added",), tuple(notes), _whole(clause, inserted)
    )


def _removed(clause: Clause, new: Library) -> ClauseDiff:
    meta = clause.meta
    notes = [f"removed from section {meta.section}: was version {meta.version}, {meta.status}"]
    successor = new.resolve_alias(clause.id)
    if successor is not None:
        notes.append(f"now called {successor} (an alias there)")
    return ClauseDiff(
        clause.id, meta.title, meta.section, ("removed",), tuple(notes), _whole(clause, deleted)
    )


def _slot_words(slot: str, default: bool) -> str:
    return f"a position of slot {slot}" + (", its default" if default else "")


def _changed(old: Clause, new: Clause) -> ClauseDiff | None:
    a, b = old.meta, new.meta
    kinds: list[Kind] = []
    notes: list[str] = []
    texts: list[TextDiff] = []
    if a.section != b.section:
        kinds.append("moved")
        notes.append(f"moved from section {a.section} to {b.section}")
    if a.order != b.order:
        kinds.append("renumbered")
        notes.append(f"order {a.order} → {b.order}")
    placed = len(notes)
    notes.extend(_front_matter(old, new))
    if a.title != b.title:
        texts.append(TextDiff("title", word_diff(a.title, b.title)))
    if old.body != new.body:
        texts.append(TextDiff("body", word_diff(old.body, new.body)))
    texts.extend(_definitions(a.defines, b.defines, notes, ""))
    if a.source != b.source:
        texts.append(TextDiff("source", word_diff(a.source, b.source)))
    for language in sorted(set(old.translations) | set(new.translations)):
        before, after = old.translations.get(language), new.translations.get(language)
        texts.extend(_translation(before, after, language, notes))
    worded = {"title", "body"}
    if a.version == b.version and any(
        t.label in worded or t.label.startswith("definition of “") for t in texts
    ):
        notes.append(f"its text changed but its version did not (still {a.version})")
    if texts or len(notes) > placed:
        kinds.append("changed")
    elif not kinds and old.sha256 != new.sha256:
        kinds.append("changed")
        notes.append("the file changed, but not its front matter or text (layout only)")
    if not kinds:
        return None
    return ClauseDiff(new.id, b.title, b.section, tuple(kinds), tuple(notes), tuple(texts))


def _front_matter(old: Clause, new: Clause) -> Iterator[str]:
    """Front matter changes in plain words (section and order are reported as moves)."""
    a, b = old.meta, new.meta
    if a.version != b.version:
        yield f"version {a.version} → {b.version}"
    if a.status != b.status:
        yield f"status {a.status} → {b.status}"
    if a.documents != b.documents:
        yield f"documents {_listed(a.documents)} → {_listed(b.documents)}"
    if a.when != b.when:
        if a.when is None:
            yield f"condition added: {b.when} (was: always in)"
        elif b.when is None:
            yield f"condition removed (was: {a.when}); now always in"
        else:
            yield f"condition {a.when} → {b.when}"
    for flag, words in (
        ("mandatory", "mandatory (a spec cannot exclude it)"),
        ("optional", "optional (in only when a spec includes it)"),
    ):
        if getattr(a, flag) != getattr(b, flag):
            yield ("now " if getattr(b, flag) else "no longer ") + words
    if a.slot != b.slot:
        if a.slot is None:
            yield f"now {_slot_words(str(b.slot), b.default)}"
        elif b.slot is None:
            yield f"no longer a position of slot {a.slot}"
        else:
            yield f"slot {a.slot} → {b.slot}"
    elif a.default != b.default and b.slot is not None:
        yield (
            f"now the default position of slot {b.slot}"
            if b.default
            else f"no longer the default position of slot {b.slot}"
        )
    yield from _set_change("requires", a.requires, b.requires)
    yield from _set_change("conflicts with", a.conflicts, b.conflicts)
    yield from _set_change("former ids", a.aliases, b.aliases, prefix="")


def _set_change(
    words: str, old: tuple[str, ...], new: tuple[str, ...], prefix: str = "now "
) -> Iterator[str]:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    if prefix:
        if added:
            yield f"{prefix}{words} {', '.join(added)}"
        if removed:
            yield f"no longer {words} {', '.join(removed)}"
        return
    if added:
        yield f"{words} added: {', '.join(added)}"
    if removed:
        yield f"{words} removed: {', '.join(removed)}"


def _definitions(
    old: Mapping[str, str], new: Mapping[str, str], notes: list[str], language: str
) -> Iterator[TextDiff]:
    suffix = f" ({language})" if language else ""
    for term in new:
        if term not in old:
            notes.append(f"now defines “{term}”{suffix}")
            yield TextDiff(f"definition of “{term}”{suffix}", inserted(new[term]))
        elif old[term] != new[term]:
            yield TextDiff(f"definition of “{term}”{suffix}", word_diff(old[term], new[term]))
    for term in old:
        if term not in new:
            notes.append(f"no longer defines “{term}”{suffix}")
            yield TextDiff(f"definition of “{term}”{suffix}", deleted(old[term]))


def _translation(
    old: Translation | None, new: Translation | None, language: str, notes: list[str]
) -> Iterator[TextDiff]:
    label = f"body ({language})"
    if old is None:
        assert new is not None
        notes.append(f"translation ({language}) added, translating version {new.meta.translates}")
        yield TextDiff(label, inserted(new.body))
        return
    if new is None:
        notes.append(f"translation ({language}) removed")
        yield TextDiff(label, deleted(old.body))
        return
    if old.meta.translates != new.meta.translates:
        notes.append(
            f"translation ({language}) translates version {old.meta.translates} → "
            f"{new.meta.translates}"
        )
    if old.meta.title != new.meta.title:
        yield TextDiff(f"title ({language})", word_diff(old.meta.title, new.meta.title))
    if old.body != new.body:
        yield TextDiff(label, word_diff(old.body, new.body))
    yield from _definitions(old.meta.defines, new.meta.defines, notes, language)
