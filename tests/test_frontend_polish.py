"""Small things a new user meets, in a real Chromium against the harness (see test_frontend.py):
a stopped turn says how far it got, a dropped file the composer cannot take is refused out loud
(the draft stays), and a thumbnail opens larger in a dialog a keyboard can open and close."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM
from tests.test_frontend import assistant, frames, sent, setup, user
from tests.test_frontend_images import data_url, png, user_with_images

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def step(*statuses: str) -> list[dict]:
    """A tool step as the kernel commits it: the calls (with cards), then their results."""
    calls = [
        {"id": f"c{i}", "name": "launch", "arguments": {"target": "moon"}, "status": s}
        for i, s in enumerate(statuses)
    ]
    return [
        {
            "role": "assistant",
            "tool_plan": "I will launch.",
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": "launch", "arguments": "{}"},
                }
                for c in calls
            ],
            "_co": {"step": True, "calls": calls},
        },
        *(
            {"role": "tool", "tool_call_id": c["id"], "content": "{}", "_co": {"step": True}}
            for c in calls
        ),
    ]


def stopped(status: str = "stopped") -> dict:
    return assistant("", status=status, finish_reason=None)


@pytest.mark.parametrize(
    ("before", "status", "marker"),
    [
        ([], "stopped", "Stopped before the reply began"),
        (step("done", "done"), "stopped", "Stopped after 2 tool calls, before the answer began"),
        (step("done"), "interrupted", "Interrupted after 1 tool call, before the answer began"),
        (
            step("done", "stopped"),
            "stopped",
            "Stopped during the tool calls, before the answer began",
        ),
    ],
)
def test_a_stopped_turn_says_how_far_it_got(page, before, status, marker):
    # Not setup(): a turn that called tools renders as one element, not one per message.
    page.evaluate(
        "(messages) => { harness.setup({messages}); }", [user("Launch"), *before, stopped(status)]
    )
    frames(page)
    expect(page.locator(".co-marker")).to_have_text(marker)


DROP = """([name, type]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(["a,b\\n1,2\\n"], name, { type }));
    const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
    const event = new DragEvent("drop", init);
    document.querySelector(".co-composer").dispatchEvent(event);
    return event.defaultPrevented;
}"""


@pytest.mark.parametrize(
    ("name", "mime"), [("sales.csv", "text/csv"), ("report.pdf", "application/pdf")]
)
def test_a_dropped_document_is_refused_out_loud_and_the_draft_stays(page, name, mime):
    setup(page)
    box = page.get_by_label("Message", exact=True)
    box.fill("Summarise this")
    # Handled (the browser does not open the file), not attached, and said next to the composer.
    assert page.evaluate(DROP, [name, mime]) is True
    frames(page)
    expect(page.locator(".co-attachment")).to_have_count(0)
    error = page.locator(".co-composer-error")
    expect(error).to_contain_text(f"Not attached: {name}")
    expect(error).to_contain_text("PNG, JPEG, GIF or WebP images")
    expect(error).to_contain_text("Chat(documents=[...])")
    expect(error).to_contain_text("Chat(corpus=...)")
    expect(box).to_have_value("Summarise this")
    assert sent(page) == []


def test_a_model_without_images_refuses_a_dropped_image_out_loud(page):
    setup(page, _accepts_images=False)
    assert page.evaluate(DROP, ["cat.png", "image/png"]) is True
    expect(page.locator(".co-composer-error")).to_contain_text(
        "Not attached: cat.png. The composer takes PNG, JPEG, GIF or WebP images, and this "
        "chat's model takes none."
    )


def test_a_thumbnail_opens_larger_and_esc_closes_it(page):
    page.set_viewport_size({"width": 1000, "height": 800})
    setup(page, messages=[user_with_images("Look", data_url(png(400, 300))), assistant("Nice.")])
    thumb = page.get_by_role("button", name="Enlarge the attached image")
    small = thumb.locator("img").bounding_box()
    assert small["width"] <= 160
    # By keyboard: focus the thumbnail, Enter opens it.
    thumb.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="attached image")
    expect(dialog).to_be_visible()
    big = dialog.locator("img").bounding_box()
    assert big["width"] >= 2 * small["width"], (small, big)  # its own 400 px, not the thumbnail
    assert dialog.evaluate("(d) => d.open && d.matches(':modal')")
    expect(page.get_by_role("button", name="Close the image")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(thumb).to_be_focused()  # focus comes back to where it was
    # With the mouse: a click opens, the close button closes.
    thumb.click()
    expect(dialog).to_be_visible()
    page.get_by_role("button", name="Close the image").click()
    expect(dialog).to_have_count(0)
    assert sent(page) == []
