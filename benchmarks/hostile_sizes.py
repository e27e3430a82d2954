"""What hostile sizes cost, with the boundary's caps and without them, side by side.

1. Kernel→browser bytes while the model streams one tool call with 6 MB of arguments (in 6,000
   deltas of 1 KB), then answers: co_widget (bounded card previews, the 1 MiB argument cap)
   against the same chat with the previews and the cap switched off (what 0.1.0 did: every card
   carries all the arguments so far, and the history keeps them).
2. ``send()`` while the disk takes 2 s per autosave write (``file=``): how long the call takes
   right after a reply committed (its write still running), against a chat without ``file=``.

    python benchmarks/hostile_sizes.py [--megabytes 6] [--disk-seconds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from co_widget import Chat
from co_widget.testing import FakeCohere, text_events
from tests.support.comm_recorder import recording_comms

SLOW = 60.0


def store(text: str) -> str:
    """Store a text."""
    return "stored"


def huge_call(megabytes: int) -> list[dict]:
    """A model turn with one call whose arguments stream in 1 KB deltas."""
    head = [e for e in text_events(tool_calls=[{"name": "store", "arguments": "{}"}])]
    start = next(i for i, e in enumerate(head) if e["type"] == "tool-call-start")
    body = '{"text": "' + "z" * (megabytes * 1_000_000) + '"}'
    deltas = [
        {
            "type": "tool-call-delta",
            "index": 0,
            "delta": {"message": {"tool_calls": {"function": {"arguments": body[i : i + 1000]}}}},
        }
        for i in range(0, len(body), 1000)
    ]
    rest = [e for e in head[start + 1 :] if e["type"] != "tool-call-delta"]
    return [*head[: start + 1], *deltas, *rest]


@contextmanager
def uncapped():
    """0.1.0's behaviour: cards and their records carry whole arguments; no size cap."""
    whole = mock.patch("co_widget.turn.tool_turn.preview", lambda value, chars=0: value)
    records = mock.patch("co_widget.turn.tool_loop.preview", lambda value, chars=0: value)
    with whole, records:
        yield


def widget_bytes(fake: FakeCohere, megabytes: int, **options) -> tuple[int, int, float]:
    with recording_comms() as comms:
        chat = Chat(base_url=fake.url, api_key="k", tools=[store], **options)
        recorder = next(r for r in comms if r.comm_id == chat.model_id)
        mark = len(recorder.messages)
        fake.add(huge_call(megabytes), "Done.")
        began = time.perf_counter()
        chat.ask("Store it.", timeout=SLOW)
        seconds = time.perf_counter() - began
        sent = recorder.messages[mark:]
        chat.close()
    return sum(m.nbytes for m in sent), len(sent), seconds


def send_seconds(fake: FakeCohere, folder: Path, disk_seconds: float, file: bool) -> list[float]:
    """Seconds each ``send()`` takes right after the previous reply committed."""
    import co_widget.session.autosave as autosave

    real = autosave.write_chat_file

    def slow_disk(path, doc):
        time.sleep(disk_seconds)
        real(path, doc)

    times = []
    with mock.patch.object(autosave, "write_chat_file", slow_disk):
        chat = Chat(base_url=fake.url, api_key="k", file=folder / "chat.json" if file else None)
        for i in range(5):
            fake.add(f"answer {i}")
            reply = chat.send(f"question {i}")
            while chat.status != "idle" or len(chat.messages) < 2 * (i + 1):
                time.sleep(0.001)  # committed: its autosave is now on the slow disk
            began = time.perf_counter()
            next_reply = chat.send("and?")
            times.append(time.perf_counter() - began)
            fake.add("ok")
            next_reply.wait(SLOW)
            reply.wait(SLOW)
            chat.undo()
        chat.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=6)
    parser.add_argument("--disk-seconds", type=float, default=2.0)
    args = parser.parse_args()
    with FakeCohere() as fake:
        capped = widget_bytes(fake, args.megabytes)
        with uncapped():
            whole = widget_bytes(fake, args.megabytes, max_tool_result=1 << 30)
        print(f"One tool call with {args.megabytes} MB of arguments, in 1 KB deltas:")
        print(f"{'widget':<34} {'messages':>9} {'bytes to the browser':>21} {'seconds':>8}")
        for label, (nbytes, count, seconds) in (
            ("co_widget (previews, 1 MiB cap)", capped),
            ("without them (0.1.0's cards)", whole),
        ):
            print(f"{label:<34} {count:>9,} {nbytes:>21,} {seconds:>8.2f}")
        print(f"ratio: {whole[0] / capped[0]:,.0f}x fewer bytes\n")

        with tempfile.TemporaryDirectory() as folder:
            slow = send_seconds(fake, Path(folder), args.disk_seconds, file=True)
            plain = send_seconds(fake, Path(folder), args.disk_seconds, file=False)
        print(f"send() right after a commit, the disk taking {args.disk_seconds:g} s a write:")
        for label, times in (("file= on the slow disk", slow), ("no file= (reference)", plain)):
            print(
                f"{label:<24} median {statistics.median(times) * 1000:7.2f} ms,"
                f" max {max(times) * 1000:7.2f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
