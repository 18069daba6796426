"""Regenerate src/procuregen/data/osi-approved.txt from an SPDX licenses.json."""

import json
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "procuregen" / "data" / "osi-approved.txt"


def main(source: str) -> None:
    listing = json.loads(Path(source).read_text(encoding="utf-8"))
    ids = sorted(entry["licenseId"] for entry in listing["licenses"] if entry.get("isOsiApproved"))
    header = f"# OSI-approved identifiers, SPDX License List {listing['licenseListVersion']}\n"
    TARGET.write_text(header + "\n".join(ids) + "\n", encoding="utf-8")
    print(f"{len(ids)} identifiers written to {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1])
