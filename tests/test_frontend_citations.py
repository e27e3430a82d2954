"""Grounded replies in the bubble, in a real Chromium against the front-end harness: highlighted
spans (offsets in code points, across markdown), source cards, the Sources list, live spans while
streaming, and fast and accurate modes rendering the same."""

from __future__ import annotations

import pytest

from co_widget.testing import text_events
from co_widget.testing.grounded import grounded_reply
from co_widget.turn.parts import place_citation

# The harness fixtures (page, browser, harness_url) are in conftest.py.
from tests.test_frontend import emit, frames, set_trait, setup, user

pytestmark = pytest.mark.browser


def doc_source(doc_id: str, **data) -> dict:
    return {"type": "document", "id": doc_id, "document": {"id": doc_id, **data}}


def cite(text: str, quote: str, *sources: dict, after: int = 0, shift: int = 0) -> dict:
    """A citation of ``quote`` in ``text`` (its first occurrence from ``after``), with offsets in
    code points as Cohere counts them; ``shift`` moves both, for a span in a later block."""
    start = text.index(quote, after)
    return {
        "start": start + shift,
        "end": start + len(quote) + shift,
        "text": quote,
        "sources": list(sources) or [doc_source("d0", title="Doc")],
        "type": "TEXT_CONTENT",
    }


def cited_texts(page, scope: str = ".co-assistant") -> dict[str, str]:
    """The highlighted text of each citation (its pieces joined), by citation number."""
    return page.evaluate(
        """(scope) => {
            const texts = {};
            for (const mark of document.querySelectorAll(`${scope} .co-cite`))
                for (const k of mark.dataset.cite.split(" "))
                    texts[k] = (texts[k] ?? "") + mark.textContent;
            return texts;
        }""",
        scope,
    )


# An element's text without the source numbers that follow its spans.
WITHOUT_REFS = """(el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".co-cite-ref").forEach((ref) => ref.remove());
    return copy.textContent;
}"""


def grounded(text: str, citations: list[dict], **extra) -> dict:
    co = {"status": "complete", "finish_reason": "COMPLETE", "usage": None, "error": None}
    return {
        "role": "assistant",
        "content": text,
        "citations": citations,
        "_co": {**co, "warnings": []},
        **extra,
    }


ASTRAL = "🥤 Fizz 𝒞 and 東京 café (e\u0301) then Coca-Cola was invented in 1886."


def test_spans_sit_on_their_text_past_astral_cjk_and_combining_characters(page):
    quotes = ["Fizz", "東京", "café (e\u0301)", "invented in 1886"]
    citations = [cite(ASTRAL, quote) for quote in quotes]
    setup(page, messages=[user("q"), grounded(ASTRAL, citations)])
    assert cited_texts(page) == {str(k): quote for k, quote in enumerate(quotes)}
    # Each span is one highlighted element followed by its source's number.
    marks = page.locator(".co-assistant .co-md mark.co-cite")
    assert marks.count() == 4
    assert page.locator(".co-cite-ref").first.inner_text() == "[1]"
    # The highlight is visible: a background colour that is not transparent.
    background = marks.first.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_spans_across_bold_italics_and_links_are_highlighted(page):
    text = (
        "Coca-Cola is a **carbonated soft drink** made by "
        "[The Coca-Cola Company](https://coca-colacompany.com) since *1886*."
    )
    citations = [
        cite(text, "carbonated soft drink"),  # inside bold
        cite(text, "a **carbonated soft"),  # across the start of bold
        cite(text, "made by [The Coca-Cola Company](https://coca-colacompany.com) since *1886*"),
    ]
    setup(page, messages=[user("q"), grounded(text, citations)])
    texts = cited_texts(page)
    assert texts["0"] == "carbonated soft drink"
    assert texts["1"] == "a carbonated soft"
    assert texts["2"] == "made by The Coca-Cola Company since 1886"
    md = page.locator(".co-assistant .co-md")
    # The markdown still renders: bold, link (with its real href) and italics.
    assert md.locator("strong").evaluate(WITHOUT_REFS) == "carbonated soft drink"
    assert md.locator("a").get_attribute("href") == "https://coca-colacompany.com"
    assert md.locator("em").evaluate(WITHOUT_REFS) == "1886"
    assert md.locator("strong mark.co-cite").count() >= 1


def test_a_span_in_a_code_block_is_not_highlighted_but_is_listed(page):
    text = "Run this:\n\n```python\nprint('hello')\n```\n\nThen **hello** prints."
    citations = [
        cite(text, "print('hello')", doc_source("code", title="Snippet")),
        cite(text, "prints", doc_source("out", title="Output")),
    ]
    setup(page, messages=[user("q"), grounded(text, citations)])
    assert cited_texts(page) == {"1": "prints"}
    assert page.locator(".co-code code").inner_text() == "print('hello')\n"
    assert page.locator(".co-code .co-cite, .co-code .co-cite-ref").count() == 0
    assert page.locator(".co-code code .hljs-built_in, .co-code code .hljs-string").count() >= 1
    titles = page.locator(".co-source .co-source-title").all_inner_texts()
    assert titles == ["Snippet", "Output"]


