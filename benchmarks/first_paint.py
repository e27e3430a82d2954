"""Latency from the first server byte to the first painted character, through a real JupyterLab.

The whole path of a reply's first token, end to end on loopback: FakeCohere (in the kernel) ->
co_widget's client and stream parser -> the widget's comm -> the Jupyter server -> WebSocket ->
the view in Debian's Chromium -> paint. The server, kernel, notebook and browser are those of
the browser tests (tests/e2e/e2e_support.py): an isolated `jupyter lab` on 127.0.0.1.

Each round sends a message from the widget's composer. FakeCohere answers with message-start and
content-start, stalls (--stall, 0.2 s), then writes the first content-delta: its `on_write` hook
takes time.time() just before that write. So the streaming bubble is already on the page, as for
a model that takes a moment to start, and only the first token's trip is timed. In the page:

* message: a 'message' listener on Jupyter's WebSocket (added before Jupyter's own handler)
  stamps the first `delta` comm message of the round;
* frame: a requestAnimationFrame loop stamps the start of each frame's callbacks; the view
  renders at most once per frame, so the wait for the next frame is part of the latency;
* in the DOM: a MutationObserver on the widget stamps when the streaming bubble has text;
* painted: the view writes the DOM in an animation-frame callback, so a message-channel hop
  posted from the observer runs once that frame's style, layout and paint are done (as in
  browser_render.py; compositing to the screen follows off the main thread).

Page stamps are `performance.timeOrigin + performance.now()`; the page's offset from the system
clock (`Date.now()`, which is what time.time() reads) is measured and corrected. The floor, in
the same run: the bare comm trip of `Widget.send` from a kernel thread to the page's WebSocket.

    python benchmarks/first_paint.py [--rounds 10] [--stall 0.2]

A benchmark, not a test: it prints PASS/FAIL against the budget and exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

BUDGET_MS = 50.0
PROBE_GAP_S = 0.1
REPLY = "Hello! This first word is the one being timed; the rest follows in a few more deltas."

# The first cell: FakeCohere with a responder whose replies stall before their first token, and
# an on_write hook that stamps the write carrying that token; the probe sends bare comm messages.
SETUP_CELL = """\
import json
import threading
import time

import ipywidgets

from co_widget import Chat
from co_widget.testing import FakeCohere, Stream, text_events

first_bytes = []  # time.time() when each reply's first content-delta was written
replying = threading.Event()


def reply(request_json):
    replying.set()
    events = text_events({reply!r})
    return Stream(events, stall_after=2, stall_seconds={stall!r}, delay=0.01)


def on_write(data):
    now = time.time()
    if replying.is_set() and data.startswith(b"event: content-delta"):
        replying.clear()
        first_bytes.append(now)


def probe(count, gap):
    for _ in range(count):
        time.sleep(gap)
        ipywidgets.Widget.send(chat, {{"type": "co_probe", "co_probe": time.time()}})


fake = FakeCohere(responder=reply, on_write=on_write).start()
chat = Chat(base_url=fake.url, api_key="benchmark")
chat"""

# Runs in the page before JupyterLab: every WebSocket stamps, on arrival and before Jupyter's
# own handler, the first `delta` comm message of an armed round and every probe.
WEBSOCKET_HOOK = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const decoder = new TextDecoder();
  const fp = (window.__firstPaint = { armed: false, delta: null, bubble: false, probes: [] });
  fp.onDelta = () => {};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const at = now();
        const data = event.data;
        const text =
          typeof data === "string" ? data : data instanceof ArrayBuffer ? decoder.decode(data) : "";
        const probe = /"co_probe":\\s*([0-9.]+)/.exec(text);
        if (probe) fp.probes.push([Number(probe[1]) * 1000, at]);
        else if (fp.armed && fp.delta === null && /"type":\\s*"delta"/.test(text)) {
          fp.delta = at;
          fp.bubble = document.querySelector(".co-streaming") !== null;
          fp.onDelta();
        }
      });
    }
  };
})();"""

# Arms one round on the widget's root; window.__firstPaintRound resolves with its page stamps.
ARM = """(root) => {
  const now = () => performance.timeOrigin + performance.now();
  const fp = window.__firstPaint;
  Object.assign(fp, { armed: true, delta: null, bubble: false });
  // Stamps the start of each frame from the delta's arrival on. Requested by the WebSocket hook,
  // before Jupyter has seen the message, so in every frame this loop's callback runs before the
  // view's. Started only then, so an idle page wakes up for the delta as it would without it.
  let frame = null;
  let looping = true;
  const loop = () => {
    frame = now();
    if (looping) requestAnimationFrame(loop);
  };
  fp.onDelta = () => requestAnimationFrame(loop);
  window.__firstPaintRound = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 30000);
    const observer = new MutationObserver(() => {
      if (!root.querySelector(".co-streaming .co-md")?.textContent) return;
      const dom = now();
      observer.disconnect();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const paint = now();
        clearTimeout(timer);
        looping = false;
        fp.armed = false;
        resolve({ message: fp.delta, bubble: fp.bubble, frame, dom, paint });
      };
      channel.port2.postMessage(0);
    });
    observer.observe(root, { subtree: true, childList: true, characterData: true });
  });
}"""

