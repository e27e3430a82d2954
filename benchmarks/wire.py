"""Kernel→browser bytes for one long reply: co_widget against a naive widget, side by side.

The same 4,000-delta stream from FakeCohere goes through
  (a) co_widget's Chat: numbered, coalesced ``delta`` messages, and one commit of ``messages``;
  (b) a naive widget that sets a full ``text`` trait on every delta (then commits the history).
Both widgets get recording comms, which size each message as the kernel would send it. Budget
(design.md): co_widget's bytes for the reply <= 1.3x the reply's own bytes, plus one commit of
the history, whatever the history's length (checked with 0 and 500 prior messages).

    python benchmarks/wire.py [--deltas 4000] [--delay 0.0]

``--delay`` paces the stream (seconds between events) to see a slower, real-time stream.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import anywidget
import traitlets

from co_widget import Chat
from co_widget._client import CohereClient
from co_widget._events import ContentDelta
from co_widget._params import build_chat_body
from co_widget.testing import FakeCohere, Stream, text_events
from tests.support.comm_recorder import RecordedMessage, RecordingComm, recording_comms

BUDGET = 1.3
PRIORS = (0, 500)
QUESTION = {"role": "user", "content": "Tell me the whole story of Coca-Cola."}
MODEL = "command-a-03-2025"


class NaiveChat(anywidget.AnyWidget):
    """The baseline: the whole reply text is a synced trait, set again on every delta."""

    _esm = "export default { render() {} };"
    text = traitlets.Unicode("").tag(sync=True)
    messages = traitlets.List().tag(sync=True)


@dataclass
class Figures:
    messages: int  # kernel→browser messages while the reply streamed (commit included)
    nbytes: int  # their bytes, commit included
    commit: int  # bytes of the one commit of the history (0 if none)
    reply: int  # the reply's own bytes (UTF-8 text)

    @property
    def streaming(self) -> int:
        return self.nbytes - self.commit


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


def figures(window: list[RecordedMessage], reply_text: str) -> Figures:
    commits = [m.nbytes for m in window if m.state is not None and "messages" in m.state]
    return Figures(
        messages=len(window),
        nbytes=sum(m.nbytes for m in window),
        commit=sum(commits),
        reply=len(reply_text.encode()),
    )


def run_co_widget(fake: FakeCohere, prior: int) -> Figures:
    with recording_comms() as comms:
        chat = Chat(base_url=fake.url)
        chat.history = prior_history(prior)
        recorder = comm_of(chat, comms)
        mark = len(recorder.messages)
        reply = chat.send(QUESTION["content"]).wait()
        if reply.error is not None:
            raise reply.error
    return figures(recorder.messages[mark:], reply.text)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=4000, help="text deltas in the reply")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between events")
    args = parser.parse_args()

    pieces = [f" word{i}" for i in range(args.deltas)]
    stream = Stream(text_events(deltas=pieces), delay=args.delay)
    print(f"One reply of {args.deltas:,} deltas, event delay {args.delay:g} s.")
    print(f"{'prior':>5}  {'widget':<17} {'messages':>9} {'bytes':>13} {'x reply':>8}  commit")
    verdicts = []
    with FakeCohere() as fake:
        for prior in PRIORS:
            fake.add(stream, stream)
            ours, naive = run_co_widget(fake, prior), run_naive(fake, prior)
            for name, fig in (("co_widget", ours), ("naive text trait", naive)):
                print(
                    f"{prior:>5}  {name:<17} {fig.messages:>9,} {fig.nbytes:>13,} "
                    f"{fig.streaming / fig.reply:>7.2f}x  {fig.commit:,} bytes"
                )
            print(f"{'':>5}  reply's own bytes: {ours.reply:,}")
            verdicts.append(ours.streaming <= BUDGET * ours.reply)
    # "x reply" leaves the one history commit out: the budget allows it on top.
    verdict = "PASS" if all(verdicts) else "FAIL"
    print(
        f"{verdict}: co_widget's bytes for the reply <= {BUDGET}x the reply's own bytes "
        f"(plus one history commit) with {' and '.join(map(str, PRIORS))} prior messages"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