def test_a_thinking_block_before_the_answer_does_not_shift_the_spans(page):
    answer = "The answer is 🥤 four."
    message = grounded(
        "",
        [{**cite(answer, "four"), "content_index": 1}],
    )
    message["content"] = [
        {"type": "thinking", "thinking": "Two and two… 🤔 make four."},
        {"type": "text", "text": answer},
    ]
    setup(page, messages=[user("q"), message])
    assert cited_texts(page) == {"0": "four"}


def test_hover_focus_and_click_show_the_source_card(page):
    text = "Sales rose 12% in Q3. Revenue is on the site. The lookup says sunny."
    row = doc_source("row:3", region="EMEA", quarter="Q3", growth=0.12, note=None)
    web = doc_source(
        "doc-1", title="Annual report", url="https://example.com/report", text="Revenue grew. " * 30
    )
    tool = {"type": "tool", "id": "weather_ab12:0", "tool_output": {"forecast": "sunny"}}
    citations = [
        cite(text, "Sales rose 12% in Q3", row),
        cite(text, "Revenue is on the site", web),
        cite(text, "sunny", tool),
    ]
    message = grounded(text, citations)
    # The kernel names the tool of each cited tool result in _co (the call is in the history).
    message["_co"]["tools"] = {"weather_ab12:0": {"name": "get_weather", "arguments": "{}"}}
    setup(page, messages=[user("q"), message])
    marks = page.locator(".co-assistant .co-md .co-cite")

    marks.nth(1).hover()
    card = page.locator(".co-card")
    assert card.locator(".co-source-title").inner_text() == "Annual report"
    link = card.locator("a.co-source-url")
    assert link.get_attribute("href") == "https://example.com/report"
    assert link.get_attribute("rel") == "noopener noreferrer"
    snippet = card.locator(".co-source-snippet").inner_text()
    assert snippet.startswith("Revenue grew.") and snippet.endswith("…") and len(snippet) <= 200
    # The card sits under its span.
    span_box, card_box = marks.nth(1).bounding_box(), card.bounding_box()
    assert card_box["y"] >= span_box["y"] + span_box["height"]

    page.mouse.move(0, 0)
    page.wait_for_selector(".co-card", state="detached")
    marks.nth(0).focus()  # keyboard: focus shows the card too
    table = page.locator(".co-card table.co-source-row")
    assert table.locator("th").all_inner_texts() == ["region", "quarter", "growth", "note"]
    assert table.locator("td").all_inner_texts() == ["EMEA", "Q3", "0.12", "—"]
    page.keyboard.press("Escape")
    assert page.locator(".co-card").count() == 0

    marks.nth(2).click()
    assert page.locator(".co-card .co-source-title").inner_text() == "Tool: get_weather"
    assert '"forecast": "sunny"' in page.locator(".co-card .co-source-output").inner_text()


def test_the_sources_list_links_sources_and_spans(page):
    text = "Alpha is first. Beta is second. Alpha again."
    a, b = doc_source("a", title="A doc"), doc_source("b", title="B doc")
    citations = [
        cite(text, "Alpha is first", a),
        cite(text, "Beta is second", b),
        cite(text, "Alpha again", a),
    ]
    setup(page, messages=[user("q"), grounded(text, citations)])
    items = page.locator(".co-source")
    assert items.count() == 2
    assert items.nth(0).locator(".co-cite-goto").all_inner_texts() == [
        "“Alpha is first”",
        "“Alpha again”",
    ]
    assert page.locator(".co-cite-ref").all_inner_texts() == ["[1]", "[2]", "[1]"]
    items.nth(0).locator(".co-cite-goto").nth(1).click()
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Alpha again"


def stream(page, events: list[dict], step: int = 3) -> list[tuple[int, dict[str, str]]]:
    """Plays Cohere events to the view as the kernel would (text and citations in deltas,
    ``step`` events per delta); returns, after each delta, the length of the text so far and
    the highlighted spans."""
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 1, "user": user("q")})
    seen, seq, batch, length = [], 0, {}, 0
    text_so_far, placed = "", 0
    for i, event in enumerate(events):
        message = event.get("delta", {}).get("message", {})
        if event["type"] == "content-delta":
            batch["text"] = batch.get("text", "") + message["content"]["text"]
            text_so_far += message["content"]["text"]
            length += len(message["content"]["text"])
        elif event["type"] == "citation-start":
            # The kernel places each citation on the text so far and sends it with its span.
            citation = message["citations"]
            batch.setdefault("citations", []).append(citation)
            span = place_citation(citation, placed, [(0, "text", text_so_far)], "")
            batch.setdefault("spans", []).append(span)
            placed += 1
        if batch and (i % step == 0 or i == len(events) - 1):
            seq += 1
            emit(page, {"type": "delta", "seq": seq, "reply": "r", **batch})
            batch = {}
            frames(page, 1)
            seen.append((length, cited_texts(page, ".co-streaming")))
    return seen


