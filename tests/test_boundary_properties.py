"""Property tests (hypothesis) of the input boundary: whatever a tool returns, whatever
arguments and citations the model sends, and whatever a chat file holds, the chat ends idle, its
history passes the chat's own validator and encodes as UTF-8 JSON (what the views' trait needs),
the saved file reloads, and the next ``send()`` works; a file either opens or is a ValueError."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from co_widget import Chat
from co_widget.session.conversation import validate_history
from co_widget.testing import FakeCohere, text_events, tool_results

SLOW = 10.0
FIXTURES = Path(__file__).parent / "fixtures" / "saved_0_1_0"
# Modest: a few seconds each (a chat example is a whole tool loop over real sockets).
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Strings a hostile source holds: lone surrogates, NULs, markup, a javascript: link.
texts = st.text(max_size=6) | st.sampled_from(
    ["half \ud83d", "\udc00", "\x00", "<script>x</script>", "[a](javascript:alert(1))"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)


def nested(levels: int, leaf: object = 1) -> object:
    for _ in range(levels):
        leaf = {"k": leaf}
    return leaf


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def _self_containing() -> dict:
    loop: dict = {}
    loop["loop"] = loop
    return loop


# What a Python tool may return.
results = st.one_of(
    values,
    st.binary(max_size=10),
    st.sets(st.integers(), max_size=3),
    st.integers(60, 70).map(nested),
    st.just(_Unprintable()),
    st.builds(_self_containing),
    st.lists(values, max_size=4).map(iter),  # a one-shot iterator, as a generator is
    st.text(min_size=1, max_size=3).map(lambda t: t * 3000),  # over a small cap
)
# What the model may send as a call's arguments (a JSON string, or not JSON at all).
arguments = st.one_of(
    values.map(json.dumps),
    texts,
    st.integers(60, 2000).map(lambda n: '{"x": ' * n + "1" + "}" * n),
    st.just('{"text": "half \\ud83d"}'),
)
# Citation objects of any shape.
sources = st.lists(values | st.fixed_dictionaries({"id": values}), max_size=2)
citations = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "start": values,
            "end": values,
            "text": values,
            "type": values,
            "content_index": values,
            "sources": values
            | st.lists(values | st.fixed_dictionaries({"id": values}), max_size=3),
        },
    ),
)


@pytest.fixture(scope="module")
def fake():
    with FakeCohere(strict=True) as server:
        yield server


@pytest.fixture(scope="module")
def lenient():
    """For loaded files: a history the user wrote may leave a tool call unanswered."""
    with FakeCohere() as server:
        yield server


def answer_from_results(request) -> str:
    return f"{len(tool_results(request))} results."


def assert_end_state(chat: Chat, fake: FakeCohere, tmp_path) -> None:
    assert chat.status == "idle"
    validate_history(chat.messages)
    json.dumps(chat.messages, allow_nan=False, ensure_ascii=False).encode("utf-8")
    path = tmp_path / "end.json"
    chat.save(path)
    assert Chat.load(path, base_url=fake.url, api_key="k").history == chat.history
    fake.add("Next.")
    assert chat.ask("next?", timeout=SLOW) == "Next."
    chat.close()


@given(result=results, raw_arguments=arguments, cited=st.lists(citations, max_size=3))
@SETTINGS
def test_hostile_tool_results_arguments_and_citations_never_break_a_chat(
    fake, tmp_path_factory, result, raw_arguments, cited
):
    def tool() -> object:
        """Whatever the test hands it."""
        return result

    chat = Chat(base_url=fake.url, api_key="k", tools=[tool], max_tool_result=4096)
    calls = [
        {"name": "tool", "arguments": "{}"},
        {"name": "tool", "arguments": raw_arguments},
    ]
    fake.add(
        text_events(tool_plan="Checking.", tool_calls=calls),
        lambda request: text_events("An answer with citations.", citations=cited),
    )
    reply = chat.send("go").wait(SLOW)
    assert reply.done
    assert_end_state(chat, fake, tmp_path_factory.mktemp("chat"))


# Real messages (from the files 0.1.0 saved) too, so that many generated files open.
FILES = [
    json.loads(path.read_text(encoding="utf-8"))["messages"]
    for path in sorted(FIXTURES.glob("*.chat.json"))
]
SAVED = [message for messages in FILES for message in messages]
message_shapes = st.one_of(
    st.sampled_from(SAVED),
    st.sampled_from(SAVED).flatmap(
        lambda message: st.dictionaries(texts, values, max_size=2).map(
            lambda extra: {**message, **extra}
        )
    ),
    values,
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "tool", "system"]) | values},
        optional={
            "content": values | st.just("text"),
            "tool_calls": values,
            "tool_call_id": values,
            "citations": st.lists(citations, max_size=2),
            "_co": st.fixed_dictionaries(
                {},
                optional={
                    k: values for k in ("calls", "documents", "tools", "usage", "status", "step")
                },
            ),
            "newer_key": values,
        },
    ),
)


@given(
    messages=st.lists(message_shapes, max_size=4)
    | st.tuples(st.sampled_from(FILES), st.integers(0, 30), message_shapes).map(
        lambda f: [*f[0][: f[1]], f[2]]  # a real conversation, then anything
    ),
    extra=st.dictionaries(st.sampled_from(["params", "system", "model", "later"]), values),
)
@settings(SETTINGS, max_examples=60)
def test_any_file_opens_or_is_a_value_error(lenient, tmp_path_factory, messages, extra):
    doc = {"format": "co_widget.chat", "version": 1, "model": "command-a-vision-07-2025"}
    doc |= {"messages": messages, **extra}
    path = tmp_path_factory.mktemp("file") / "chat.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chat = Chat.load(path, base_url=lenient.url, api_key="k")
    except ValueError:
        event("refused")
        return  # refused, with a message: nothing else may escape
    event("opened")
    assert_end_state(chat, lenient, tmp_path_factory.mktemp("chat"))
