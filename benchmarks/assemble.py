"""In-process assembly of the largest example, after start-up (library and spec loaded)."""

from __future__ import annotations

from benchmarks.common import largest_example, median_call, row

RUNS = 50


def main() -> list[str]:
    from procuregen.api import open_library
    from procuregen.assemble import assemble
    from procuregen.library import library_path, load_library
    from procuregen.spec import read_spec

    example = largest_example()
    spec_file = read_spec(example)
    library = open_library(spec_file, None)
    clauses = len(assemble(spec_file.spec, library)[0].clauses)
    root = library_path(None, None)
    return [
        row(
            f"assemble {example.name} ({clauses} clauses)",
            median_call(lambda: assemble(spec_file.spec, library), RUNS),
            RUNS,
        ),
        row("load the bundled library", median_call(lambda: load_library(root), RUNS), RUNS),
        row("read and validate the spec", median_call(lambda: read_spec(example), RUNS), RUNS),
    ]


if __name__ == "__main__":
    print("\n".join(main()))
