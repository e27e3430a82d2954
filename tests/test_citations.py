"""Citations out: reply.citations on the reply's own strings (code points, content blocks), tool
results named, FakeCohere's grounded answers in both modes, citations in the delta stream, and
footnotes in the Markdown transcript."""

from __future__ import annotations

import pytest

from co_widget import Chat
from co_widget.testing import text_events
from co_widget.turn.citations import place_citations

DOCS = [
    {"id": "coke", "data": {"title": "Coca-Cola 🥤", "text": "Coca-Cola was invented in 1886."}},
    {"id": "row:0", "data": {"brand": "Pepsi", "year": 1893}},
    "東京 is the capital of Japan. It is large.",
]


def span(text: str, quote: str, **extra) -> dict:
    start = text.index(quote)
    return {
        "start": start,
        "end": start + len(quote),
        "text": quote,
        "sources": [{"type": "document", "id": "d", "document": {"id": "d", "text": quote}}],
        **extra,
    }


@pytest.mark.parametrize(
    "text",
    [
        "🥤🥤 Emoji first, then the fact: invented in 1886.",
        "東京は日本の首都です。 The fact: invented in 1886.",
        "Cafe\u0301 e\u0301te\u0301 \U0001d49e: invented in 1886.",
        "Some **bold** text, then [a link](https://x.io): invented in 1886.",
    ],
)
def test_offsets_are_python_characters_past_astral_cjk_and_combining_marks(fake, text):
    quote = "invented in 1886"
    fake.add(text_events(text, citations=[span(text, quote)]))
    reply = Chat(base_url=fake.url, api_key="k").send("q").wait(10)
    [citation] = reply.citations
    assert reply.text[citation["start"] : citation["end"]] == citation["text"] == quote


def test_a_thinking_block_before_the_answer_keeps_the_offsets_on_reply_text(fake):
    answer = "The answer is four 🥤."
    thinking = "Two and two make four."
    citations = [
        span(answer, "four", type="TEXT_CONTENT", content_index=1),
        span(thinking, "Two and two", type="THINKING_CONTENT", content_index=0),
    ]
    fake.add(text_events(answer, thinking=thinking, citations=citations))
    reply = Chat(base_url=fake.url, api_key="k").send("q").wait(10)
    text_cite, thinking_cite = reply.citations
    assert text_cite["content_index"] == 1 and text_cite["type"] == "TEXT_CONTENT"
    assert reply.text[text_cite["start"] : text_cite["end"]] == "four"
    assert reply.thinking[thinking_cite["start"] : thinking_cite["end"]] == "Two and two"
    # The message for the history keeps Cohere's objects as they came.
    assert reply.message["citations"] == citations


def test_citations_on_a_later_text_block_are_shifted_onto_the_joined_text():
    blocks = [(0, "text", "First block. "), (1, "text", "Second 🥤 block cites this.")]
    raw = {"start": 15, "end": 25, "text": "cites this", "content_index": 1, "sources": []}
    [placed] = place_citations([raw], blocks)
    joined = "".join(text for _, _, text in blocks)
    assert joined[placed["start"] : placed["end"]] == "cites this"


@pytest.mark.parametrize("mode", ["fast", "ACCURATE"])
def test_fake_cohere_answers_documents_with_correct_citations(fake, mode):
    chat = Chat(base_url=fake.url, api_key="k", citation_options={"mode": mode})
    reply = chat.send("When was Coca-Cola invented?", documents=DOCS).wait(10)
    assert reply.status == "complete"
    assert len(reply.citations) == 3
    for citation in reply.citations:
        assert reply.text[citation["start"] : citation["end"]] == citation["text"]
        [source] = citation["sources"]
        assert source["type"] == "document" and source["document"]["id"] == source["id"]
    first = reply.citations[0]
    assert first["text"] == "Coca-Cola was invented in 1886."  # the best match comes first
    assert first["sources"][0]["document"]["title"] == "Coca-Cola 🥤"


def test_fast_mode_interleaves_citations_accurate_mode_sends_them_after_the_text(fake):
    from co_widget.testing.grounded import grounded_reply

    def order(mode: str) -> list[str]:
        request = {"messages": [{"role": "user", "content": "q"}], "documents": DOCS}
        request["citation_options"] = {"mode": mode}
        types = [e["type"] for e in grounded_reply(request)]
        return [t for t in types if t in ("citation-start", "content-end")]

    assert order("FAST")[-1] == "content-end" and order("FAST").count("citation-start") == 3
    assert order("ACCURATE")[0] == "content-end"
    assert order("OFF") == ["content-end"]


