"""Opening a long conversation in real JupyterLab: the longest main-thread task, time to the newest
message visible and time to the whole list, side by side with a naive view in the same page.

Two scenes, each in Debian's Chromium through the browser tests' isolated `jupyter lab`:

1. open: a chat of 500 messages (paragraphs, lists, tables, code, inline math) is displayed by
   running a cell;
2. reopen: a notebook saved with the widget state of a 1,000-message chat is opened again with
   no kernel running, so the view comes from the saved state alone.

Measured from the moment the view's root enters the page (a MutationObserver stamps it with
performance.mark), until
* the newest message is rendered inside the visible part of the list ("newest visible"), and
* every message is rendered ("whole list").
The longest task is read from a Chrome trace (RunTask on the page's main thread) between those
marks, so it counts style, layout and paint too, not only the widget's own script. The baseline,
in the same page and the same run: the same scene with time slicing switched off
(window.__coWidgetNaive, read by js/src/render/budget.js), so every message renders in the view's
first frame, as a naive view would. Each scene runs `--rounds` times, alternating the two, each
after a fresh page load; the report gives the median and the range.

Budgets (issue 16): no task over 16 ms while the view opens, the newest message visible within
100 ms, and the 1,000-message chat reopened (whole list) in under 1 s.

    python benchmarks/open_view.py [--open 500] [--reopen 1000] [--rounds 3]

A benchmark, not a test: it prints PASS/FAIL against the budgets and exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

BUDGET_TASK_MS = 16.0
BUDGET_NEWEST_MS = 100.0
BUDGET_REOPEN_MS = 1000.0

# The kernel's side: a FakeCohere (never asked here) and a long, varied conversation.
SETUP_CELL = """\
from co_widget import Chat
from co_widget.testing import FakeCohere

fake = FakeCohere().start()
BLOCKS = [
    "A paragraph about **bottling** and *distribution*, with `inline code` and a [link](https://example.com).",
    "- first point\\n- second point with more words in it\\n- third",
    "| year | units |\\n|---|---|\\n| 1886 | 9 |\\n| 1900 | 120 |",
    "```python\\ndef total(values):\\n    return sum(v for v in values if v)\\n```",
    "Growth was about $r = 0.07$ a year, so $e^{{rt}}$ doubles in ten years.",
]


def answer(i):
    return "\\n\\n".join(BLOCKS[j % len(BLOCKS)] for j in range(i, i + 3))


def conversation(n):
    return [
        {{"role": "user", "content": f"Question {{i}}: tell me more about part {{i}}."}}
        if i % 2 == 0
        else {{"role": "assistant", "content": answer(i)}}
        for i in range(n)
    ]


