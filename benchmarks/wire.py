"""Kernel→browser bytes for one turn: co_widget against naive widgets, side by side.

1. A long reply: the same 4,000-delta stream from FakeCohere goes through
   (a) co_widget's Chat: numbered, coalesced ``delta`` messages, then one ``commit`` of what
       the turn adds (the answer's text, streamed already, is not sent again);
   (b) a naive widget that sets a full ``text`` trait on every delta, then syncs the history.
2. A short turn after 0, 500 and 2,000 messages, and after a turn that carried a 2,000-row
   DataFrame as documents: co_widget against a widget that syncs the whole ``messages`` trait
   at each commit (co_widget 0.1.0 did), with the time ``send()`` takes to be done.

Each widget gets recording comms, which size each message as the kernel would send it.
Budget (issue 16): every byte of a turn, its commit included, <= 1.3x the reply's own bytes
+ 4 KB, whatever the history holds.

    python benchmarks/wire.py [--deltas 4000] [--delay 0.0]

3. The shared copy (``Chat(shared_copy=True)``, the default): the static HTML that a notebook
   saved without widget state shows. It is not a comm message but a display update on iopub,
   sent once per committed turn; reported on its own, bounded by ``MAX_SHARED_COPY``, not
   counted in the turn's budget above (``shared_copy=False`` sends none).

``--delay`` paces the long stream (seconds between events) to see a slower, real-time stream.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from dataclasses import dataclass
from typing import Any

import anywidget
import traitlets
from jupyter_client.session import json_packer

from co_widget import Chat
from co_widget.request.params import build_chat_body
from co_widget.session.shared_copy import MAX_SHARED_COPY, shared_copy_html
from co_widget.testing import FakeCohere, Stream, text_events
from co_widget.wire.client import CohereClient
from co_widget.wire.events import ContentDelta
from tests.support.comm_recorder import RecordedMessage, RecordingComm, recording_comms

BUDGET = 1.3
ALLOWANCE = 4096  # bytes on top: the turn's framing, the user message, usage and metadata
PRIORS = (0, 500, 2000)
DOCUMENT_ROWS = 2000
QUESTION = {"role": "user", "content": "Tell me the whole story of Coca-Cola."}
MODEL = "command-a-03-2025"


class NaiveChat(anywidget.AnyWidget):
    """The baseline: the whole reply text is a synced trait, set again on every delta."""

    _esm = "export default { render() {} };"
    text = traitlets.Unicode("").tag(sync=True)
    messages = traitlets.List().tag(sync=True)


@dataclass
class Figures:
    messages: int  # kernel→browser messages of the turn (its commit included)
    nbytes: int  # their bytes
    commit: int  # bytes of the commit: a commit message, or a sync of the messages trait
    reply: int  # the reply's own bytes (UTF-8 text)
    seconds: float = 0.0  # send() until done

    @property
    def budget(self) -> float:
        return BUDGET * self.reply + ALLOWANCE

    @property
    def within(self) -> bool:
        return self.nbytes <= self.budget


def prior_history(n: int) -> list[dict]:
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"Message {i}: a sentence of ordinary length, about one line of a chat.",
        }
        for i in range(n)
    ]


def comm_of(widget: anywidget.AnyWidget, comms: list[RecordingComm]) -> RecordingComm:
    return next(recorder for recorder in comms if recorder.comm_id == widget.model_id)


def is_commit(message: RecordedMessage) -> bool:
    custom, state = message.custom, message.state
    return (custom is not None and custom["type"] == "commit") or (
        state is not None and "messages" in state
    )


def figures(window: list[RecordedMessage], reply_text: str, seconds: float = 0.0) -> Figures:
    return Figures(
        messages=len(window),
        nbytes=sum(m.nbytes for m in window),
        commit=sum(m.nbytes for m in window if is_commit(m)),
        reply=len(reply_text.encode()),
        seconds=seconds,
    )


class FullResend:
    """co_widget 0.1.0's commit, the baseline of part 2: the whole ``messages`` trait synced
    again when a reply ends (what the quiet trait and the commit message replace)."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    def __enter__(self) -> FullResend:
        self.runner_commit = self.chat._runner.commit

        def commit(messages: list[dict], turn=None) -> None:
            self.runner_commit(messages, turn)
            self.chat.send_state("messages")

        self.chat._runner.commit = commit  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.chat._runner.commit = self.runner_commit  # type: ignore[method-assign]


