"""The view's own checks and notices in a real Chromium, against the harness's fake model (see
test_frontend.py; the page fixture is in conftest.py): math while streaming, the end of a reply
that keeps what streamed in place, text the kernel could not take, a rejected action, the Undo
toast, and a view that no kernel answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM
from tests.test_frontend import assistant, emit, frames, rendered_html, sent, set_trait, setup, user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def delta(page, seq: int, text: str) -> None:
    emit(page, {"type": "delta", "seq": seq, "reply": "r", "text": text})
    frames(page)


def test_an_unclosed_display_formula_streams_as_source_until_it_closes(page):
    setup(page)
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("sum?")})
    answer = page.locator(".co-streaming .co-md")
    delta(page, 1, "The sum is\n\n$$\\sum_{i=1}^{n} i\\,")
    assert "$$\\sum_{i=1}^{n} i\\," in answer.text_content()  # source, with its \\, intact
    assert answer.locator("math").count() == 0
    assert page.evaluate("harness.model.assets") == []  # no formula yet: KaTeX not asked for
    # Closed, and finished (the next block began): typeset. Formulas in the growing tail stay
    # source, like code is highlighted only in finished blocks.
    delta(page, 2, "= \\frac{n(n+1)}{2}$$\n\nDone.\n")
    expect(answer.locator("math[display='block'] mfrac")).to_have_count(1)
    assert page.evaluate("harness.model.assets") == ["katex"]
    assert "$$" not in answer.text_content().replace("\\sum", "")  # annotation holds the TeX
    assert answer.locator("annotation").text_content() == (
        "\\sum_{i=1}^{n} i\\,= \\frac{n(n+1)}{2}"
    )


def test_formulas_rendered_before_katex_arrives_are_typeset_when_it_does(page):
    text = "Euler: $e^{i\\pi} + 1 = 0$. Prices: $5 and $6."
    setup(page, messages=[user("q"), assistant(text)])
    answer = page.locator(".co-assistant .co-md")
    expect(answer.locator("math")).to_have_count(1)
    assert answer.locator("math").get_attribute("display") is None  # inline
    assert "Prices: $5 and $6." in answer.text_content()


def test_the_end_of_a_reply_keeps_its_streamed_blocks_and_bubble_in_place(page):
    # A loose list near the start: the stream renders it as two lists, the full render as one,
    # so the committed answer has fewer blocks than the streamed one; the blocks after it (a
    # typeset formula among them) must still be kept, not shifted and rebuilt. And the bubble
    # itself is not moved when the pending user bubble gives way to the committed one (moving
    # it would make the browser lay out the whole reply again).
    text = "Intro.\n\n1. first\n\n2. second\n\nAfter one, $x^2$.\n\nAfter two.\n\nAfter three."
    setup(page, messages=[user("a"), assistant("b")])
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 2, "user": user("go")})
    for seq, start in enumerate(range(0, len(text), 5), start=1):
        delta(page, seq, text[start : start + 5])
    answer = page.locator(".co-streaming .co-md")
    expect(answer.locator("math")).to_have_count(1)  # KaTeX came, the formula's block finished
    page.evaluate(
        """() => {
            const bubble = document.querySelector(".co-streaming");
            for (const el of bubble.querySelectorAll(".co-md p")) el.__streamed = true;
            window.__bubbleRemoved = false;
            new MutationObserver((records) => {
                for (const record of records)
                    if ([...record.removedNodes].includes(bubble)) window.__bubbleRemoved = true;
            }).observe(bubble.parentNode, { childList: true });
        }"""
    )
    messages = [user("a"), assistant("b"), user("go"), assistant(text)]
    set_trait(page, "messages", messages)
    emit(page, {"type": "end", "seq": 99, "reply": "r"})
    set_trait(page, "status", "idle")
    frames(page)
    assert page.locator(".co-streaming").count() == 0
    committed = page.locator(".co-assistant .co-md").last
    kept = committed.evaluate(
        "(el) => [...el.querySelectorAll(':scope > p')].map((p) => [p.textContent, !!p.__streamed])"
    )
    assert [streamed for _, streamed in kept] == [True] * 4, kept
    assert kept[1][0].startswith("After one,") and kept[-1][0] == "After three."
    html = committed.evaluate("(el) => el.innerHTML").replace(' tabindex="-1"', "")
    assert html == rendered_html(page, text).replace(' tabindex="-1"', "")
    assert page.evaluate("window.__bubbleRemoved") is False
    assert page.locator(".co-list > .co-msg").count() == 4


def test_a_lone_surrogate_is_refused_by_the_view_and_the_text_kept(page):
    setup(page)
    box = page.get_by_label("Message", exact=True)
    box.evaluate("(el) => { el.value = 'broken \\uD83D paste'; }")
    box.press("Enter")
    error = page.locator(".co-composer-error")
    expect(error).to_contain_text("lone UTF-16 surrogate")
    assert error.get_attribute("role") == "alert"
    assert box.evaluate("(el) => el.value") == "broken \ud83d paste"
    assert sent(page) == []
    box.fill("fixed")
    expect(error).to_be_empty()  # typing clears it
    box.press("Enter")
    assert sent(page) == [{"type": "send", "text": "fixed"}]


def test_a_rejected_send_shows_the_kernels_error_and_restores_the_text(page):
    setup(page)
    box = page.get_by_label("Message", exact=True)
    box.fill("my long question")
    box.press("Enter")
    assert box.input_value() == ""
    emit(page, {"type": "rejected", "action": "send", "error": "A reply is still streaming."})
    expect(page.locator(".co-composer-error")).to_have_text("A reply is still streaming.")
    assert box.input_value() == "my long question"


def test_the_undo_toast_sends_restore_with_its_token(page):
    setup(page, messages=[user("a"), assistant("b")])
    page.get_by_role("button", name="Clear conversation").click()
    emit(page, {"type": "dropped", "action": "clear", "count": 16, "token": "t-1"})
    toast = page.locator(".co-toast")
    expect(toast).to_have_text("Cleared 16 messages · Undo")
    assert toast.get_attribute("role") == "status"
    toast.get_by_role("button", name="Undo: put the messages back").click()
    assert sent(page) == [{"type": "clear"}, {"type": "restore", "token": "t-1"}]
    expect(toast).to_be_empty()
    emit(page, {"type": "dropped", "action": "edit", "count": 1, "token": "t-2"})
    expect(toast).to_have_text("Edit dropped 1 later message · Undo")


def test_a_view_that_no_kernel_answers_disables_its_composer(page):
    page.evaluate("harness.setup({messages: [], status: 'idle'}, {answer: false})")
    notice = page.locator(".co-offline")
    # From the start, before any answer: disabled and saying so, never enabled but dead.
    expect(notice).to_have_text("Connecting to the kernel…")
    assert page.get_by_label("Message", exact=True).is_disabled()
    assert page.evaluate("harness.model.hellos") == 1
    # After the view's wait for an answer.
    expect(notice).to_have_text("Saved conversation: run the cell to continue", timeout=15_000)
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Send message")).to_be_disabled()
    # A kernel that answers late (it was busy with another cell) brings the view back.
    emit(
        page,
        {
            "type": "snapshot",
            "seq": 0,
            "reply": None,
            "base": 0,
            "user": None,
            "partial": {"text": "", "thinking": "", "tool_plan": ""},
            "revision": 0,
        },
    )
    expect(notice).to_be_hidden()
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()


def test_a_notice_part_is_drawn_in_its_bubble_and_a_streamed_turn_keeps_its_element(page):
    notice = {"kind": "notice", "level": "info", "text": "The corpus is empty, nothing retrieved."}
    setup(page, messages=[user("a"), assistant("b", notices=[notice])])
    drawn = page.locator(".co-assistant > .co-bubble > .co-notice.co-notice-info")
    assert drawn.inner_text() == notice["text"]
    # A streamed reply: its element becomes the committed one (the notice and footer drawn in it).
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 2, "user": user("go")})
    emit(page, {"type": "delta", "seq": 1, "reply": "r", "text": "Hello *there*."})
    frames(page)
    page.evaluate("document.querySelector('.co-streaming').__live = true")
    answer = assistant("Hello *there*.", notices=[notice])
    set_trait(page, "messages", [user("a"), assistant("b", notices=[notice]), user("go"), answer])
    emit(page, {"type": "end", "seq": 2, "reply": "r"})
    set_trait(page, "status", "idle")
    frames(page)
    last = page.locator(".co-list > .co-assistant").last
    assert last.evaluate("(el) => el.__live === true")  # the same element, not a second render
    assert last.locator(".co-notice").inner_text() == notice["text"]
    assert last.locator(".co-md").inner_text() == "Hello there."
    assert last.locator(".co-regen").count() == 1
    assert page.locator(".co-streaming, .co-cursor, .co-tail").count() == 0
