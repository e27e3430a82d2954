"""Browser render cost of a streaming reply: co_widget's view vs a naive renderer, side by side.

Both runs use the committed bundle in the test harness page (tests/browser/harness/) in Debian's
Chromium, each in a fresh page: 500 prior messages, then one 20,000-character markdown reply
(paragraphs, lists, tables, code blocks) arriving as 4,000 deltas at 250 deltas/s, several per
frame. Then the same again with a math-heavy reply (inline and display formulas, about one in
three blocks, with KaTeX already loaded, so every formula is typeset as it streams; --reply
picks one). Measured in the page:

* render ms per frame: co_widget reports the time spent in its frame function through the
  window.__coWidgetStats hook; the baseline's render calls are summed per animation frame;
* long tasks (PerformanceObserver "longtask", > 50 ms) from the first delta to the end;
* first paint: from the first delta message to the first animation frame after the character is
  in the DOM, plus a message-channel hop so the frame's paint has happened.

The naive baseline, written here and not in the bundle: on every delta, render the whole message
again (marked + DOMPurify + highlight.js, same pipeline) into a bubble appended to the same
500-message list, and scroll to the bottom; no frame batching, no caching.

    python benchmarks/browser_render.py [--deltas 4000] [--chars 20000] [--prior 500]
                                        [--reply mixed|math|both]

A benchmark, not a test: it prints PASS/FAIL against the budgets and exits 0 either way.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

DELTAS_PER_SECOND = 250
BUDGET_FRAME_P95_MS = 8.0
BUDGET_LONG_TASK_MS = 50.0
BUDGET_FIRST_PAINT_MS = 50.0

PHRASES = (
    "the model streams tokens into a bubble while the kernel stays free and the view renders",
    "only what changed since the last frame so a long reply costs as little as a short one",
    "cohere command chat widget notebook markdown cache stable prefix tail block fence",
)
WORDS = [word for phrase in PHRASES for word in phrase.split()]

CODE = {
    "python": [
        "def total(values: list[int]) -> int:",
        "    # add them up, skipping None",
        "    return sum(v for v in values if v is not None)",
        "",
        "class Reply:",
        '    """A streamed reply."""',
        "    def __init__(self, text=''):",
        "        self.text = text",
        "print(total([1, 2, 3]), Reply('hi').text)",
    ],
    "javascript": [
        "export function debounce(fn, ms = 100) {",
        "  let timer = 0;",
        "  return (...args) => {",
        "    clearTimeout(timer);",
        "    timer = setTimeout(() => fn(...args), ms);",
        "  };",
        "}",
        "const answer = { value: 42, label: 'life' };",
    ],
    "json": ['{"model": "command-a-03-2025",', ' "stream": true,', ' "temperature": 0.3}'],
    "bash": ["pip install co_widget", "jupyter lab --no-browser  # then open the notebook"],
}


INLINE_MATH = (
    "$x_i^2$",
    "$\\alpha + \\beta = \\gamma$",
    "$\\sqrt{a^2 + b^2}$",
    "$O(n \\log n)$",
    "$\\frac{p}{1 - p}$",
    "$e^{i\\pi} + 1 = 0$",
    "\\(\\lambda_{\\max}\\)",
)
DISPLAY_MATH = (
    "$$\\sum_{k=1}^{n} k^2 = \\frac{n(n+1)(2n+1)}{6}$$",
    "$$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$$",
    "$$\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}^{-1} = "
    "\\frac{1}{ad - bc}\\begin{pmatrix} d & -b \\\\ -c & a \\end{pmatrix}$$",
    "\\[ \\mathbb{E}[X] = \\sum_{x} x \\, P(X = x) \\]",
    "$$f(x) = \\begin{cases} x^2 & x \\ge 0 \\\\ -x & x < 0 \\end{cases}$$",
)


def math_block(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(DISPLAY_MATH)
    words = rng.choices(WORDS, k=rng.randint(10, 20))
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice(INLINE_MATH))
    return " ".join(words).capitalize() + "."


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}`"
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def code_block(rng: random.Random) -> str:
    lang = rng.choice(list(CODE))
    lines = [rng.choice(CODE[lang]) for _ in range(rng.randint(4, 14))]
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def block(rng: random.Random) -> str:
    kind = rng.choices(
        ["paragraph", "bullets", "numbers", "code", "heading", "table", "quote"],
        weights=[6, 2, 1, 2, 1, 1, 1],
    )[0]
    if kind == "bullets":
        return "\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(3, 6)))
    if kind == "numbers":
        return "\n".join(f"{i}. {sentence(rng)}" for i in range(1, rng.randint(3, 6)))
    if kind == "code":
        return code_block(rng)
    if kind == "heading":
        return f"## {' '.join(rng.choices(WORDS, k=3)).title()}"
    if kind == "table":
        rows = [f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {rng.choice(WORDS)} |"]
        return "| name | count | note |\n|---|---:|---|\n" + "\n".join(rows * rng.randint(2, 5))
    if kind == "quote":
        return f"> {sentence(rng)}"
    return paragraph(rng)


def markdown(rng: random.Random, chars: int, math: bool = False) -> str:
    blocks: list[str] = []
    while sum(len(b) + 2 for b in blocks) < chars:
        blocks.append(math_block(rng) if math and rng.random() < 0.35 else block(rng))
    return "\n\n".join(blocks)[:chars]


def conversation(rng: random.Random, count: int) -> list[dict]:
    messages = []
    for i in range(count):
        if i % 2 == 0:
            messages.append({"role": "user", "content": sentence(rng)})
        else:
            text = "\n\n".join(block(rng) for _ in range(rng.randint(1, 4)))
            messages.append({"role": "assistant", "content": text})
    return messages


def split(text: str, pieces: int, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), pieces - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


# One streaming session in the page, for either mode; it resolves with the raw timings.
RUN_JS = Path(__file__).with_suffix(".js").read_text(encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(mode: str, browser, url: str, payload: dict) -> dict:
    from tests.support.browser import NetworkGuard

    page = browser.new_page(viewport={"width": 1000, "height": 900})
    network = NetworkGuard()  # nothing may leave the machine; the harness only needs 127.0.0.1
    network.attach(page)
    page.goto(url)
    page.wait_for_function("window.harnessReady === true")
    result = page.evaluate(RUN_JS, {"mode": mode, **payload})
    page.close()
    if network.outside():
        raise SystemExit(f"the page tried to leave 127.0.0.1: {network.outside()}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=4000)
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--prior", type=int, default=500)
    parser.add_argument("--reply", choices=("mixed", "math", "both"), default="both")
    args = parser.parse_args()
    from tests.support.browser import CHROMIUM

    if not CHROMIUM.exists():
        print("browser_render: skipped, /usr/bin/chromium is not installed")
        return

    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium, serve_harness

    kinds = ("mixed", "math") if args.reply == "both" else (args.reply,)
    with serve_harness() as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for kind in kinds:
            rng = random.Random(20250101)
            reply = markdown(rng, args.chars, math=kind == "math")
            payload = {
                "prior": conversation(rng, args.prior),
                "reply": reply,
                "deltas": split(reply, args.deltas, rng),
                "rate": DELTAS_PER_SECOND,
                "preloadMath": kind == "math",
            }
            results = {mode: run(mode, browser, url, payload) for mode in ("widget", "naive")}
            if kind == "math":
                print(
                    f"math-heavy reply: {reply.count('$$') // 2 + reply.count(chr(92) + '[')}"
                    f" display and {len(re.findall(r'(?<![$])[$][^$ ]', reply)) // 2}"
                    " inline formulas (about)"
                )
            report(args, results, kind)
        browser.close()


def report(args: argparse.Namespace, results: dict[str, dict], kind: str) -> None:
    widget, naive = results["widget"], results["naive"]
    print(
        f"browser render: {args.prior} prior messages, then a {args.chars:,}-character {kind} "
        f"reply in {args.deltas:,} deltas at {DELTAS_PER_SECOND} deltas/s (Chromium, headless)"
    )

    def row(label: str, fn) -> None:
        print(f"  {label:<34}{fn(widget):>14}{fn(naive):>16}")

    print(f"  {'':<34}{'co_widget':>14}{'naive baseline':>16}")
    row("frames with render work", lambda r: f"{len(r['frames'])}")
    row("render ms per frame, p50", lambda r: f"{percentile(r['frames'], 0.5):.2f}")
    row("render ms per frame, p95", lambda r: f"{percentile(r['frames'], 0.95):.2f}")
    row("render ms per frame, max", lambda r: f"{max(r['frames']):.2f}")
    row("long tasks > 50 ms (count)", lambda r: f"{len(r['longTasks'])}")
    row("longest long task, ms", lambda r: f"{max(r['longTasks'], default=0):.0f}")
    row("first delta -> painted, ms", lambda r: f"{r['firstPaint']:.1f}")
    row("stream wall time, s", lambda r: f"{r['streamSeconds']:.1f}")
    row("characters shown at the end", lambda r: f"{r['shownChars']:,}")
    print(
        f"  opening the view: {args.prior} messages (code highlighted) in"
        f" {widget['initialRender']:.0f} ms,"
        f" longest frame {widget['initialSlice']:.1f} ms"
    )
    print(f"  final render of the committed reply: {widget['finalRender']:.1f} ms (once)")

    p95 = percentile(widget["frames"], 0.95)
    longest = max(widget["longTasks"], default=0.0)
    checks = [
        (f"p95 render per frame < {BUDGET_FRAME_P95_MS:g} ms", p95 < BUDGET_FRAME_P95_MS),
        (f"no long task > {BUDGET_LONG_TASK_MS:g} ms", longest <= BUDGET_LONG_TASK_MS),
        (
            f"first paint < {BUDGET_FIRST_PAINT_MS:g} ms",
            widget["firstPaint"] < BUDGET_FIRST_PAINT_MS,
        ),
    ]
    for label, ok in checks:
        print(f"  budget {label}: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
