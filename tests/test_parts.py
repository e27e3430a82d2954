"""The parts model (co_widget/turn/parts.py): declared the same in js/src/state/parts.js, its
conversions to and from a Cohere v2 message, citations placed once with offsets for both sides, and
the checks the ``messages`` trait runs on every write."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import typing_extensions
from test_structure import js_type, js_typedefs

from co_widget import Chat
from co_widget.turn import parts as _parts
from tests.support.comm_recorder import recorder_of

PARTS_JS = Path(__file__).resolve().parents[1] / "js" / "src" / "state" / "parts.js"


def fields(cls) -> dict[str, tuple[str, bool]]:
    """{field: (JSDoc type, optional)}: optional when NotRequired, or in a ``total=False``."""
    found = {}
    for field, hint in typing.get_type_hints(cls, include_extras=True).items():
        not_required = typing.get_origin(hint) is typing_extensions.NotRequired
        optional = not_required or (field in cls.__optional_keys__ and not cls.__total__)
        found[field] = (js_type(typing.get_args(hint)[0] if not_required else hint), optional)
    return found


DECLARED = [
    *_parts.PART_TYPES,
    _parts.PlacedSpan,
    _parts.ToolCard,
    _parts.CoRecord,
    _parts.ContentBlock,
    _parts.ChatMessage,
]


@pytest.mark.parametrize("cls", DECLARED, ids=lambda cls: cls.__name__)
def test_each_declaration_is_the_same_on_both_sides(cls):
    assert js_typedefs(PARTS_JS)[cls.__name__] == fields(cls)


def test_the_part_kinds_and_their_union_are_the_same_on_both_sides():
    text = PARTS_JS.read_text(encoding="utf-8")
    kinds = re.search(r"PART_KINDS = /\*\* @type \{const\} \*/ \(\[(.*?)\]\)", text, re.S)
    assert kinds is not None
    assert tuple(re.findall(r'"(\w+)"', kinds.group(1))) == _parts.PART_KINDS
    union = re.search(r"@typedef \{([\w\s|]+)\} Part \*/", text)
    assert union is not None
    assert [m.strip() for m in union.group(1).split("|")] == [
        cls.__name__ for cls in _parts.PART_TYPES
    ]
    # Python exports each kind's field names, in declaration order.
    for kind, cls in zip(_parts.PART_KINDS, _parts.PART_TYPES, strict=True):
        assert _parts.PART_FIELDS[kind] == tuple(js_typedefs(PARTS_JS)[cls.__name__])


def test_spans_count_code_points_for_python_and_utf16_units_for_the_view():
    text = "🍾 Paris, ça va 𝄞 oui"
    message = {
        "role": "assistant",
        "content": [{"type": "thinking", "thinking": "x"}, {"type": "text", "text": text}],
        "citations": [
            {"start": 2, "end": 7, "text": "Paris", "content_index": 1, "sources": []},
            {"start": 15, "end": 16, "text": "𝄞", "content_index": 1, "sources": []},
        ],
    }
    spans = _parts.spans_of(message)
    for span, citation in zip(spans, message["citations"], strict=True):
        assert text[span["start"] : span["end"]] == citation["text"]
        units = text.encode("utf-16-le")
        cited = units[2 * span["start16"] : 2 * span["end16"]].decode("utf-16-le")
        assert cited == citation["text"]
    assert [(s["start16"], s["end16"]) for s in spans] == [(3, 8), (16, 18)]


def test_a_message_turns_into_parts_and_back():
    message = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me look."},
            {"type": "text", "text": "It is 21 °C."},
        ],
        "tool_plan": "I will call the weather tool.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
            }
        ],
        "citations": [{"start": 6, "end": 11, "text": "21 °C", "content_index": 1, "sources": []}],
        "_co": {"status": "complete", "warnings": ["Skipped a malformed stream event."]},
    }
    parts = _parts.parts_of(message)
    assert [part["kind"] for part in parts] == [
        "plan",
        "thinking",
        "text",
        "tool_call",
        "notice",
    ]
    text = parts[2]
    assert text["kind"] == "text"
    assert [(s["start"], s["end"], s["citation"]) for s in text["spans"]] == [(6, 11, 0)]
    plain = {key: value for key, value in message.items() if key != "_co"}
    assert _parts.message_of(parts, message["citations"]) == plain


def test_a_json_answer_and_a_users_image_are_parts_of_their_own():
    answer = {"role": "assistant", "content": '{"a": 1}', "_co": {"format": "json"}}
    assert _parts.parts_of(answer) == [{"kind": "json", "text": '{"a": 1}'}]
    url = "data:image/png;base64,AAAA"
    user = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is it?"},
            {"type": "image_url", "image_url": {"url": url}},
        ],
    }
    assert _parts.parts_of(user) == [
        {"kind": "text", "text": "What is it?", "spans": []},
        {"kind": "image", "url": url, "detail": None},
    ]


def test_every_co_record_goes_through_the_builders():
    error = {"type": "CohereError", "message": "boom", "hint": None, "request_id": None}
    assert _parts.record_problem(_parts.error_record(error)) is None
    assert _parts.step_record(None) == {"step": True}
    message = _parts.with_record({"role": "user", "content": "hi"}, _parts.user_record([]))
    assert _parts.without_record_keys(message, "documents") == []
    assert message == {"role": "user", "content": "hi"}
    with pytest.raises(TypeError, match="not a field"):
        _parts.reply_record(
            status="complete", finish_reason=None, usage=None, error=None, warnings=[], colour="red"
        )


def test_the_trait_refuses_what_the_views_could_not_read(fake):
    chat = Chat(base_url=fake.url, api_key="k")
    fake.add("Hello.")
    chat.send("Hi").wait(10)
    kept = chat.messages
    with pytest.raises(Exception, match=r"messages\[2\]\['_co'\].*'status'"):
        chat.messages = [*kept, {"role": "assistant", "content": "x", "_co": {"status": "odd"}}]
    with pytest.raises(Exception, match=r"messages\[0\] must be a dict with a role"):
        chat.messages = [{"content": "no role"}]
    assert chat.messages == kept  # refused: nothing changed
    assert chat.ask("Again") == "Again"  # the fake's echo; the chat is still usable


def test_a_cited_turn_carries_its_placed_spans_in_the_trait_only(fake, tmp_path):
    chat = Chat(base_url=fake.url, api_key="k")
    chat.send("Where?", documents=[{"title": "a", "text": "Paris is in France 🇫🇷."}]).wait(10)
    message = chat.messages[-1]
    assert message["citations"]
    assert message["_co"]["spans"] == _parts.spans_of(message)
    assert "_co" not in chat.history[-1]
    chat.save(tmp_path / "c.chat.json")
    assert '"spans"' not in (tmp_path / "c.chat.json").read_text("utf-8")


def test_a_streamed_citation_arrives_placed_for_the_view(fake, comms):
    chat = Chat(base_url=fake.url, api_key="k")
    chat.send("Where?", documents=[{"title": "a", "text": "🍾 Paris is in France."}]).wait(10)
    sent = recorder_of(chat, comms).messages
    deltas = [m.custom for m in sent if (m.custom or {}).get("type") == "delta"]
    text = "".join(delta.get("text", "") for delta in deltas)
    citations = [c for delta in deltas for c in delta.get("citations", [])]
    spans = [s for delta in deltas for s in delta.get("spans", [])]
    assert citations and len(spans) == len(citations)
    units = text.encode("utf-16-le")
    for span, citation in zip(spans, citations, strict=True):
        # The view slices its JavaScript string with the UTF-16 offsets as they are.
        assert (
            units[2 * span["start16"] : 2 * span["end16"]].decode("utf-16-le") == citation["text"]
        )
        assert text[span["start"] : span["end"]] == citation["text"]
    # The committed turn keeps the same placement.
    assert chat.messages[-1]["_co"]["spans"] == spans


def test_a_notice_is_a_part_of_its_turn_checked_saved_and_loaded(fake, tmp_path):
    # The producer: a chat whose corpus is empty notes it in the turn, as a notice part.
    pytest.importorskip("numpy")
    chat = Chat(base_url=fake.url, api_key="k", corpus=[])
    chat.send("Anything?").wait(10)
    (notice,) = chat.messages[-1]["_co"]["notices"]
    assert notice == {"kind": "notice", "level": "info", "text": notice["text"]}
    assert [p for p in _parts.parts_of(chat.messages[-1]) if p["kind"] == "notice"] == [notice]
    chat.save(tmp_path / "n.chat.json")
    loaded = Chat.load(tmp_path / "n.chat.json", base_url=fake.url, api_key="k")
    assert loaded.messages[-1]["_co"]["notices"] == [notice]
    bad = {"role": "assistant", "content": "x", "_co": {"notices": [{"level": "loud"}]}}
    with pytest.raises(Exception, match=r"'notices' must be a list of notice parts"):
        chat.messages = [*chat.messages, bad]
