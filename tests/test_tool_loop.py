"""The tool loop through a real Chat and a strict FakeCohere over real sockets: parallel and
dependent calls, every error path, max_steps, async tools, approval (callable and the widget's
buttons), Stop in each phase followed by a send() the strict server accepts, the cards the views
get, and a history that the SDK's message types accept."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pydantic
import pytest

from co_widget import Chat
from co_widget.request.tool_schema import build_toolset
from co_widget.testing import FakeCohere, Stream, text_events, tool_results
from co_widget.turn.tool_loop import BROKEN_TEXT, DENIED_TEXT, STOPPED_TEXT, StepOutcome, ToolLoop
from tests.support.comm_recorder import RecordingComm, recorder_of

CAPTURED = Path(__file__).parent / "fixtures" / "captured"
SLOW = 5.0  # "it did not hang": never a timing assertion


def until(condition, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def calls(*pairs, plan: str = "I will use the tools.") -> list[dict]:
    """A model turn that calls tools: ``(name, arguments)`` pairs."""
    return text_events(
        tool_plan=plan, tool_calls=[{"name": name, "arguments": args} for name, args in pairs]
    )


def answer_from_results(request) -> str:
    """The model's answer once results came back: each result, as the fake saw it."""
    parts = []
    for result in tool_results(request):
        seen = result["documents"] or [result["text"]]
        parts.append(f"{result['name']}={seen}")
    return "; ".join(parts)


def tool_texts(chat: Chat) -> list[str]:
    return [
        "".join(block.get("text", "") for block in message["content"])
        for message in chat.history
        if message["role"] == "tool"
    ]


def assert_sdk_valid(history: list[dict]) -> None:
    cohere = pytest.importorskip("cohere")
    pydantic.TypeAdapter(list[cohere.ChatMessageV2]).validate_python(history)


@pytest.fixture
def strict():
    with FakeCohere(strict=True) as server:
        yield server


def chat_on(fake: FakeCohere, tools, **options) -> Chat:
    return Chat(base_url=fake.url, api_key="k", tools=tools, **options)


def next_send_is_accepted(chat: Chat, fake: FakeCohere) -> None:
    """The strict server rejects a history with an unanswered tool call: this must pass."""
    fake.add("Fine.")
    assert chat.ask("And now?", timeout=SLOW) == "Fine."
    assert fake.requests[-1].json["messages"][:-1] == chat.history[:-2]
    assert_sdk_valid(chat.history)


# --- running ------------------------------------------------------------------------------


def test_parallel_calls_run_concurrently_off_the_main_thread(strict):
    both_running = threading.Barrier(2, timeout=SLOW)
    threads = []

    def city_temp(city: str) -> dict:
        """Temperature of a city."""
        threads.append(threading.current_thread())
        both_running.wait()  # only passes if the two calls run at the same time
        return {"city": city, "temp_c": len(city)}

    strict.add(calls(("city_temp", {"city": "Paris"}), ("city_temp", {"city": "Tokyo"})))
    strict.add(answer_from_results)
    chat = chat_on(strict, [city_temp])
    reply = chat.send("Warmer in Paris or Tokyo?")
    assert reply.result(SLOW) == (
        "city_temp=[{'city': 'Paris', 'temp_c': 5}]; city_temp=[{'city': 'Tokyo', 'temp_c': 5}]"
    )
    assert [call.status for call in reply.calls] == ["done", "done"]
    assert threading.main_thread() not in threads
    assert all(call.duration is not None and call.duration >= 0 for call in reply.calls)
    roles = [message["role"] for message in chat.history]
    assert roles == ["user", "assistant", "tool", "tool", "assistant"]
    assert chat.history[1]["tool_plan"] == "I will use the tools."
    assert_sdk_valid(chat.history)


