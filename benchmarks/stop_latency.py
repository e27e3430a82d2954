"""How long ``chat.stop()`` takes to end a reply, in every phase a reply can be stuck in.

Budget: under 0.5 s in each phase. The phases: streaming tokens, a stream gone silent, waiting for
the response headers, sleeping between retries, a TCP connect that hangs and a TLS handshake that
never gets an answer (the last two cannot be interrupted by any socket call: the reply's runner
ends the turn itself). Each phase is measured ``--rounds`` times against local servers only.

    python benchmarks/stop_latency.py
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator

from co_widget import Chat
from co_widget.testing import Error, FakeCohere, Stream
from tests.support.hostile_servers import hanging_connect, silent_tls

BUDGET_S = 0.5
LONG = "a streamed answer that goes on " * 400


@contextlib.contextmanager
def fake_phase(reply, settle: float) -> Iterator[tuple[str, Callable[[], None]]]:
    """A FakeCohere serving ``reply``; the client is in the phase ``settle`` seconds after send."""
    with FakeCohere([reply]) as fake:
        yield fake.url, lambda: time.sleep(settle)


PHASES: dict[str, Callable[[], contextlib.AbstractContextManager]] = {
    "streaming tokens": lambda: fake_phase(Stream(LONG, delay=0.002), 0.2),
    "stream gone silent": lambda: fake_phase(Stream(LONG, stall_after=10, stall_seconds=30), 0.2),
    "waiting for headers": lambda: fake_phase(Stream(LONG, stall_after=0, stall_seconds=30), 0.2),
    "back-off between retries": lambda: fake_phase(Error(503, "busy", retry_after=30), 0.2),
    "TCP connect hanging": hanging_connect,
    "TLS handshake hanging": silent_tls,
}


def measure(phase: Callable[[], contextlib.AbstractContextManager]) -> float:
    with phase() as (url, reached):
        chat = Chat(base_url=url, timeout=60, max_retries=1)
        reply = chat.send("go")
        reached()
        start = time.perf_counter()
        chat.stop()
        elapsed = time.perf_counter() - start
        assert reply.done and reply.status == "stopped" and chat.status == "idle", reply
        chat.close()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"chat.stop() until the reply has ended, {args.rounds} rounds per phase")
    print(f"{'phase':28} {'median':>9} {'max':>9}   budget {BUDGET_S * 1000:.0f} ms")
    worst = 0.0
    for name, phase in PHASES.items():
        times = [measure(phase) for _ in range(args.rounds)]
        worst = max(worst, max(times))
        print(f"{name:28} {statistics.median(times) * 1000:7.1f} ms {max(times) * 1000:7.1f} ms")
    print(f"{'PASS' if worst < BUDGET_S else 'FAIL'}: slowest stop {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
