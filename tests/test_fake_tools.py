"""FakeCohere for tool loops: replies that depend on the request, ``tool_results``, and the strict
mode that answers 400 to a history with an unanswered tool call (over real sockets)."""

from __future__ import annotations

import json

import httpx
import pytest
import requests

from co_widget.testing import FakeCohere, text_events, tool_results

MODEL = "command-a-03-2025"
CALL = {
    "id": "get_weather_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
ASKED = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "tool_plan": "I will look it up.", "tool_calls": [CALL]},
]


def post(fake: FakeCohere, messages: list[dict], stream: bool = False) -> requests.Response:
    body = {"model": MODEL, "stream": stream, "messages": messages}
    # A session of its own, closed here: no keep-alive socket outlives the test.
    with requests.Session() as session:
        response = session.post(f"{fake.url}/v2/chat", json=body, timeout=10)
        response.close()
    return response


def tool_message(content, call_id: str = "get_weather_1") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def test_tool_results_reads_documents_text_and_arguments():
    request = {
        "messages": [
            *ASKED,
            tool_message([{"type": "document", "document": {"data": {"temp_c": 21}}}]),
        ]
    }
    assert tool_results(request) == [
        {
            "id": "get_weather_1",
            "name": "get_weather",
            "arguments": {"city": "Paris"},
            "documents": [{"temp_c": 21}],
            "text": "",
        }
    ]
    request["messages"][-1] = tool_message("21 degrees")
    assert tool_results(request)[0]["text"] == "21 degrees"


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "hi"}],
        ASKED,
        # Results of an earlier exchange are not this request's results.
        [*ASKED, tool_message("21"), {"role": "assistant", "content": "21"}, ASKED[0]],
        [],
    ],
    ids=["first-request", "calls-not-answered", "earlier-exchange", "empty"],
)
def test_no_tool_results(messages):
    assert tool_results({"messages": messages}) == []


def test_a_queued_function_answers_from_the_request():
    def script(request):
        results = tool_results(request)
        if not results:
            return text_events(tool_calls=[CALL])
        return f"It is {results[0]['documents'][0]['temp_c']} °C."

    with FakeCohere([script, script]) as fake:
        first = post(fake, ASKED[:1]).json()
        assert first["finish_reason"] == "TOOL_CALL"
        assert first["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
        doc = [{"type": "document", "document": {"data": {"temp_c": 21}}}]
        second = post(fake, [*ASKED, tool_message(doc)]).json()
        assert second["message"]["content"] == [{"type": "text", "text": "It is 21 °C."}]


def test_a_script_that_fails_answers_500():
    with FakeCohere([lambda request: 1 / 0]) as fake:
        response = post(fake, ASKED[:1])
    assert response.status_code == 500
    assert "ZeroDivisionError" in response.json()["message"]


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        (
            [*ASKED, {"role": "user", "content": "and?"}],
            "missing for tool call id(s) get_weather_1",
        ),
        (ASKED, "missing for tool call id(s) get_weather_1"),
        ([ASKED[0], tool_message("21")], "tool call id not found in previous tool calls"),
        ([*ASKED, tool_message("21"), tool_message("22")], "tool call id not found"),
        ([*ASKED, tool_message("21"), *ASKED[1:]], "cannot have duplicate tool ids"),
        ([*ASKED, {"role": "tool", "content": "21"}], "tool call id must be provided"),
    ],
    ids=["unanswered", "unanswered-at-end", "no-call", "answered-twice", "duplicate", "no-id"],
)
def test_strict_mode_rejects_a_broken_tool_history_like_cohere(messages, message):
    with FakeCohere(["never sent"], strict=True) as fake:
        response = post(fake, messages, stream=True)
        assert response.status_code == 400
        assert message in response.json()["message"]
        assert len(fake.requests) == 1  # recorded, like every request
        # A lenient fake takes the same history.
        fake.strict = False
        assert post(fake, messages).status_code == 200


def test_strict_mode_accepts_a_valid_tool_history():
    messages = [*ASKED, tool_message("21"), {"role": "assistant", "content": "21"}]
    with FakeCohere(["ok"], strict=True) as fake:
        response = post(fake, [*messages, {"role": "user", "content": "thanks"}])
    assert response.status_code == 200
    assert json.loads(response.text)["message"]["content"][0]["text"] == "ok"


@pytest.mark.sdk
def test_the_sdk_runs_a_scripted_tool_loop():
    cohere = pytest.importorskip("cohere")

    def script(request):
        results = tool_results(request)
        if not results:
            return text_events(tool_plan="Checking.", tool_calls=[CALL])
        return f"{results[0]['name']} says {results[0]['documents'][0]['temp_c']}."

    # The SDK's HTTP client is ours to close: no socket outlives the test.
    with FakeCohere(responder=script, strict=True) as fake, httpx.Client() as http:
        client = cohere.ClientV2(api_key="x", base_url=fake.url, httpx_client=http)
        messages: list = [{"role": "user", "content": "Weather in Paris?"}]
        first = client.chat(model=MODEL, messages=messages)
        assert first.finish_reason == "TOOL_CALL"
        messages.append(first.message)
        call = first.message.tool_calls[0]
        messages.append(
            {
                "role": "tool",
                "tool_call_id": call.id,
                "content": [{"type": "document", "document": {"data": {"temp_c": 21}}}],
            }
        )
        second = client.chat(model=MODEL, messages=messages)
    assert second.message.content[0].text == "get_weather says 21."