def timed_turn(chat: Chat, comms: list[RecordingComm], text: str, **send: Any) -> Figures:
    recorder = comm_of(chat, comms)
    mark = len(recorder.messages)
    started = time.perf_counter()
    reply = chat.send(text, **send).wait()
    seconds = time.perf_counter() - started
    if reply.error is not None:
        raise reply.error
    return figures(recorder.messages[mark:], reply.text, seconds)


def run_co_widget(fake: FakeCohere, prior: int) -> Figures:
    with recording_comms() as comms:
        chat = Chat(base_url=fake.url)
        chat.history = prior_history(prior)
        return timed_turn(chat, comms, QUESTION["content"])


def run_naive(fake: FakeCohere, prior: int) -> Figures:
    with recording_comms() as comms:
        widget = NaiveChat(messages=prior_history(prior))
        recorder = comm_of(widget, comms)
        mark = len(recorder.messages)
        body = build_chat_body(MODEL, [*widget.messages, QUESTION], None, {})
        for event in CohereClient(base_url=fake.url).chat_stream(body):
            if isinstance(event, ContentDelta):
                widget.text += event.text
        answer = {"role": "assistant", "content": widget.text}
        widget.messages = [*widget.messages, QUESTION, answer]
    return figures(recorder.messages[mark:], widget.text)


def short_turns(fake: FakeCohere, prior: int, documents: bool, full: bool) -> Figures:
    """A short turn after ``prior`` messages (and, with ``documents``, after a turn that sent
    a 2,000-row DataFrame); ``full``: with 0.1.0's whole-trait commit."""
    with recording_comms() as comms:
        chat = Chat(base_url=fake.url)
        chat.history = prior_history(prior)
        with FullResend(chat) if full else contextlib.nullcontext():
            if documents:
                import pandas as pd

                rows = pd.DataFrame(
                    {"sku": [f"SKU-{i:05}" for i in range(DOCUMENT_ROWS)], "units": range(2000)}
                )
                fake.add("Noted.")
                timed_turn(chat, comms, "Keep these sales rows in mind.", documents=rows)
            fake.add("Hello there, how are you doing today?")
            return timed_turn(chat, comms, "hi")


