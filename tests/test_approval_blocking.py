"""approve=True and the kernel's main thread: a blocking ask()/result()/wait() that meets a call
waiting for the widget's Approve/Deny raises ApprovalBlockedError at once (the answer could never
arrive), and only then; an approval ended by Stop, cancel() or a cancelled await is "stopped",
never a denial the user did not give. Real Chat, strict FakeCohere over real sockets."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from co_widget import ApprovalBlockedError
from co_widget.request.tool_schema import build_toolset
from co_widget.testing import FakeCohere
from co_widget.turn.tool_loop import DENIED_TEXT, STOPPED_TEXT, StepOutcome, ToolLoop
from tests.test_tool_loop import (
    SLOW,
    answer_from_results,
    approval_chat,
    calls,
    cards,
    chat_on,
    next_send_is_accepted,
    tool_texts,
    ui,
    until,
)

# A hang would otherwise last until pytest-timeout's 300 s.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def strict():
    with FakeCohere(strict=True) as server:
        yield server


def waiting_ids(wire) -> list[str]:
    """The calls whose card asks for an answer and that no later card answered."""
    final = {card["id"]: card for card in cards(wire)}
    return [call_id for call_id, card in final.items() if card.get("ask")]


@pytest.mark.parametrize("how", ["ask", "result", "wait", "wait with a timeout"])
def test_a_blocking_wait_on_a_waiting_approval_raises_at_once(strict, comms, how):
    ran: list[str] = []
    chat, wire = approval_chat(strict, comms, ran)
    if how == "ask":
        with pytest.raises(ApprovalBlockedError) as raised:
            chat.ask("Launch a and b")
    else:
        reply = chat.send("Launch a and b")
        with pytest.raises(ApprovalBlockedError) as raised:
            if how == "result":
                reply.result()
            elif how == "wait":
                reply.wait()
            else:
                reply.wait(SLOW * 10)
    message = str(raised.value)
    assert "'launch'" in message
    assert "await chat.send(...)" in message
    assert "approve=callable" in message
    # Nothing was decided for the user: the reply still waits, and the widget's answer (which
    # arrives once the cell has ended) lets it finish.
    assert ran == []
    until(lambda: len(waiting_ids(wire)) == 2)
    assert chat.status == "streaming"
    for call_id in waiting_ids(wire):
        ui(chat, type="approve", call=call_id, approved=True)
    until(lambda: chat.status == "idle")
    assert sorted(ran) == ["a", "b"]
    assert chat.history[-1]["role"] == "assistant"
    assert "launched a" in str(chat.history[-1]["content"])
    next_send_is_accepted(chat, strict)


def test_a_reply_that_never_waits_for_approval_blocks_as_usual(strict):
    def launch(target: str) -> str:
        """Launch something."""
        return f"launched {target}"

    chat = chat_on(strict, [launch], approve=True)
    strict.add("No tools needed.")
    assert chat.ask("Hello") == "No tools needed."
    # A call that never reaches approval (its arguments are refused) does not wait either.
    strict.add(calls(("launch", {"wrong": 1})), answer_from_results)
    reply = chat.send("Launch with bad arguments")
    assert "invalid arguments" in reply.result(SLOW)
    assert [call.status for call in reply.calls] == ["error"]


def test_a_blocking_wait_off_the_main_thread_is_allowed(strict, comms):
    """Only the kernel's main thread handles the widget's answer: another thread may wait."""
    ran: list[str] = []
    chat, wire = approval_chat(strict, comms, ran)
    reply = chat.send("Launch a and b")
    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append(reply.result(SLOW)))
    waiter.start()
    until(lambda: len(waiting_ids(wire)) == 2)
    for call_id in waiting_ids(wire):
        ui(chat, type="approve", call=call_id, approved=True)
    waiter.join(SLOW)
    assert got and got[0].startswith("launch=['launched a']")


def stop_by(how: str, chat, reply) -> None:
    if how == "stop":
        chat.stop()
    elif how == "cancel":
        reply.cancel()
        reply.wait(SLOW)
    else:  # a kernel interrupt while a cell awaits the reply cancels the awaiting task

        async def awaiting() -> str:
            return await reply

        async def main() -> None:
            task = asyncio.ensure_future(awaiting())
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        reply.wait(SLOW)


@pytest.mark.parametrize("how", ["stop", "cancel", "interrupted await"])
def test_an_interrupted_approval_is_stopped_never_denied(strict, comms, how):
    # Several rounds: the workers released by the stop must never get ahead of it.
    for _ in range(5):
        ran: list[str] = []
        chat, _ = approval_chat(strict, comms, ran, answer=False)
        reply = chat.send("Launch")
        until(lambda reply=reply: len(reply._state.loop.asking()) == 2)
        stop_by(how, chat, reply)
        assert reply.status == "stopped"
        assert [call.status for call in reply.calls] == ["stopped", "stopped"]
        assert ran == []
        assert tool_texts(chat) == [STOPPED_TEXT, STOPPED_TEXT]
        assert DENIED_TEXT not in str(chat.history)
        next_send_is_accepted(chat, strict)
        chat.close()


def test_a_stop_with_slow_cards_still_never_denies():
    """The loop on its own, with a view that is slow to take each card (a real comm sends over
    ZeroMQ): the workers released by Stop must not record a denial meanwhile."""

    def launch(target: str) -> str:
        """Launch something."""
        return target

    def slow_card(record) -> None:
        if record.status == "stopped":
            time.sleep(0.05)  # the other waiting workers get the GIL now

    asked = {
        "role": "assistant",
        "tool_calls": [
            {
                "id": f"c{i}",
                "type": "function",
                "function": {"name": "launch", "arguments": f'{{"target": "{i}"}}'},
            }
            for i in range(3)
        ],
    }
    loop = ToolLoop(build_toolset([launch]), approve=True, on_update=slow_card)
    runner = threading.Thread(
        target=loop.run, args=([], lambda messages: StepOutcome(asked, "TOOL_CALL", ok=True))
    )
    runner.start()
    until(lambda: len(loop.asking()) == 3)
    loop.stop()
    runner.join(SLOW)
    time.sleep(0.1)  # a late worker would have finished its call by now
    assert [call.status for call in loop.calls] == ["stopped"] * 3
    assert [message["content"][0]["text"] for message in loop.transcript()[1:]] == [
        STOPPED_TEXT
    ] * 3