chat = Chat(base_url=fake.url, api_key="benchmark", title="{title}")
chat.history = conversation({count})"""

# Runs in the page before JupyterLab: marks when a view's root enters the page, then when its
# newest message is visible and when the list is whole; window.__open resolves with the times.
WATCH = """(() => {
  // The naive baseline: set before a navigation, so it holds from the page's first view on.
  window.__coWidgetNaive = sessionStorage.getItem("coWidgetNaive") === "1";
  window.__open = new Promise((resolve) => {
    const watch = (root) => {
      performance.mark("co-view");
      const t0 = performance.now();
      const times = {};
      // Cheap reads only (no query of every message): the poll runs in every frame it measures.
      const poll = () => {
        const list = root.querySelector(".co-list");
        const newest = list?.lastElementChild;
        if (!times.newest && newest && Number(newest.dataset.index) === window.__expected - 1) {
          const box = newest.getBoundingClientRect(), view = list.getBoundingClientRect();
          if (box.bottom > view.top && box.top < view.bottom) {
            performance.mark("co-newest");
            times.newest = performance.now() - t0;
          }
        }
        if ((list?.childElementCount ?? 0) >= window.__expected) {
          performance.mark("co-whole");
          times.whole = performance.now() - t0;
          resolve(times);
        } else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    };
    const observer = new MutationObserver(() => {
      const root = document.querySelector(".co-widget");
      if (root) {
        observer.disconnect();
        watch(root);
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  });
})();"""

TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink.user_timing",
]


def longest_task(trace: bytes, start: str, end: str) -> float:
    """The longest main-thread task (ms) of the page between two performance marks."""
    events = json.loads(trace)["traceEvents"]
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    marks = {e["name"]: e["ts"] for e in events if e.get("name") in (start, end)}
    if start not in marks or end not in marks:
        raise RuntimeError(f"the trace lacks the marks {start!r} and {end!r}")
    tasks = [
        e["dur"] / 1000
        for e in events
        if e.get("name") == "RunTask"
        and e.get("ph") == "X"
        and (e["pid"], e["tid"]) in main
        and e["ts"] + e["dur"] >= marks[start]
        and e["ts"] <= marks[end]
    ]
    return max(tasks, default=0.0)


def set_naive(page, naive: bool) -> None:
    """Time slicing off (the baseline) or on, for this page and the next ones of its tab."""
    page.evaluate(
        "(naive) => { window.__coWidgetNaive = naive;"
        " sessionStorage.setItem('coWidgetNaive', naive ? '1' : '0'); }",
        naive,
    )


TRACES: Path | None = None  # --traces: where to keep each run's Chrome trace


def traced(page, browser, count: int, show, name: str) -> dict:
    """Calls `show()`, which makes a view of `count` messages appear, and times it."""
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    show()
    page.evaluate(f"window.__expected = {count}")
    times = page.evaluate("() => window.__open")
    page.wait_for_timeout(200)  # the marks reach the trace
    trace = browser.stop_tracing()
    if TRACES:
        (TRACES / f"{name}.json").write_bytes(trace)
    times["task"] = longest_task(trace, "co-view", "co-whole")
    return times


def open_scene(page, browser, notebook, server, count: int, naive: bool, tag: str) -> dict:
    name = server.write_notebook(
        f"open-{count}-{tag}.ipynb", SETUP_CELL.format(count=count, title="Open"), setup=False
    )
    notebook.open(name).run_all()
    set_naive(page, naive)
    page.evaluate(f"window.__expected = {count}")
    return traced(
        page, browser, count, lambda: notebook.run_cell("chat", wait=False), f"open-{tag}"
    )


def reopen_scene(page, browser, notebook, server, count: int, naive: bool, tag: str) -> dict:
    name = server.write_notebook(
        f"reopen-{count}-{tag}.ipynb",
        SETUP_CELL.format(count=count, title="Reopened"),
        "chat",
        setup=False,
    )
    notebook.open(name).run_all()
    notebook.chat().root.locator(".co-msg").nth(count - 1).wait_for(state="attached")
    notebook.save()  # with the widget state (the browser tests' server saves it)
    server.shutdown_kernels()
    set_naive(page, naive)  # for the reload below (sessionStorage outlives it)
    page.goto("about:blank")
    return traced(page, browser, count, lambda: notebook.open(name), f"reopen-{tag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=500, help="messages in the opened chat")
    parser.add_argument("--reopen", type=int, default=1000, help="messages in the saved chat")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each scene")
    parser.add_argument("--traces", type=Path, help="a folder to keep each run's Chrome trace in")
    args = parser.parse_args()
    global TRACES
    TRACES = args.traces
    from tests.support.browser import CHROMIUM

    if not CHROMIUM.exists():
        print("open_view: skipped, /usr/bin/chromium is not installed")
        return
    with tempfile.TemporaryDirectory(prefix="open_view-") as tmp:
        results = measure(args, Path(tmp))
    report(args, results)


SCENES = {"open": open_scene, "reopen": reopen_scene}


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    from tests.e2e.e2e_support import Notebook, lab_page

    results: dict = {(scene, naive): [] for scene in SCENES for naive in (False, True)}
    with lab_page(tmp, WATCH) as (server, browser, page):
        notebook = Notebook(page, server)
        for round_ in range(args.rounds):
            for scene, run in SCENES.items():
                count = getattr(args, scene)
                for naive in (False, True):
                    tag = f"{'naive' if naive else 'sliced'}-{round_}"
                    results[scene, naive].append(
                        run(page, browser, notebook, server, count, naive, tag)
                    )
    return results


def summary(runs: list[dict], key: str) -> str:
    """Median, and the range when there are several runs."""
    values = sorted(run[key] for run in runs if key in run)
    if not values:
        return "—"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.1f}"
    return f"{median:.1f} ({values[0]:.1f}–{values[-1]:.1f})"


def report(args: argparse.Namespace, results: dict) -> None:
    budgets = {
        ("open", "newest"): BUDGET_NEWEST_MS,
        ("open", "task"): BUDGET_TASK_MS,
        ("reopen", "task"): BUDGET_TASK_MS,
        ("reopen", "whole"): BUDGET_REOPEN_MS,
    }
    print(
        f"Opening a long conversation in JupyterLab, ms from the view entering the page: median "
        f"(range) of {args.rounds} round(s); the baseline renders every message in one go"
    )
    print(f"{'scene':<26} {'figure':<15} {'co_widget':>20} {'baseline':>20} {'budget':>8}")
    ok = True
    for scene in SCENES:
        label = f"{scene} {getattr(args, scene):,} messages"
        for key, name in (
            ("newest", "newest visible"),
            ("whole", "whole list"),
            ("task", "longest task"),
        ):
            budget = budgets.get((scene, key))
            sliced = results[scene, False]
            if budget is not None:
                ok = ok and statistics.median(run.get(key, 1e9) for run in sliced) <= budget
            print(
                f"{label:<26} {name:<15} {summary(sliced, key):>20} "
                f"{summary(results[scene, True], key):>20} "
                f"{f'≤ {budget:g}' if budget else '':>8}"
            )
            label = ""
    worst = max(run["task"] for scene in SCENES for run in results[scene, False])
    print(f"longest task of any sliced run: {worst:.1f} ms")
    print(
        f"{'PASS' if ok else 'FAIL'} (medians): no task over {BUDGET_TASK_MS:g} ms while a view "
        f"opens, the newest message visible within {BUDGET_NEWEST_MS:g} ms, a "
        f"{args.reopen:,}-message chat whole within {BUDGET_REOPEN_MS:g} ms of its saved view "
        "appearing"
    )


if __name__ == "__main__":
    main()