def test_two_dependent_steps(strict, comms):
    def city_id(name: str) -> dict:
        """The id of a city."""
        return {"id": 75}

    def forecast(id: int) -> str:
        """The forecast of a city, by id."""
        return f"sunny at {id}"

    def script(request):
        results = tool_results(request)
        if not results:
            return calls(("city_id", {"name": "Paris"}))
        if results[0]["name"] == "city_id":
            return calls(("forecast", {"id": results[0]["documents"][0]["id"]}))
        return answer_from_results(request)

    strict.responder = script
    chat = chat_on(strict, [city_id, forecast])
    wire = recorder_of(chat, comms)
    reply = chat.send("Forecast for Paris?")
    assert reply.result(SLOW) == "forecast=['sunny at 75']"
    assert [(call.name, call.step) for call in reply.calls] == [("city_id", 0), ("forecast", 1)]
    assert len(strict.requests) == 3
    roles = [message["role"] for message in chat.history]
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    # The tool list went with every request.
    assert all(r.json["tools"] == chat.tools for r in strict.requests)
    # The live bubble shows each step's plan on its own line; each message keeps its own plan.
    plan = "".join(m.custom.get("tool_plan", "") for m in wire.messages if m.custom)
    assert plan == "I will use the tools.\nI will use the tools."
    assert [m.get("tool_plan") for m in chat.history if m["role"] == "assistant"] == [
        "I will use the tools.",
        "I will use the tools.",
        None,
    ]


def test_usage_adds_up_over_the_model_calls(strict):
    def ping() -> str:
        """Ping."""
        return "pong"

    first = calls(("ping", {}))
    strict.add(first, "done")
    chat = chat_on(strict, [ping])
    reply = chat.send("go")
    reply.result(SLOW)
    output = first[-1]["delta"]["usage"]["billed_units"]["output_tokens"] + 1  # "done": 1 delta
    assert reply.usage["billed_units"]["output_tokens"] == output
    assert chat.usage["billed_units"]["output_tokens"] == output


# --- when a call goes wrong ---------------------------------------------------------------------


def test_every_error_path_reaches_the_model_and_the_loop_goes_on(strict):
    ran = []

    def divide(a: int, b: int) -> float:
        """a / b."""
        ran.append((a, b))
        return a / b

    strict.add(
        calls(
            ("divide", {"a": 1, "b": 0}),  # raises
            ("divide", {"a": "one", "b": 2}),  # does not fit the schema
            ("divide", '{"a": 1, "b":'),  # not JSON
            ("multiply", {"a": 1}),  # no such tool
        )
    )
    strict.add(answer_from_results)
    chat = chat_on(strict, [divide])
    reply = chat.send("Compute")
    reply.result(SLOW)
    assert ran == [(1, 0)]  # bad arguments never reach the function
    assert [call.status for call in reply.calls] == ["error"] * 4
    errors = [call.error for call in reply.calls]
    assert errors[0] == "ZeroDivisionError: division by zero"
    assert errors[1].startswith("invalid arguments: a: Input should be a valid integer")
    assert errors[2].startswith("invalid arguments: the arguments are not valid JSON")
    assert errors[3] == "unknown tool 'multiply' (tools: divide)"
    assert tool_texts(chat) == [f"Error: {error}" for error in errors]
    assert reply.calls[2].arguments == '{"a": 1, "b":'  # kept raw: it is not JSON
    assert_sdk_valid(chat.history)


@pytest.mark.parametrize("arguments", ["", "null", None], ids=["empty", "null", "no-delta"])
def test_zero_argument_tools_are_called_with_no_arguments(strict, arguments):
    ran = []

    def current_time() -> str:
        """The time now."""
        ran.append(True)
        return "12:00"

    start = {"id": "t1", "type": "function", "function": {"name": "current_time"}}
    if arguments is not None:
        start["function"]["arguments"] = arguments
    strict.add(text_events(tool_calls=[start]), answer_from_results)
    chat = chat_on(strict, [current_time])
    assert chat.ask("What time is it?", timeout=SLOW) == "current_time=['12:00']"
    assert ran == [True]


