"""validate_messages, validate_params and build_chat_body: bad input fails before any request."""

from __future__ import annotations

import copy
import json

import pytest

from co_widget.request.messages import validate_messages
from co_widget.request.params import KNOWN_PARAMS, build_chat_body, validate_params
from tests.support.seed import EXPECTED_BODY, seed_parts


def user(text="hi"):
    return {"role": "user", "content": text}


def assistant_with_call(call_id="c1", arguments='{"city": "Paris"}'):
    return {
        "role": "assistant",
        "tool_plan": "I will look it up.",
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": "weather", "arguments": arguments},
            }
        ],
    }


# --- the original example request ---------------------------------------------------------


def test_seed_request_p_zero_is_rejected_naming_the_range():
    model, messages, params = seed_parts()
    assert params["p"] == 0
    with pytest.raises(ValueError, match=r"p must be a number in \[0.01, 0.99\], got 0"):
        build_chat_body(model, messages[1:], messages[0]["content"], params)


def test_seed_request_is_normalised_as_decided():
    """Single-object content -> one-element list; nulls omitted; system first; p left out."""
    model, messages, params = seed_parts()
    del params["p"]
    body = build_chat_body(model, messages[1:], messages[0]["content"], params)
    assert body == EXPECTED_BODY
    assert "null" not in json.dumps(body)


def test_seed_request_system_message_in_the_history_is_refused():
    _, messages, _ = seed_parts()
    with pytest.raises(ValueError, match=r"messages\[0\].*chat.system"):
        validate_messages(messages)


# --- validate_messages ----------------------------------------------------------------------


def test_valid_history_round_trips_as_a_deep_copy():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
        assistant_with_call(),
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
        {
            "role": "assistant",
            "content": [{"type": "thinking", "thinking": "hm"}, {"type": "text", "text": "21"}],
            "citations": [{"start": 0, "end": 2, "text": "21", "sources": []}],
            "_co": {"status": "complete", "warnings": []},
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AA==", "detail": "low"},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": [{"type": "document", "document": {"data": {"t": 1}, "id": "d"}}],
        },
    ]
    original = copy.deepcopy(history)
    result = validate_messages(history)
    assert result == original and history == original
    assert result[3]["_co"] is not history[3]["_co"]
    assert result[0]["content"] is not history[0]["content"]


def test_single_block_content_is_normalised_without_touching_the_input():
    history = [{"role": "user", "content": {"type": "text", "text": "hello"}}]
    assert validate_messages(history) == [
        {"role": "user", "content": [{"type": "text", "text": "hello"}]}
    ]
    assert history[0]["content"] == {"type": "text", "text": "hello"}


def test_assistant_may_have_only_tool_calls_or_empty_content():
    assert validate_messages([user(), assistant_with_call()])
    assert validate_messages([user(), {"role": "assistant", "content": ""}])


@pytest.mark.parametrize(
    ("history", "error"),
    [
        ("hello", r"messages must be a list"),
        ([user(), "hi"], r"messages\[1\]: must be a dict"),
        ([{"role": "bot", "content": "x"}], r"messages\[0\]: role must be 'user', 'assistant'"),
        ([{"content": "x"}], r"messages\[0\]: role must be"),
        ([{"role": "user", "content": "x", "name": "me"}], r"unknown key\(s\) \['name'\]"),
        ([{"role": "user"}], r"messages\[0\]: a user message needs 'content'"),
        ([user("")], r"messages\[0\]: the user message is empty"),
        ([user("  \n")], r"the user message is empty"),
        ([{"role": "user", "content": []}], r"the user message is empty"),
        ([{"role": "user", "content": 3}], r"'content' must be a string or a list"),
        ([{"role": "user", "content": [{"type": "thinking", "thinking": "x"}]}], r"content\[0\]"),
        ([{"role": "user", "content": [{"type": "text"}]}], r"needs a string 'text'"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": "u"}]}], r"image_url"),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "u", "detail": "max"}}],
                }
            ],
            r"'detail' must be one of",
        ),
        ([user(), {"role": "assistant", "tool_plan": 3}], r"messages\[1\]: 'tool_plan'"),
        ([user(), {"role": "assistant", "tool_calls": {}}], r"'tool_calls' must be a list"),
        (
            [user(), {"role": "assistant", "tool_calls": [{"id": "c"}]}],
            r"tool_calls\[0\] must look",
        ),
        ([user(), assistant_with_call(arguments={"city": "Paris"})], r"json\.dumps"),
        ([user(), {"role": "assistant", "citations": "x"}], r"'citations' must be a list"),
        (
            [user(), {"role": "tool", "content": "x"}],
            r"messages\[1\]: a tool message needs 'tool_call_id'",
        ),
        ([user(), {"role": "tool", "tool_call_id": "zz", "content": "x"}], r"matches no tool call"),
        (
            [user(), assistant_with_call(), {"role": "tool", "tool_call_id": "c1"}],
            r"needs 'content'",
        ),
        (
            [
                user(),
                assistant_with_call(),
                {"role": "tool", "tool_call_id": "c1", "content": [{"type": "document"}]},
            ],
            r"messages\[2\]: content\[0\] needs 'document'",
        ),
    ],
)
def test_invalid_histories_name_the_index_and_the_fix(history, error):
    with pytest.raises(ValueError, match=error):
        validate_messages(history)


