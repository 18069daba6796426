"""Where the bundled clause libraries and templates are: in the wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

PACKAGE = Path(__file__).resolve().parent


def bundled_root(kind: Literal["clauses", "templates"]) -> Path:
    """The wheel ships them as procuregen/bundled/KIND; a source checkout has them at the top."""
    installed = PACKAGE / "bundled" / kind
    if installed.is_dir():
        return installed
    return PACKAGE.parent.parent / kind