def test_the_captured_empty_tool_call_stream(strict):
    """Cohere's own stream for a tool without arguments: no argument delta at all."""

    def currentTime() -> str:  # the name in the recorded stream
        """The time now."""
        return "12:00"

    strict.add(Stream.from_jsonl(CAPTURED / "cohere-empty-tool-call.jsonl"), "It is noon.")
    chat = chat_on(strict, [currentTime])
    reply = chat.send("Time?")
    assert reply.result(SLOW) == "It is noon."
    assert reply.calls[0].arguments == {}
    assert reply.calls[0].status == "done"


def test_max_steps_ends_with_a_clear_note_and_a_valid_history(strict):
    def again() -> str:
        """Ask again."""
        return "more"

    strict.responder = lambda request: calls(("again", {}))
    chat = chat_on(strict, [again], max_steps=2)
    reply = chat.send("Loop")
    reply.result(SLOW)
    assert len(strict.requests) == 2
    assert reply.status == "complete"
    assert any("max_steps=2" in warning for warning in reply.warnings)
    assert [call.status for call in reply.calls] == ["done", "done"]
    assert chat.messages[-1]["_co"]["warnings"] == reply.warnings
    strict.responder = None
    next_send_is_accepted(chat, strict)


def test_async_tools(strict):
    async def slow_lookup(key: str) -> dict:
        """Look a key up."""
        await asyncio.sleep(0.01)
        return {"key": key, "value": key.upper()}

    strict.add(calls(("slow_lookup", {"key": "a"}), ("slow_lookup", {"key": "b"})))
    strict.add(answer_from_results)
    chat = chat_on(strict, [slow_lookup])
    assert chat.ask("Look up a and b", timeout=SLOW) == (
        "slow_lookup=[{'key': 'a', 'value': 'A'}]; slow_lookup=[{'key': 'b', 'value': 'B'}]"
    )


def test_raw_dict_tools_are_handed_back(strict):
    raw = {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}

    def unused() -> str:
        """Not called."""
        return ""

    strict.add(calls(("search", {"q": "x"})))
    chat = chat_on(strict, [unused, raw])
    reply = chat.send("Search")
    reply.result(SLOW)
    assert reply.finish_reason == "TOOL_CALL"
    assert reply.calls == []
    assert chat.history[-1]["tool_calls"][0]["function"]["name"] == "search"
    assert chat.tools[1] == raw


# --- approval ---------------------------------------------------------------------------------


def test_approval_by_callable(strict):
    ran = []
    asked = []

    def read_file(path: str) -> str:
        """Read a file."""
        ran.append(("read", path))
        return "contents"

    def delete_file(path: str) -> str:
        """Delete a file."""
        ran.append(("delete", path))
        return "deleted"

    def approve(name: str, arguments: dict) -> bool:
        asked.append((name, arguments))
        return name != "delete_file"

    strict.add(calls(("read_file", {"path": "a"}), ("delete_file", {"path": "a"})))
    strict.add(answer_from_results)
    chat = chat_on(strict, [read_file, delete_file], approve=approve)
    reply = chat.send("Read then delete a")
    reply.result(SLOW)
    assert sorted(asked) == [("delete_file", {"path": "a"}), ("read_file", {"path": "a"})]
    assert ran == [("read", "a")]
    assert [call.status for call in reply.calls] == ["done", "denied"]
    assert tool_texts(chat) == ["contents", DENIED_TEXT]
    assert_sdk_valid(chat.history)


def test_an_approval_callable_that_raises_is_an_error_for_the_model(strict):
    def noop() -> str:
        """No-op."""
        return "ok"

    strict.add(calls(("noop", {})), answer_from_results)
    chat = chat_on(strict, [noop], approve=lambda name, arguments: 1 / 0)
    reply = chat.send("go")
    reply.result(SLOW)
    assert reply.calls[0].status == "error"
    assert reply.calls[0].error == "ZeroDivisionError: division by zero"


def approval_chat(strict, comms_list, ran, answer=True):
    def launch(target: str) -> str:
        """Launch something."""
        ran.append(target)
        return f"launched {target}"

    strict.add(calls(("launch", {"target": "a"}), ("launch", {"target": "b"})))
    if answer:
        strict.add(answer_from_results)
    chat = chat_on(strict, [launch], approve=True)
    wire = recorder_of(chat, comms_list)
    return chat, wire


