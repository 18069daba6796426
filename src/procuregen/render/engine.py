"""Importing WeasyPrint without the subprocesses its library lookup would start.

WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi, trying several names for
each. For a name that is not a file, cffi asks `ctypes.util.find_library`, which on
Linux runs `ldconfig -p` and then `gcc` and `ld` (about 200 processes for one import,
a sixth of a short PDF's time). Every list of names also holds the library's soname,
which the dynamic loader opens directly, so the search is skipped while importing; if
the import fails that way, it is retried with the search.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


def import_weasyprint() -> ModuleType:
    """The weasyprint module, imported once per process."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    if sys.platform.startswith("linux"):
        try:
            with _no_library_search():
                return importlib.import_module("weasyprint")
        except OSError:
            for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
                del sys.modules[name]
    return importlib.import_module("weasyprint")


@contextmanager
def _no_library_search() -> Iterator[None]:
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search
