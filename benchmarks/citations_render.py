"""Browser render cost of a grounded reply: the committed bubble with and without its citations.

In the test harness page (tests/browser/harness/, the committed bundle) in Debian's Chromium: one
reply of about 20,000 characters of markdown (numbered paragraphs with bold, a link and an emoji
each), rendered as a committed message, first without citations, then with ``--citations`` spans
over 7 sources (highlights, source numbers, the Sources list). Measured in the page through the
window.__coWidgetStats hook: the milliseconds of the frames that render it (median of
``--runs``, alternating the two). The highlighting should add little to the plain render.

    PYTHONPATH=. python benchmarks/citations_render.py [--chars 20000] [--citations 60] [--runs 7]

A benchmark, not a test: it prints figures and exits 0.
"""

from __future__ import annotations

import argparse
import statistics

from tests.support.browser import launch_chromium, serve_harness

PARAGRAPH = (
    "Coca-Cola 🥤 was invented in 1886 by John Pemberton, a **pharmacist** in Atlanta, and sold "
    "at [Jacobs' Pharmacy](https://example.com) for five cents a glass."
)
QUOTE = "invented in 1886"

RENDER = """(messages) => {
    window.__coWidgetStats = {frames: []};
    harness.setup({messages});
    return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
        () => done(window.__coWidgetStats.frames.reduce((a, b) => a + b, 0)))));
}"""


def grounded_reply(chars: int, count: int) -> tuple[str, list[dict]]:
    text = "\n\n".join(f"{i}. {PARAGRAPH}" for i in range(chars // len(PARAGRAPH) + 1))[:chars]
    citations = []
    start = text.find(QUOTE)
    while start >= 0 and len(citations) < count:
        doc = f"d{len(citations) % 7}"
        source = {"type": "document", "id": doc, "document": {"title": doc, "text": PARAGRAPH}}
        # Offsets in code points, as Cohere counts them (Python's str counts the same way).
        citations.append(
            {"start": start, "end": start + len(QUOTE), "text": QUOTE, "sources": [source]}
        )
        start = text.find(QUOTE, start + 1)
    return text, citations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--citations", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    text, citations = grounded_reply(args.chars, args.citations)

    from playwright.sync_api import sync_playwright

    with serve_harness() as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("window.harnessReady === true")
        print(f"reply: {len(text)} characters, {len(citations)} citations")
        cases = {"plain": [], "cited": citations}
        times: dict[str, list[float]] = {label: [] for label in cases}
        marks = {}
        # Alternated, after one warm-up run each, so neither side pays for the JIT alone.
        for run in range(args.runs + 1):
            for label, cited in cases.items():
                reply = {"role": "assistant", "content": text, "citations": cited}
                took = page.evaluate(RENDER, [{"role": "user", "content": "q"}, reply])
                if run:
                    times[label].append(took)
                marks[label] = page.locator(".co-cite").count()
        for label, taken in times.items():
            median = statistics.median(taken)
            print(f"{label:>6}: median {median:6.1f} ms render, {marks[label]} marks")
        browser.close()


if __name__ == "__main__":
    main()
