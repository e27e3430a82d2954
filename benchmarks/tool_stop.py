"""How long Stop takes to end a reply with Python tools, in each phase of the loop.

Budget (issue 9): within 0.5 s in every phase. For each phase a Chat with tools talks to a
FakeCohere; once the loop is in that phase, ``chat.stop()`` is timed until the reply is done
(``reply.done``), over several runs:

* streaming: the model is still writing a tool call's arguments (a paced stream);
* approval: two calls wait for the widget's Approve/Deny (``approve=True``);
* running: a function is running (it blocks; its late result is discarded).

    python benchmarks/tool_stop.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from co_widget import Chat
from co_widget.testing import FakeCohere, Stream, text_events


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the loop never reached the phase")
        time.sleep(0.001)


def _calls(*targets: str) -> list[dict]:
    return text_events(
        tool_plan="Launching.",
        tool_calls=[{"name": "launch", "arguments": {"target": t * 20}} for t in targets],
    )


def one_stop(phase: str) -> float:
    release = threading.Event()

    def launch(target: str) -> str:
        """Launch."""
        release.wait(30)  # "running": blocks until after the stop
        return target

    with FakeCohere() as fake:
        if phase == "streaming":
            fake.add(Stream(_calls("moon"), delay=0.05))
        else:
            fake.add(_calls("moon", "mars"))
        chat = Chat(base_url=fake.url, api_key="k", tools=[launch], approve=phase == "approval")
        reply = chat.send("go")
        if phase == "streaming":
            _wait(lambda: reply.tool_calls)
        elif phase == "approval":
            _wait(lambda: len(reply.calls) == 2)
        else:
            _wait(lambda: any(call.status == "running" for call in reply.calls))
        start = time.perf_counter()
        chat._runner.cancel()  # what the Stop button does (chat.stop() also waits for it)
        _wait(lambda: reply.done)
        elapsed = time.perf_counter() - start
        release.set()
        assert reply.status == "stopped", reply.status
        chat.close()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"Stop to reply.done, {runs} runs per phase (budget 500 ms):")
    for phase in ("streaming", "approval", "running"):
        times = sorted(one_stop(phase) * 1000 for _ in range(runs))
        print(f"  {phase:9}  median {statistics.median(times):6.1f} ms   max {times[-1]:6.1f} ms")


if __name__ == "__main__":
    main()
