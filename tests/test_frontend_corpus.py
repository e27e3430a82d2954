"""What a turn retrieved (Chat(corpus=...)), in a real Chromium against the front-end harness: the
chip from the committed message and from the live ``retrieved`` message, the streamed bubble
handing its chip to the committed one, a cited file's card naming its part, and the embedding bar
(its progress, a rate-limit wait, Stop, hidden when done)."""

from __future__ import annotations

import pytest

from tests.test_frontend import assistant, emit, frames, sent, setup, user
from tests.test_frontend_citations import cite, doc_source, grounded

pytestmark = pytest.mark.browser

ITEMS = [
    {"id": "row:7", "score": 0.9132, "label": "row 7", "snippet": "city: Lima units: 12"},
    {"id": "notes/a.md#2", "score": 0.4, "label": "notes/a.md, part 2", "snippet": "Returns…"},
]
RETRIEVED = {"total": 4310, "unit": "rows", "mode": "embed", "items": ITEMS}


def chip_state(page, scope: str = ".co-assistant") -> dict:
    return page.evaluate(
        """(scope) => {
            const box = document.querySelector(`${scope} .co-retrieved`);
            const list = box.querySelector('.co-retrieved-list');
            return {
                chip: box.querySelector('.co-retrieved-chip').textContent,
                first: box.parentElement.firstElementChild === box,
                shown: getComputedStyle(list).display !== 'none',
                labels: [...list.querySelectorAll('.co-retrieved-label')].map((e) => e.textContent),
                scores: [...list.querySelectorAll('.co-retrieved-score')].map((e) => e.textContent),
            };
        }""",
        scope,
    )


def test_the_committed_reply_has_the_chip_with_its_list(page):
    setup(page, messages=[user("q"), assistant("An answer.", retrieved=RETRIEVED)])
    state = chip_state(page)
    assert state["chip"] == "2 of 4,310 rows retrieved"
    assert state["first"]  # at the top of the bubble
    assert state["labels"] == ["row 7", "notes/a.md, part 2"]
    assert state["scores"] == ["0.91", "0.40"]
    assert not state["shown"]
    page.locator(".co-retrieved-chip").hover()
    assert chip_state(page)["shown"]
    page.mouse.move(0, 0)
    assert not chip_state(page)["shown"]
    page.locator(".co-retrieved-chip").focus()
    page.keyboard.press("Enter")  # a real button: the keyboard opens it too
    page.mouse.move(0, 0)
    assert chip_state(page)["shown"]
    assert page.locator(".co-retrieved-chip").get_attribute("aria-expanded") == "true"


def test_the_live_chip_comes_before_the_text_and_stays_at_the_commit(page):
    setup(page, messages=[])
    emit(page, {"type": "begin", "seq": 0, "reply": 1, "base": 0, "user": user("q")})
    emit(page, {"type": "retrieved", "reply": 1, **RETRIEVED})
    emit(page, {"type": "retrieved", "reply": 9, **RETRIEVED})  # another reply's: ignored
    emit(page, {"type": "delta", "seq": 1, "reply": 1, "text": "Streaming"})
    frames(page)
    assert page.locator(".co-streaming .co-retrieved").count() == 1
    assert chip_state(page, ".co-streaming")["chip"] == "2 of 4,310 rows retrieved"
    page.evaluate(
        "(m) => harness.model.set('messages', m)",
        [user("q"), assistant("Streaming", retrieved=RETRIEVED)],
    )
    emit(page, {"type": "end", "seq": 2, "reply": 1})
    frames(page, 3)
    assert page.locator(".co-assistant .co-retrieved").count() == 1
    assert chip_state(page)["chip"] == "2 of 4,310 rows retrieved"


def test_a_cited_file_chunk_card_names_the_file_and_its_part(page):
    text = "Crates can be returned."
    source = doc_source("notes/a.md#2", title="notes/a.md", text="Crates can be returned.", chunk=2)
    setup(
        page, messages=[user("q"), grounded(text, [cite(text, "Crates can be returned", source)])]
    )
    page.locator(".co-assistant .co-md .co-cite").first.hover()
    assert page.locator(".co-card .co-source-title").inner_text() == "notes/a.md, part 2"


def test_the_embedding_bar_shows_progress_a_wait_and_stop(page):
    setup(page, messages=[])
    bar = page.locator(".co-progress")
    assert bar.evaluate("(el) => getComputedStyle(el).display") == "none"
    emit(page, {"type": "progress", "done": 960, "total": 4310, "wait": 0})
    assert bar.locator(".co-progress-text").inner_text() == "Embedding 960 of 4,310"
    assert bar.locator("progress").get_attribute("value") == "960"
    emit(page, {"type": "progress", "done": 960, "total": 4310, "wait": 11.2})
    assert bar.locator(".co-progress-text").inner_text().endswith("rate limited: waiting 12 s")
    bar.get_by_role("button", name="Stop embedding").click()
    assert sent(page)[-1] == {"type": "stop"}
    emit(page, {"type": "progress", "done": 0, "total": 0, "wait": 0})
    assert bar.evaluate("(el) => getComputedStyle(el).display") == "none"


def test_the_chip_is_no_tab_stop_of_its_own(page):
    # The conversation is one Tab stop (keys.js): the chip is reached with the arrow keys.
    setup(page, messages=[user("q"), assistant("An answer.", retrieved=RETRIEVED)])
    emit(page, {"type": "begin", "seq": 0, "reply": 1, "base": 2, "user": user("q2")})
    emit(page, {"type": "retrieved", "reply": 1, **RETRIEVED})
    frames(page)
    tab_indexes = page.locator(".co-retrieved-chip").evaluate_all(
        "(chips) => chips.map((chip) => chip.tabIndex)"
    )
    assert tab_indexes == [-1, -1]