def median_run(runs: list[Figures]) -> Figures:
    return sorted(runs, key=lambda fig: fig.seconds)[len(runs) // 2]


def print_long_reply(fake: FakeCohere, stream: Stream) -> bool:
    print(f"1. One long reply, {stream.delay:g} s between events.")
    print(
        f"{'prior':>5}  {'widget':<17} {'messages':>9} {'bytes':>11} {'x reply':>8} {'commit':>9}"
    )
    verdicts = []
    for prior in PRIORS:
        fake.add(stream, stream)
        ours, naive = run_co_widget(fake, prior), run_naive(fake, prior)
        for name, fig in (("co_widget", ours), ("naive text trait", naive)):
            print(
                f"{prior:>5}  {name:<17} {fig.messages:>9,} {fig.nbytes:>11,} "
                f"{fig.nbytes / fig.reply:>7.2f}x {fig.commit:>9,}"
            )
        print(f"{'':>5}  reply's own bytes: {ours.reply:,}; budget {ours.budget:,.0f} bytes")
        verdicts.append(ours.within)
    return all(verdicts)


def print_short_turns(fake: FakeCohere) -> bool:
    print("\n2. One short turn; 0.1.0's commit re-sent the whole messages trait.")
    print(
        f"{'before the turn':<27} {'co_widget':>10} {'budget':>7} {'send→done':>10}   "
        f"{'0.1.0':>10} {'send→done':>10}"
    )
    verdicts = []
    cases = [(f"{p:,} messages", p, False) for p in PRIORS]
    cases.append((f"500 + {DOCUMENT_ROWS:,} document rows", 500, True))
    for label, prior, documents in cases:
        # Alternated, and the median time of each kept: a shared machine is noisy.
        runs = [short_turns(fake, prior, documents, full) for _ in range(3) for full in (0, 1)]
        ours, old = (median_run(runs[full::2]) for full in (0, 1))
        print(
            f"{label:<27} {ours.nbytes:>10,} {ours.budget:>7,.0f} {ours.seconds * 1000:>8.1f}ms"
            f"   {old.nbytes:>10,} {old.seconds * 1000:>8.1f}ms"
        )
        verdicts.append(ours.within)
    return all(verdicts)


def recorded_copy(chat: Chat) -> list[int]:
    """Show ``chat``'s shared copy into a recorder: the bytes of each display message it sends,
    sized like the comms (the JSON of its content: data, metadata, display id)."""
    sizes: list[int] = []
    copy = chat._shared_copy
    assert copy is not None

    def publish(data: dict[str, Any], display_id: str, update: bool) -> None:
        content = {"data": data, "metadata": {}, "transient": {"display_id": display_id}}
        sizes.append(len(json_packer(content)))

    copy.publish = publish
    copy.display()
    return sizes


def print_shared_copy(fake: FakeCohere, stream: Stream) -> bool:
    print(
        "\n3. The shared copy: one display update per committed turn, on iopub, apart from the "
        "turn's comm bytes above."
    )
    print(
        f"{'before the turn':<27} {'updates':>8} {'bytes':>9} {'bound':>9} {'render':>8}   "
        f"{'whole history':>13}"
    )
    verdicts = []
    cases = [(f"{p:,} messages, short reply", p, "Hello there.") for p in PRIORS]
    cases.append(("2,000 messages, long reply", 2000, stream))
    for label, prior, reply in cases:
        with recording_comms():
            chat = Chat(base_url=fake.url)
            chat.history = prior_history(prior)
            sizes = recorded_copy(chat)
            mark = len(sizes)
            fake.add(reply)
            chat.send("hi").result()
            turn = sizes[mark:]
            bound = MAX_SHARED_COPY + 512  # the HTML, plus its JSON escaping and envelope
            title = chat.title or chat.model
            started = time.perf_counter()
            shared_copy_html(chat.messages, title)
            render = time.perf_counter() - started
            # The reference: the same HTML of the whole conversation, with no bound.
            page = shared_copy_html(chat.messages, title, 1 << 40)
            envelope = {"metadata": {}, "transient": {"display_id": "co-shared-copy-" + "0" * 32}}
            whole = len(json_packer({"data": {"text/html": page}, **envelope}))
            print(
                f"{label:<27} {len(turn):>8} {sum(turn):>9,} {bound:>9,} "
                f"{render * 1000:>6.2f}ms   {whole:>13,}"
            )
            verdicts.append(len(turn) == 1 and sum(turn) <= bound)
            chat.close()
    return all(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=4000, help="text deltas in the reply")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between events")
    args = parser.parse_args()

    pieces = [f" word{i}" for i in range(args.deltas)]
    stream = Stream(text_events(deltas=pieces), delay=args.delay)
    with FakeCohere() as fake:
        long_ok = print_long_reply(fake, stream)
        short_ok = print_short_turns(fake)
        copy_ok = print_shared_copy(fake, stream)
    verdict = "PASS" if long_ok and short_ok and copy_ok else "FAIL"
    print(
        f"{verdict}: every turn's bytes, commit included, <= {BUDGET}x the reply's own bytes "
        f"+ {ALLOWANCE:,} with {', '.join(f'{p:,}' for p in PRIORS)} prior messages and after "
        "a turn with documents; the shared copy: one bounded update per turn"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
