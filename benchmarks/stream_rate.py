"""Stream rate: co_widget vs the official SDK on the same local stream.

FakeCohere serves one identical 4,000-delta SSE stream (no pacing) to each, in alternation in this
one process, each building the reply text from the events:

* "co_widget chat": end to end through ``Chat.send`` and the widget (the worker thread, the
  Reply, the coalesced delta messages, the commit of the history), until ``reply.wait()``;
* "co_widget client": the HTTP client and parser alone;
* "cohere SDK": ``cohere.ClientV2.chat_stream``.

Between the client and the chat, the stages a chat adds, each run on its own so their costs
show: "+ Reply" (the client's events fed to a ``Reply``, which builds the message under its
lock), "+ coalescer" (and its visible pieces through a ``DeltaCoalescer`` whose messages go
nowhere). The rest of the chat's time is the worker thread, the delta messages' encoding and the
commit. Each stage's cost is printed as microseconds per 1,000 events.

Prints the median events/s of each, the ratios against the budgets (the chat >= 15x the SDK, the
client >= 5x), and the import time of each package, measured in fresh interpreters.

    python benchmarks/stream_rate.py [--rounds 7] [--deltas 4000]

A benchmark, not a test: it exits 0 whether or not the budget is met (a text that differs from
the stream's also makes the final line FAIL).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import cohere

from co_widget import Chat, Reply
from co_widget.request.params import build_chat_body
from co_widget.session.coalescer import DeltaCoalescer
from co_widget.testing import FakeCohere, Stream, text_events
from co_widget.wire.client import CohereClient
from co_widget.wire.events import ContentDelta

BUDGETS = {"co_widget chat": 15.0, "co_widget client": 5.0}
MODEL = "command-a-03-2025"
MESSAGES = [{"role": "user", "content": "Write a long story."}]
reply_events: list[dict] = []  # the served stream's events, set in main()


def chat_run(url: str) -> tuple[int, str]:
    chat = Chat(model=MODEL, base_url=url)
    text = chat.send(MESSAGES[0]["content"]).result()
    chat.close()
    return len(reply_events), text  # the chat consumed every event of the stream


def co_widget_run(url: str) -> tuple[int, str]:
    client = CohereClient(base_url=url)
    events = 0
    parts = []
    for event in client.chat_stream(build_chat_body(MODEL, MESSAGES, None, {})):
        events += 1
        if type(event) is ContentDelta and event.kind == "text":
            parts.append(event.text)
    client.close()
    return events, "".join(parts)


def staged_run(url: str, coalesce: bool) -> tuple[int, str]:
    """The client's events through a Reply (and, with ``coalesce``, a coalescer)."""
    client = CohereClient(base_url=url)
    reply = Reply()
    events = 0
    coalescer = DeltaCoalescer(lambda parts: None)
    with coalescer if coalesce else contextlib.nullcontext():
        for event in client.chat_stream(build_chat_body(MODEL, MESSAGES, None, {})):
            events += 1
            piece = reply._state.feed(event)
            if coalesce and piece is not None:
                coalescer.add(*piece)
    client.close()
    return events, reply.text


def sdk_run(url: str) -> tuple[int, str]:
    client = cohere.ClientV2(api_key="x", base_url=url)
    events = 0
    parts = []
    for event in client.chat_stream(model=MODEL, messages=MESSAGES):
        events += 1
        if event.type == "content-delta":
            parts.append(event.delta.message.content.text)
    return events, "".join(parts)


def timed(run: Callable[[str], tuple[int, str]], url: str) -> tuple[float, str]:
    start = time.perf_counter()
    events, text = run(url)
    return events / (time.perf_counter() - start), text


def import_time(statement: str, repeats: int = 3) -> float:
    """Median seconds to run an import statement in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    command = [sys.executable, "-c", code]
    runs = [
        subprocess.run(command, capture_output=True, check=True, text=True) for _ in range(repeats)
    ]
    return statistics.median(float(run.stdout) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds per client (>= 5)")
    parser.add_argument("--deltas", type=int, default=4000, help="content deltas in the stream")
    args = parser.parse_args()

    deltas = [f" w{i}" for i in range(args.deltas)]
    reply_events[:] = text_events(deltas=deltas)
    stream = Stream(reply_events, framing="sse")  # encoded once, served each time
    expected = "".join(deltas)
    runs = {
        "co_widget chat": chat_run,
        "co_widget client": co_widget_run,
        "+ Reply": functools.partial(staged_run, coalesce=False),
        "+ coalescer": functools.partial(staged_run, coalesce=True),
        "cohere SDK": sdk_run,
    }
    rates: dict[str, list[float]] = {name: [] for name in runs}
    wrong: set[str] = set()  # clients whose text differed from the stream's
    with FakeCohere(responder=lambda request: stream) as fake:
        for run in runs.values():  # warm-up: imports, connection pools, caches
            run(fake.url)
        for _ in range(args.rounds):
            for name, run in runs.items():  # in alternation, so drifts hit both alike
                rate, text = timed(run, fake.url)
                rates[name].append(rate)
                if text != expected:
                    wrong.add(name)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    # The client class itself: cohere resolves its names lazily, so a bare `import cohere` would
    # measure almost nothing.
    imports = {
        "co_widget chat": import_time("from co_widget import Chat"),
        "co_widget client": import_time("from co_widget.wire.client import CohereClient"),
        "cohere SDK": import_time("from cohere import ClientV2"),
    }
    same = "yes" if not wrong else f"NO ({', '.join(sorted(wrong))} differed)"
    print(f"{args.deltas} deltas per stream, {args.rounds} rounds, same text from all: {same}")
    print(f"{'':<17} {'median events/s':>16} {'import time':>12}")
    for name, median in medians.items():
        imported = f"{imports[name] * 1000:>10.0f} ms" if name in imports else ""
        print(f"{name:<17} {median:>16,.0f} {imported:>13}")
    # Where the chat's time goes, stage by stage (microseconds per 1,000 events).
    per_k = {name: 1e9 / rate for name, rate in medians.items()}
    stages = [
        ("HTTP client and parser", per_k["co_widget client"]),
        ("Reply (the message under its lock)", per_k["+ Reply"] - per_k["co_widget client"]),
        ("coalescer", per_k["+ coalescer"] - per_k["+ Reply"]),
        ("thread, delta messages, commit", per_k["co_widget chat"] - per_k["+ coalescer"]),
    ]
    print("where the chat's time goes, per 1,000 events:")
    for label, micros in stages:
        print(f"  {label:<36} {micros:>8,.0f} µs")
    print(
        "import time: a fresh `from co_widget import Chat` (the widget stack), "
        "`from co_widget.wire.client import CohereClient` (no widget stack), "
        "`from cohere import ClientV2`"
    )
    for name, budget in BUDGETS.items():
        ratio = medians[name] / medians["cohere SDK"]
        verdict = "PASS" if ratio >= budget and name not in wrong else "FAIL"
        print(f"{name} / SDK: {ratio:.1f}x (budget >= {budget:g}x): {verdict}")


if __name__ == "__main__":
    main()
