"""A library's clause files at an earlier git revision, read through `git show`, never by
checking out: what lint's `--since` compares with."""

from __future__ import annotations

import subprocess
from pathlib import Path

from procuregen.errors import LibraryError, Location, Problem
from procuregen.frontmatter import read_markdown_text
from procuregen.library import read_library
from procuregen.lint import Finding


def files_at(root: Path, revision: str) -> dict[str, str]:
    """Every clause file of the library at `root` as it was at `revision`, by path relative
    to the library root; raises LibraryError when git cannot say."""
    root = root.resolve()

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise LibraryError(
                Problem(Location(str(root)), f"--since {revision}: git: {detail.strip()}")
            ) from None
        return done.stdout

    prefix = git("rev-parse", "--show-prefix").strip()
    listing = git("ls-tree", "-r", "--name-only", "--full-name", revision, "--", ".")
    files: dict[str, str] = {}
    for name in listing.splitlines():
        relative = name[len(prefix) :] if name.startswith(prefix) else name
        if relative.endswith(".md") and relative.count(".") == 1:
            files[relative] = git("show", f"{revision}:{name}")
    return files


def changed_without_bump(root: Path, revision: str) -> list[Finding]:
    """A finding for every clause whose text, condition or front matter changed since
    `revision` while its version stayed the same."""
    library, _ = read_library(root)
    if library is None:
        return []
    old = files_at(root, revision)
    findings: list[Finding] = []
    for clause in library.clauses.values():
        before = old.get(clause.path)
        if before is None:
            continue
        earlier = read_markdown_text(clause.file, before)
        if earlier is None:
            continue
        current = (library.root / clause.path).read_text(encoding="utf-8").replace("\r\n", "\n")
        old_version = (
            earlier.front.data.get("version") if isinstance(earlier.front.data, dict) else None
        )
        if current != before.replace("\r\n", "\n") and old_version == clause.meta.version:
            findings.append(
                Finding(
                    "error",
                    clause.at("version"),
                    f"version: {clause.id} changed since {revision} but is still "
                    f"{clause.meta.version}; raise it (patch for wording, minor for an "
                    "obligation, major for a position)",
                )
            )
    return findings