# Date.now() - (timeOrigin + now()), both read together: Date.now() floors to the millisecond,
# so the largest difference over a few milliseconds of samples is the offset.
CLOCK_OFFSET = """() => {
  let best = -Infinity;
  const end = performance.now() + 5;
  while (performance.now() < end) {
    best = Math.max(best, Date.now() - (performance.timeOrigin + performance.now()));
  }
  return best;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--stall", type=float, default=0.2, help="seconds before the first token")
    args = parser.parse_args()
    from tests.support.browser import CHROMIUM

    if not CHROMIUM.exists():
        print("first_paint: skipped, /usr/bin/chromium is not installed")
        return
    with tempfile.TemporaryDirectory(prefix="first_paint-") as tmp:
        results = measure(args, Path(tmp))
    report(args, results)


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    # The browser tests' server and drivers.
    from tests.e2e.e2e_support import Notebook, lab_page

    with lab_page(tmp, WEBSOCKET_HOOK) as (server, _, page):
        name = server.write_notebook(
            "first_paint.ipynb", SETUP_CELL.format(reply=REPLY, stall=args.stall), setup=False
        )
        notebook = Notebook(page, server).open(name).run_all()
        ui = notebook.chat()
        offsets = [page.evaluate(CLOCK_OFFSET)]

        rounds = []
        for i in range(args.rounds + 1):  # the first one warms up, and is reported apart
            ui.root.evaluate(ARM)
            ui.type_and_enter(f"Round {i}: say hello.")
            stamps = page.evaluate("() => window.__firstPaintRound")
            if stamps is None or stamps["message"] is None:
                raise RuntimeError(f"round {i}: no first delta reached the page in 30 s")
            rounds.append(stamps)
            ui.wait_settled(i + 1)

        notebook.run_cell(f"probe({args.rounds}, {PROBE_GAP_S})")
        page.wait_for_function(
            f"() => window.__firstPaint.probes.length >= {args.rounds}",
            timeout=args.rounds * PROBE_GAP_S * 1000 + 30_000,
        )
        probes = page.evaluate("() => window.__firstPaint.probes")
        offsets.append(page.evaluate(CLOCK_OFFSET))
        stamps_file = server.root / "first_bytes.json"
        notebook.run_cell(
            f"import pathlib; pathlib.Path({str(stamps_file)!r})"
            ".write_text(json.dumps(first_bytes))"
        )
    first_bytes = json.loads(stamps_file.read_text(encoding="utf-8"))
    if len(first_bytes) != len(rounds):
        raise RuntimeError(f"{len(rounds)} rounds but {len(first_bytes)} first-byte stamps")
    return {"rounds": rounds, "first_bytes": first_bytes, "probes": probes, "offsets": offsets}


def report(args: argparse.Namespace, results: dict) -> None:
    # Page stamps to system time (ms): the mean of the offsets measured before and after.
    offset = statistics.fmean(results["offsets"])
    rows: dict[str, list[float]] = {
        "first server byte -> browser message": [],
        "browser message -> start of its render frame": [],
        "frame start -> text in the DOM": [],
        "text in the DOM -> painted": [],
        "first server byte -> painted": [],
    }
    for sent, stamps in zip(results["first_bytes"], results["rounds"], strict=True):
        byte = sent * 1000
        message, frame, dom, paint = (
            stamps[key] + offset for key in ("message", "frame", "dom", "paint")
        )
        values = (message - byte, frame - message, dom - frame, paint - dom, paint - byte)
        for label, value in zip(rows, values, strict=True):
            rows[label].append(value)
    warmup = {label: values.pop(0) for label, values in rows.items()}
    floor = [at + offset - sent for sent, at in results["probes"]]
    bubbles = sum(stamps["bubble"] for stamps in results["rounds"][1:])

    print(
        f"first paint through JupyterLab: {args.rounds} rounds (+1 warm-up), each reply stalled "
        f"{args.stall:g} s before its first token (Chromium headless, loopback)"
    )
    print(f"  {'ms':<46}{'min':>8}{'median':>8}{'p90':>8}")

    def row(label: str, values: list[float]) -> None:
        figures = (min(values), statistics.median(values), percentile(values, 0.9))
        print(f"  {label:<46}" + "".join(f"{v:>8.1f}" for v in figures))

    for label, values in rows.items():
        row(label, values)
    row("floor: kernel Widget.send -> browser message", floor)
    print(
        f"  warm-up round (the session's first reply): {warmup['first server byte -> painted']:.1f}"
        f" ms, of which {warmup['first server byte -> browser message']:.1f} ms to the browser"
    )
    print(
        f"  floor: {len(floor)} bare comm messages from a kernel thread, same server and page;"
        f" streaming bubble already shown at the first delta: {bubbles}/{args.rounds} rounds"
    )
    print(
        "  page clock - system clock: "
        + ", ".join(f"{o:+.2f}" for o in results["offsets"])
        + " ms (before, after the rounds; corrected)"
    )
    median = statistics.median(rows["first server byte -> painted"])
    verdict = "PASS" if median < BUDGET_MS else "FAIL"
    print(
        f"first server byte -> first painted character: median {median:.1f} ms "
        f"(budget < {BUDGET_MS:g} ms): {verdict}"
    )


if __name__ == "__main__":
    main()