def ui(chat: Chat, **content) -> None:
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def cards(wire: RecordingComm) -> list[dict]:
    return [m.custom["call"] for m in wire.messages if m.custom and m.custom["type"] == "tool"]


def test_approval_in_the_widget(strict, comms):  # comms: tests/conftest.py
    ran = []
    chat, wire = approval_chat(strict, comms, ran)
    reply = chat.send("Launch a and b")
    until(lambda: [call.status for call in reply.calls] == ["waiting", "waiting"])
    until(lambda: sum(card["ask"] for card in cards(wire) if "ask" in card) == 2)
    assert ran == []
    first, second = reply.calls
    ui(chat, type="approve", call=second.id, approved=False)
    ui(chat, type="approve", call=first.id, approved=True)
    assert reply.result(SLOW) == "launch=['launched a']; launch=['Error']".replace(
        "['Error']", f"['{DENIED_TEXT}']"
    )
    assert ran == ["a"]
    assert [call.status for call in reply.calls] == ["done", "denied"]
    shown = cards(wire)
    waiting = [card for card in shown if card["status"] == "waiting"]
    assert {card["id"] for card in waiting} == {first.id, second.id}
    assert all(card["ask"] and card["arguments"]["target"] in "ab" for card in waiting)
    final = {card["id"]: card for card in shown}
    assert final[first.id]["status"] == "done"
    assert final[first.id]["result"] == "launched a"
    assert final[second.id]["status"] == "denied"
    assert not final[first.id]["ask"]


def test_await_reply_lets_the_approval_through(strict, comms):
    ran = []
    chat, _ = approval_chat(strict, comms, ran)

    async def main() -> str:
        reply = chat.send("Launch")
        until(lambda: len(reply.calls) == 2)
        for call in reply.calls:
            ui(chat, type="approve", call=call.id, approved=True)
        return await reply

    assert asyncio.run(main()).startswith("launch=['launched a']")
    assert sorted(ran) == ["a", "b"]


# --- cards over the numbered messages -------------------------------------------------------------


def test_cards_stream_the_arguments_and_a_snapshot_carries_them(strict, comms):
    release = threading.Event()

    def wait_for(city: str) -> str:
        """Wait."""
        release.wait(SLOW)
        return city

    events = calls(("wait_for", {"city": "Paris, the capital of France, in Europe"}))
    strict.add(Stream(events, delay=0.03), answer_from_results)
    chat = chat_on(strict, [wait_for])
    wire = recorder_of(chat, comms)
    reply = chat.send("go")
    until(lambda: reply.calls and reply.calls[0].status == "running")
    ui(chat, type="snapshot")
    release.set()
    reply.result(SLOW)
    shown = cards(wire)
    streaming = [card["arguments"] for card in shown if card["status"] == "streaming"]
    assert streaming[0] == ""  # the card appears at tool-call-start
    assert streaming[-1] == '{"city": "Paris, the capital of France, in Europe"}'
    assert all(a.startswith(b) for a, b in zip(streaming[1:], streaming, strict=False))
    snapshot = next(m.custom for m in wire.messages if m.custom and m.custom["type"] == "snapshot")
    assert [card["status"] for card in snapshot["calls"]] == ["running"]
    assert snapshot["calls"][0]["arguments"] == {"city": "Paris, the capital of France, in Europe"}
    seqs = [m.custom["seq"] for m in wire.messages if m.custom]
    assert seqs == list(range(len(seqs)))  # cards are numbered stream messages like the rest
    # The committed step keeps each call's card, for a saved notebook.
    step = chat.messages[1]
    assert step["tool_calls"][0]["id"] == step["_co"]["calls"][0]["id"]
    assert step["_co"]["calls"][0]["status"] == "done"
    assert step["_co"]["calls"][0]["result"] == "Paris, the capital of France, in Europe"


# --- Stop in every phase ----------------------------------------------------------------------


