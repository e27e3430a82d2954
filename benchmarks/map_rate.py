"""Rows a second: ``chat.map`` vs an ``ask()`` loop vs a thread pool of the official SDK.

One FakeCohere with a fixed first-byte latency (default 20 ms) answers all three in this one
process, each row a one-line prompt echoed back:

* "chat.map": ``chat.map(rows, template, concurrency=16)`` over ``--rows`` rows (budget: 2,000
  rows in < 10 s), and the peak traced Python memory (``tracemalloc``) of a quarter and a half of
  the rows, while results stream to a file: it grows only by each row's small result;
* "ask() loop": ``chat.ask(prompt)`` row after row (``--baseline-rows``, a small count: it is
  slow by design);
* "SDK thread pool": ``cohere.ClientV2.chat`` in a ``ThreadPoolExecutor`` of the same
  concurrency (``--baseline-rows``).

    python benchmarks/map_rate.py [--rows 2000] [--baseline-rows 200] [--latency 0.02]

A benchmark, not a test: it exits 0 whether or not the budget is met (the last line says).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import tempfile
import time
import tracemalloc
from pathlib import Path

import cohere

from co_widget import Chat
from co_widget.testing import FakeCohere

BUDGET_SECONDS = 10.0
MODEL = "command-a-03-2025"


def map_run(url: str, rows: list[str], concurrency: int, file: Path) -> float:
    chat = Chat(model=MODEL, base_url=url)
    started = time.perf_counter()
    results = chat.map(rows, "{}", concurrency=concurrency, file=file, progress=False)
    elapsed = time.perf_counter() - started
    assert [r["text"] for r in results] == rows, "chat.map returned wrong texts"
    chat.close()
    return elapsed


def map_memory(url: str, rows: list[str], concurrency: int, file: Path) -> int:
    """Peak traced Python memory of a map (a separate run: tracing slows it down)."""
    tracemalloc.start()
    map_run(url, rows, concurrency, file)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def ask_loop(url: str, rows: list[str]) -> float:
    chat = Chat(model=MODEL, base_url=url)
    started = time.perf_counter()
    for row in rows:
        chat.history = []  # each row its own conversation, as in map
        assert chat.ask(row) == row
    elapsed = time.perf_counter() - started
    chat.close()
    return elapsed


def sdk_pool(url: str, rows: list[str], concurrency: int) -> float:
    client = cohere.ClientV2(api_key="x", base_url=url)

    def one(row: str) -> str:
        reply = client.chat(model=MODEL, messages=[{"role": "user", "content": row}])
        return reply.message.content[0].text

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        assert list(pool.map(one, rows)) == rows
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--baseline-rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    rows = [f"row {i}: is this ticket about billing?" for i in range(args.rows)]
    few = rows[: args.baseline_rows]
    with FakeCohere(latency=args.latency) as fake, tempfile.TemporaryDirectory() as tmp:
        map_seconds = map_run(fake.url, rows, args.concurrency, Path(tmp) / "r.jsonl")
        peaks = {
            n: map_memory(fake.url, rows[:n], args.concurrency, Path(tmp) / f"{n}.jsonl")
            for n in (len(rows) // 4, len(rows) // 2)
        }
        ask_seconds = ask_loop(fake.url, few)
        sdk_seconds = sdk_pool(fake.url, few, args.concurrency)
    print(f"FakeCohere latency {args.latency * 1000:g} ms, concurrency {args.concurrency}")
    print(f"{'run':<18}{'rows':>7}{'seconds':>10}{'rows/s':>10}")
    for name, count, seconds in (
        ("chat.map", len(rows), map_seconds),
        ("ask() loop", len(few), ask_seconds),
        ("SDK thread pool", len(few), sdk_seconds),
    ):
        print(f"{name:<18}{count:>7}{seconds:>10.2f}{count / seconds:>10.1f}")
    for count, peak in peaks.items():
        print(f"chat.map peak traced memory: {peak / 2**20:.2f} MiB for {count} rows")
    verdict = "PASS" if map_seconds < BUDGET_SECONDS * len(rows) / 2000 else "FAIL"
    budget = f"budget {BUDGET_SECONDS:g} s per 2,000 rows"
    print(f"{verdict}: {len(rows)} rows in {map_seconds:.2f} s ({budget})")


if __name__ == "__main__":
    main()