def test_without_documents_fake_cohere_still_echoes(fake):
    assert Chat(base_url=fake.url, api_key="k").ask("echo me") == "echo me"


def test_citations_reach_the_views_in_deltas_and_snapshots(fake, comms):
    chat = Chat(base_url=fake.url, api_key="k")
    recorder = next(r for r in comms if r.comm_id == chat.model_id)
    reply = chat.send("q", documents=DOCS).wait(10)
    custom = [m.custom for m in recorder.messages if m.custom is not None]
    deltas = [m for m in custom if m["type"] == "delta"]
    streamed = [c for m in deltas for c in m.get("citations", [])]
    assert streamed == reply.message["citations"] and streamed
    chat._view_actions.handle(chat, {"type": "snapshot"}, [])  # idle: an empty partial
    custom = [m.custom for m in recorder.messages if m.custom is not None]
    snapshot = [m for m in custom if m["type"] == "snapshot"][-1]
    assert snapshot["partial"]["citations"] == []


def test_a_cited_tool_result_is_named_by_its_tool_call(fake):
    call = {
        "id": "weather_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    answer = "It is sunny in Paris."
    tool_source = {"type": "tool", "id": "weather_1:0", "tool_output": {"sky": "sunny"}}
    fake.add(text_events(answer, citations=[{**span(answer, "sunny"), "sources": [tool_source]}]))
    chat = Chat(base_url=fake.url, api_key="k")
    chat.history = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "weather_1", "content": '{"sky": "sunny"}'},
    ]
    reply = chat.regenerate().wait(10)
    [source] = reply.citations[0]["sources"]
    assert source["tool_call"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert source["tool_output"] == {"sky": "sunny"}
    assert chat.messages[-1]["_co"]["tools"] == {"weather_1:0": source["tool_call"]}
    assert "tool_call" not in chat.history[-1]["citations"][0]["sources"][0]


def test_to_markdown_renders_citations_as_footnotes(fake):
    text = "Use `x`:\n\n```py\nprint(1)\n```\n\nCoca-Cola dates from 1886. Pepsi from 1893."
    doc = {
        "type": "document",
        "id": "coke",
        "document": {
            "id": "coke",
            "title": "History",
            "url": "https://x.io/h",
            "text": "Coca-Cola:\nfrom 1886.",
        },
    }
    row = {"type": "document", "id": "row:0", "document": {"id": "row:0", "brand": "Pepsi"}}
    citations = [
        {**span(text, "print(1)"), "sources": [doc]},  # in code: no reference there
        {**span(text, "dates from 1886"), "sources": [doc]},
        {**span(text, "Pepsi from 1893"), "sources": [row, doc]},
    ]
    fake.add(
        text_events(text, citations=citations),
        text_events("Again 1886.", citations=[{**span("Again 1886.", "1886"), "sources": [doc]}]),
    )
    chat = Chat(base_url=fake.url, api_key="k")
    chat.send("q").wait(10)
    chat.send("again").wait(10)
    markdown = chat.to_markdown()
    assert "print(1)\n```" in markdown  # the code block is untouched
    assert "dates from 1886[^1]. Pepsi from 1893[^2][^1]." in markdown
    assert "[^1]: **History** `coke` <https://x.io/h> “Coca-Cola: from 1886.”" in markdown
    assert "[^2]: `row:0` “Pepsi”" in markdown
    # A source cited again later keeps its number and is not defined twice.
    assert "Again 1886[^1]." in markdown and markdown.count("[^1]:") == 1


def test_a_snapshot_mid_stream_holds_the_citations_sent_so_far():
    from co_widget.session.coalescer import DeltaCoalescer

    sent = []
    citation = span("Coca-Cola dates from 1886.", "1886")
    with DeltaCoalescer(sent.append) as coalescer:
        coalescer.add("text", "Coca-Cola dates from 1886.")
        coalescer.add("citations", citation)  # alone, it still goes out: it counts its JSON
        partials = []
        coalescer.snapshot(partials.append)
    assert [c for delta in sent for c in delta.get("citations", [])] == [citation]
    assert partials[0]["text"] == "Coca-Cola dates from 1886."
    assert partials[0]["citations"] == [citation]
