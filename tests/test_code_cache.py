"""The on-disk cache of compiled clause templates: private, content-addressed, optional."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from procuregen.code_cache import CodeCache
from procuregen.environment import make_environment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "national-agency-hosting.yaml"


def _draft(out: Path, env: dict[str, str]) -> bytes:
    out.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "procuregen",
            "draft",
            str(EXAMPLE),
            "-o",
            str(out),
            "--format",
            "docx",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (docx,) = out.glob("*.docx")
    return docx.read_bytes()


def test_cached_and_uncached_drafts_are_identical(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    uncached = _draft(tmp_path / "a", {"PROCUREGEN_NO_CACHE": "1"})
    assert not cache.exists()
    first = _draft(tmp_path / "b", {"PROCUREGEN_CACHE_DIR": str(cache)})
    entries = sorted(cache.iterdir())
    assert len(entries) > 50  # the library's clause bodies, conditions and the DOCX XML
    second = _draft(tmp_path / "c", {"PROCUREGEN_CACHE_DIR": str(cache)})
    assert sorted(cache.iterdir()) == entries  # every compile of the second run was a hit
    assert uncached == first == second


def test_cache_folder_and_entries_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    environment = make_environment("markdown", sources={"a": "{{ 1 + 1 }}"})
    environment.code_cache = CodeCache(folder)
    assert environment.get_template("a").render() == "2"
    assert folder.stat().st_mode & 0o777 == 0o700
    (entry,) = folder.iterdir()
    assert entry.stat().st_mode & 0o777 == 0o600


def test_folder_open_to_others_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    code = compile("result = 'planted'", "<x>", "exec")
    planted = CodeCache(tmp_path / "private")
    key = planted.key("anything")
    planted.store(key, code)
    (tmp_path / "private" / key).rename(folder / key)
    cache = CodeCache(folder)
    assert cache.load(key) is None  # a folder others may write is never read
    cache.store(cache.key("other"), code)
    assert [p.name for p in folder.iterdir()] == [key]  # nor written


def test_corrupt_or_foreign_entries_are_misses(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "cache")
    code = compile("x = 1", "<x>", "exec")
    key = cache.key("source")
    cache.store(key, code)
    assert cache.load(key) is not None
    entry = tmp_path / "cache" / key
    data = bytearray(entry.read_bytes())
    data[-1] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert cache.load(key) is None  # the digest no longer matches
    entry.unlink()
    entry.symlink_to(tmp_path / "elsewhere")
    assert cache.load(key) is None  # never followed through a link
    cache.store(key, code)
    entry.chmod(0o644)
    assert cache.load(key) is None  # an entry others may read was not written by us


def test_key_covers_source_and_environment(tmp_path: Path) -> None:
    markdown = make_environment("markdown", sources={"a": "{{ x }}"})
    html = make_environment("html")
    for environment in (markdown, html):
        environment.code_cache = CodeCache(tmp_path / "cache")
    markdown.get_template("a")
    html.from_string("{{ x }}")
    # Same source, different escaping and finalisation: two entries, no cross-talk.
    assert len(list((tmp_path / "cache").iterdir())) == 2
    assert html.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert markdown.get_template("a").render(x="<b>") != "&lt;b&gt;"