def grounded_request(mode: str) -> dict:
    return {
        "messages": [{"role": "user", "content": "When was Coca-Cola invented? 🥤"}],
        "documents": [
            {
                "id": "doc-1",
                "data": {
                    "title": "History 🥤",
                    "text": "Coca-Cola 🥤 was invented in 1886. Later.",
                },
            },
            {"id": "row:0", "data": {"brand": "Pepsi", "year": 1893}},
        ],
        "citation_options": {"mode": mode},
    }


def marks_html(page, scope: str) -> list[str]:
    return page.locator(f"{scope} .co-md .co-cite, {scope} .co-md .co-cite-ref").evaluate_all(
        "(els) => els.map((el) => el.outerHTML)"
    )


def test_fast_and_accurate_modes_render_the_same_live_and_committed(page):
    renders = {}
    for mode in ("FAST", "ACCURATE"):
        events = grounded_reply(grounded_request(mode))
        deltas = [e for e in events if e["type"] == "content-delta"]
        text = "".join(e["delta"]["message"]["content"]["text"] for e in deltas)
        citations = [
            e["delta"]["message"]["citations"] for e in events if e["type"] == "citation-start"
        ]
        final = {str(k): c["text"] for k, c in enumerate(citations)}
        setup(page, messages=[user("q")])
        seen = stream(page, events, step=2)
        assert seen[-1] == (len(text), final)  # live, before the commit
        early = [spans for length, spans in seen if length < len(text)]
        if mode == "FAST":  # spans show while the text is still arriving
            assert any(early)
        else:  # accurate: citations come after the text
            assert early and not any(early)
        live = marks_html(page, ".co-streaming")
        set_trait(page, "messages", [user("q"), grounded(text, citations)])
        emit(page, {"type": "end", "seq": 999, "reply": "r"})
        frames(page)
        assert page.locator(".co-streaming").count() == 0
        assert cited_texts(page) == final
        committed = marks_html(page, ".co-assistant")
        assert committed == live  # the commit renders the spans the stream showed
        renders[mode] = page.locator(".co-assistant .co-md").evaluate("(el) => el.innerHTML")
    assert renders["FAST"] == renders["ACCURATE"]


def test_a_user_message_names_the_documents_sent_with_it(page):
    asked = {**user("When?"), "_co": {"documents": [{"id": "a", "data": {"text": "x"}}] * 2}}
    setup(page, messages=[asked, grounded("In 1886.", [])])
    assert page.locator(".co-user .co-note").inner_text() == "2 documents attached"


def test_a_late_citation_of_an_earlier_paragraph_still_highlights_it(page):
    # Accurate mode: the citation arrives after its paragraph was rendered for good.
    text = "The first paragraph 🥤 is cited.\n\nThe second one is not.\n\nNor the third."
    citation = cite(text, "first paragraph 🥤 is cited")  # code points, past the emoji
    setup(page, messages=[user("q")])
    events = text_events(text, citations=[citation])
    seen = stream(page, events, step=1)
    assert seen[-1] == (len(text), {"0": "first paragraph 🥤 is cited"})
    assert all(spans == {} for length, spans in seen if length < len(text))
    live = marks_html(page, ".co-streaming")
    set_trait(page, "messages", [user("q"), grounded(text, [citation])])
    emit(page, {"type": "end", "seq": 999, "reply": "r"})
    frames(page)
    assert marks_html(page, ".co-assistant") == live


def test_a_source_number_leads_to_its_source_and_highlights_read_in_both_themes(page):
    text = "Alpha is first. Beta is second."
    citations = [
        cite(text, "Alpha is first", doc_source("a", title="A doc")),
        cite(text, "Beta is second", doc_source("b", title="B doc")),
    ]
    colours = {}
    for theme in ("light", "dark"):
        page.evaluate("(theme) => harness.theme(theme)", theme)
        setup(page, messages=[user("q"), grounded(text, citations)])
        page.locator(".co-cite-ref").nth(1).click()
        flashed = page.locator(".co-source.co-source-flash")
        assert flashed.locator(".co-source-title").inner_text() == "B doc"
        mark = page.locator(".co-assistant .co-md .co-cite").first
        colours[theme] = mark.evaluate(
            """(el) => {
                const bubble = getComputedStyle(el.closest('.co-bubble'));
                const style = getComputedStyle(el);
                return [style.backgroundColor, style.color, bubble.backgroundColor, bubble.color];
            }"""
        )
        highlight, colour, bubble_background, bubble_colour = colours[theme]
        assert highlight not in ("rgba(0, 0, 0, 0)", bubble_background)
        assert colour == bubble_colour  # the span keeps the text colour of the theme
    assert colours["light"][1] != colours["dark"][1]
