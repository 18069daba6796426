"""What each feature of the PDF's layout costs WeasyPrint, against the floor.

The largest example's HTML is rendered and written (tagged PDF/A-3b, as `draft` does) with
one stylesheet rule changed at a time, in one process, variants alternating; the figure is
the median CPU time of WeasyPrint's render and write, so that other work on the machine
counts less. `floor` is `benchmarks/floor.py`'s minimal HTML of the same text; `no
stylesheet` is our HTML without agreement.css, which separates what our markup costs from
what our stylesheet asks.

    python -m benchmarks.layout            # every variant, 5 runs each (LAYOUT_RUNS)
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import time

from benchmarks.common import largest_example
from benchmarks.floor import minimal_html

RUNS = int(os.environ.get("LAYOUT_RUNS", "5"))
STYLESHEET = '<link rel="stylesheet" href="agreement.css">'

# name: the rule added after the stylesheet (or a whole other document, in capitals)
VARIANTS = {
    "this build": "",
    "contents leader of one dot per repetition (before issue 12's last change)": (
        ".contents a::after { content: leader('.') target-counter(attr(href), page) }"
    ),
    "list labels as floats (before issue 12's last change)": (
        "ol.items .label { display: block; float: left; width: 10mm; margin-left: -10mm }"
    ),
    "no contents leader": ".contents a::after { content: target-counter(attr(href), page) }",
    "no list labels at all": "ol.items .label { display: none }",
    "no running header and page numbers": (
        "@page { @top-right { content: none } @bottom-center { content: none } }"
    ),
    "text aligned left, not justified": ".clause-text, .definition { text-align: left }",
    "list items may break across pages": "ol.items li { page-break-inside: auto }",
    "one font instead of the fallback chain": "html { font-family: 'Liberation Serif', serif }",
    "no contents page": ".contents { display: none }",
    "no tables": "table { display: none }",
    "no bold or italic (markup removed)": "NO EMPHASIS",
    "no cross-reference links (markup removed, the contents' kept)": "NO LINKS",
    "our HTML without our stylesheet": "NO STYLESHEET",
    "floor: minimal HTML of the same text": "FLOOR",
}


def main() -> list[str]:
    from procuregen.api import build
    from procuregen.drafting import find_template
    from procuregen.render.engine import import_weasyprint
    from procuregen.render.html import render_html
    from procuregen.render.pdf import font_configuration

    example = largest_example()
    template = find_template("default", ())
    html = render_html(build(example)[2], template)
    floor = minimal_html(example)
    weasyprint = import_weasyprint()
    fonts = font_configuration(template)
    base_url = template.root.resolve().as_uri() + "/"

    contents_end = html.index("</nav>") + len("</nav>")  # the contents' links stay

    def document(rule: str) -> str:
        if rule == "FLOOR":
            return floor
        if rule == "NO STYLESHEET":
            return html.replace(STYLESHEET, "", 1)
        if rule == "NO EMPHASIS":
            return re.sub(r"</?(strong|em)>", "", html)
        if rule == "NO LINKS":
            return html[:contents_end] + re.sub(r"<a [^>]*>|</a>", "", html[contents_end:])
        return html.replace("</head>", f"<style>{rule}</style></head>", 1)

    def cpu_seconds(text: str) -> tuple[float, int]:
        gc.collect()
        started = time.process_time()
        rendered = weasyprint.HTML(string=text, base_url=base_url).render(
            font_config=fonts, pdf_variant="pdf/a-3b", pdf_tags=True
        )
        rendered.write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)
        return time.process_time() - started, len(rendered.pages)

    texts = {name: document(rule) for name, rule in VARIANTS.items()}
    cpu_seconds(texts["this build"])  # warm-up: fonts, caches
    samples: dict[str, list[float]] = {name: [] for name in texts}
    pages: dict[str, int] = {}
    for _ in range(RUNS):
        for name, text in texts.items():
            seconds, pages[name] = cpu_seconds(text)
            samples[name].append(seconds)
    base = statistics.median(samples["this build"])
    return [
        f"| {name} | {statistics.median(times) * 1000:.0f} ms | "
        f"{statistics.median(times) / base:.2f} | {pages[name]} |"
        for name, times in samples.items()
    ]


HEADER = "| PDF layout, largest example | WeasyPrint CPU time (median) | ratio | pages |"


if __name__ == "__main__":
    print(HEADER)
    print("|---|---|---|---|")
    for line in main():
        print(line, flush=True)