# --- validate_params ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("temperature", [0, 0.3, 1], [-0.1, 1.01, "0.3", True, float("nan")]),
        ("p", [0.01, 0.75, 0.99], [0, 1, 0.995, "0.5"]),
        ("k", [0, 40, 500], [-1, 501, 1.5, True]),
        ("frequency_penalty", [0, 1], [-0.5, 2]),
        ("presence_penalty", [0, 0.5], [1.5]),
        ("max_tokens", [1, 4096], [0, -1, 2.0]),
        ("seed", [0, 2**64 - 1], [-1, 2**64, "1"]),
        ("priority", [0, 999], [-1, 1000]),
        ("safety_mode", ["CONTEXTUAL", "STRICT", "OFF"], ["contextual", "NONE"]),
        ("stop_sequences", [[], ["a"], ["1", "2", "3", "4", "5"]], ["a", [""], list("123456")]),
        ("logprobs", [True, False], [1, "yes"]),
        ("strict_tools", [True], [0]),
        ("thinking", [{"type": "enabled", "token_budget": 1}, {"type": "disabled"}],
         [{"type": "on"}, {}, {"type": "enabled", "token_budget": 0},
          {"type": "enabled", "budget": 5}, "enabled"]),
        ("response_format", [{"type": "text"}, {"type": "json_object", "json_schema": {}}],
         [{"type": "json"}, {"type": "text", "json_schema": {}}, {}]),
        ("citation_options", [{"mode": "FAST"}, {"mode": "ACCURATE"}, {"mode": "OFF"}, {}],
         [{"mode": "sometimes"}, {"mode": 1}, {"type": "disabled"}]),
    ],
)  # fmt: skip
def test_documented_ranges(name, good, bad):
    for value in good:
        assert validate_params({name: value}) == {name: value}
    for value in bad:
        with pytest.raises(ValueError, match=name):
            validate_params({name: value})


def test_p_error_names_the_documented_range():
    with pytest.raises(ValueError, match=r"\[0.01, 0.99\]"):
        validate_params({"p": 0})


def test_none_means_unset_and_is_omitted():
    params = {"temperature": 0.5, "frequency_penalty": None, "presence_penalty": None}
    assert validate_params(params) == {"temperature": 0.5}
    assert validate_params({"thinking": {"type": "enabled", "token_budget": None}}) == {
        "thinking": {"type": "enabled"}
    }


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown parameter 'temprature'") as info:
        validate_params({"temprature": 0.5})
    for name in KNOWN_PARAMS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "fix"),
    [("top_p", "Cohere calls it p"), ("preamble", "system="), ("stream", "always streams")],
)
def test_names_from_elsewhere_get_a_pointed_fix(name, fix):
    with pytest.raises(ValueError, match=fix):
        validate_params({name: 1})


def tool(name="weather"):
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def test_tools_and_tool_choice():
    assert validate_params({"tools": [tool()], "tool_choice": "REQUIRED"})["tool_choice"] == (
        "REQUIRED"
    )
    for bad in ([tool("1st")], [tool("a-b")], [{"type": "function"}], tool()):
        with pytest.raises(ValueError, match="tools"):
            validate_params({"tools": bad})
    with pytest.raises(ValueError, match="tool_choice='REQUIRED' needs tools"):
        validate_params({"tool_choice": "REQUIRED"})


def test_thinking_with_only_a_budget_is_enabled():
    # Cohere's docs example omits "type", which the API requires.
    assert validate_params({"thinking": {"token_budget": 512}}) == {
        "thinking": {"type": "enabled", "token_budget": 512}
    }


def test_validate_params_returns_a_copy():
    params = {"stop_sequences": ["END"], "tools": [tool()]}
    result = validate_params(params)
    result["stop_sequences"].append("X")
    result["tools"][0]["function"]["name"] = "changed"
    assert params == {"stop_sequences": ["END"], "tools": [tool()]}


# --- build_chat_body ------------------------------------------------------------------------


def test_body_puts_system_first_and_strips_widget_metadata():
    history = [user(), {"role": "assistant", "content": "yo", "_co": {"status": "complete"}}]
    body = build_chat_body("command-a-03-2025", history, "Be brief.", {"temperature": 0})
    assert body == {
        "stream": True,
        "model": "command-a-03-2025",
        "messages": [
            {"role": "system", "content": "Be brief."},
            user(),
            {"role": "assistant", "content": "yo"},
        ],
        "temperature": 0,
    }
    assert "_co" in history[1]  # the caller's history is untouched


def test_body_without_system():
    assert build_chat_body("m", [user()], None, {})["messages"] == [user()]
    assert build_chat_body("m", [user()], "", {})["messages"] == [user()]


@pytest.mark.parametrize(
    ("model", "system", "error"),
    [("", None, "model must be"), (None, None, "model must be"), ("m", 3, "system must be")],
)
def test_body_rejects_a_bad_model_or_system(model, system, error):
    with pytest.raises(ValueError, match=error):
        build_chat_body(model, [user()], system, {})