def test_stop_while_the_arguments_stream(strict):
    ran = []

    def book(what: str) -> str:
        """Book it."""
        ran.append(what)
        return "booked"

    events = calls(("book", {"what": "a table for two at eight, by the window"}))
    strict.add(Stream(events, delay=0.05))
    chat = chat_on(strict, [book])
    reply = chat.send("Book")
    until(lambda: reply.tool_calls)  # the call's arguments are streaming
    chat.stop()
    assert reply.status == "stopped"
    assert ran == []
    next_send_is_accepted(chat, strict)


@pytest.mark.parametrize("how", ["stop", "break"])
def test_a_call_written_before_the_stream_ended_gets_its_tool_message(strict, how):
    """The first call is complete, the second is not when the user stops or the stream breaks:
    the first is never run, yet answered (stopped, or an error), so the history stays valid."""
    ran = []

    def book(what: str) -> str:
        """Book it."""
        ran.append(what)
        return "booked"

    events = calls(("book", {"what": "a table"}), ("book", {"what": "a taxi"}))
    first_end = next(i for i, event in enumerate(events) if event["type"] == "tool-call-end")
    fault = {"stall_after": first_end + 1} if how == "stop" else {"drop_after": first_end + 1}
    strict.add(Stream(events, **fault))
    chat = chat_on(strict, [book], max_retries=0)
    reply = chat.send("Book")
    if how == "stop":
        until(lambda: len(reply.tool_calls) == 1 and reply.message.get("tool_calls"))
        chat.stop()
        assert reply.status == "stopped"
        expected = ("stopped", None, STOPPED_TEXT)
    else:
        reply.wait(SLOW)
        assert reply.error is not None  # the broken stream is the reply's error
        expected = ("error", BROKEN_TEXT, f"Error: {BROKEN_TEXT}")
    [call] = reply.calls
    assert (call.arguments, call.status, call.error) == ({"what": "a table"}, *expected[:2])
    assert ran == []
    assert [m["role"] for m in chat.history] == ["user", "assistant", "tool"]
    assert tool_texts(chat) == [expected[2]]
    next_send_is_accepted(chat, strict)


def test_stop_while_waiting_for_approval(strict, comms):
    ran = []
    chat, _ = approval_chat(strict, comms, ran, answer=False)
    reply = chat.send("Launch")
    until(lambda: len(reply.calls) == 2)
    chat.stop()
    assert reply.done and reply.status == "stopped"
    assert [call.status for call in reply.calls] == ["stopped", "stopped"]
    time.sleep(0.05)  # a worker that wrongly ran the function would have done it by now
    assert ran == []
    assert tool_texts(chat) == [STOPPED_TEXT, STOPPED_TEXT]
    next_send_is_accepted(chat, strict)


def test_stop_while_a_function_runs_discards_its_late_result(strict):
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def slow(n: int) -> int:
        """Slow."""
        started.set()
        release.wait(SLOW)
        finished.set()
        return n

    strict.add(calls(("slow", {"n": 1})))
    chat = chat_on(strict, [slow])
    reply = chat.send("go")
    assert started.wait(SLOW)
    chat.stop()
    assert reply.done and reply.status == "stopped"
    release.set()
    assert finished.wait(SLOW)
    time.sleep(0.05)
    assert reply.calls[0].status == "stopped"
    assert reply.calls[0].result is None
    assert tool_texts(chat) == [STOPPED_TEXT]
    next_send_is_accepted(chat, strict)


def test_regenerate_drops_the_whole_loop(strict):
    def ping() -> str:
        """Ping."""
        return "pong"

    strict.add(calls(("ping", {})), "first", calls(("ping", {})), "second")
    chat = chat_on(strict, [ping])
    chat.ask("go", timeout=SLOW)
    reply = chat.regenerate()
    assert reply.result(SLOW) == "second"
    assert [message["role"] for message in chat.history] == [
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert strict.requests[2].json["messages"] == [{"role": "user", "content": "go"}]


# --- Chat(...) arguments ----------------------------------------------------------------------


def test_bad_tool_options_fail_at_chat():
    with pytest.raises(TypeError, match="approve must be False"):
        Chat(api_key="k", approve="yes")
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1"):
        Chat(api_key="k", max_steps=0)
    with pytest.raises(TypeError, match=r"Tool 'f', parameter 'x' has no type hint"):

        def f(x): ...

        Chat(api_key="k", tools=[f])


def test_chat_tools_is_what_is_sent(strict):
    def ping(host: str) -> str:
        """Ping a host.

        Args:
            host: The host name.
        """
        return "pong"

    chat = chat_on(strict, [ping])
    assert chat.tools == [
        {
            "type": "function",
            "function": {
                "name": "ping",
                "description": "Ping a host.",
                "parameters": {
                    "additionalProperties": False,
                    "properties": {"host": {"description": "The host name.", "type": "string"}},
                    "required": ["host"],
                    "type": "object",
                },
            },
        }
    ]
    chat.ask("hi", timeout=SLOW)
    assert strict.requests[-1].json["tools"] == chat.tools


def test_the_steps_are_saved_and_exported(strict, tmp_path):
    def read(path: str) -> str:
        """Read a file."""
        return "text"

    def erase(path: str) -> str:
        """Erase a file."""
        return "gone"

    strict.add(calls(("read", {"path": "a"}), ("erase", {"path": "a"})), answer_from_results)
    chat = chat_on(strict, [read, erase], approve=lambda name, arguments: name == "read")
    chat.ask("Read, then erase a", timeout=SLOW)
    markdown = chat.to_markdown()
    assert "**Tool call** `read`" in markdown and "*(done)*" in markdown
    assert "**Tool call** `erase`" in markdown and "*(denied)*" in markdown
    assert DENIED_TEXT in markdown
    chat.save(tmp_path / "chat.json")
    loaded = Chat.load(
        tmp_path / "chat.json", base_url=strict.url, api_key="k", tools=[read, erase]
    )
    assert loaded.history == chat.history
    assert loaded.messages[1]["_co"]["calls"][1]["status"] == "denied"
    assert loaded.to_markdown() == markdown


def test_the_loop_unit_takes_any_function_that_makes_a_model_call():
    """ToolLoop on its own: the reply lifecycle hands it one function per model call."""

    def add(a: int, b: int) -> int:
        """a + b."""
        return a + b

    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
    }
    asked = {"role": "assistant", "tool_calls": [call]}
    answer = {"role": "assistant", "content": "5"}
    seen = []

    def step(messages):
        seen.append(messages)
        return StepOutcome(asked if len(seen) == 1 else answer, "COMPLETE", ok=True)

    archived = []
    loop = ToolLoop(build_toolset([add]), on_archive=archived.append)
    end = loop.run([{"role": "user", "content": "2+3?"}], step)
    assert end.final == answer and not end.capped
    assert archived == [asked]
    tool = {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "5"}]}
    assert loop.transcript() == [asked, tool]
    assert seen[1] == [{"role": "user", "content": "2+3?"}, asked, tool]
    assert [(c.name, c.arguments, c.status, c.result) for c in loop.calls] == [
        ("add", {"a": 2, "b": 3}, "done", 5)
    ]


def test_the_answer_cites_the_results_of_the_loops_own_calls(strict):
    def get_weather(city: str) -> dict:
        """Weather."""
        return {"city": city, "temp_c": 14}

    def script(request):
        results = tool_results(request)
        if not results:
            return calls(("get_weather", {"city": "Paris"}))
        source = {
            "type": "tool",
            "id": f"{results[0]['id']}:0",
            "tool_output": results[0]["documents"][0],
        }
        text = "It is 14 degrees in Paris."
        cite = {"start": 6, "end": 16, "text": "14 degrees", "sources": [source]}
        return text_events(text, citations=[cite])

    strict.responder = script
    chat = chat_on(strict, [get_weather])
    reply = chat.send("Weather in Paris?")
    reply.result(SLOW)
    [citation] = reply.citations
    assert reply.text[citation["start"] : citation["end"]] == "14 degrees"
    [source] = citation["sources"]
    # The cited result is matched to the loop's own call, which the first request did not have.
    assert source["tool_call"]["name"] == "get_weather"
    assert_sdk_valid(chat.history)
