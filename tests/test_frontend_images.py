"""Images and JSON replies in the front end (real Chromium, the harness page with its fake model):
the composer's attachments, thumbnails in the user bubble, and highlighted JSON replies."""

from __future__ import annotations

import base64
import io
import os

import pytest

# The harness fixtures (page, browser, harness_url) are in conftest.py.
from tests.test_frontend import assistant, emit, frames, sent, set_trait, setup

pytestmark = pytest.mark.browser
Image = pytest.importorskip("PIL.Image")


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    if noise:  # incompressible: the file is as big as its pixels
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (20, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def user_with_images(text: str, *urls: str) -> dict:
    images = [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return {"role": "user", "content": [{"type": "text", "text": text}, *images]}


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_user_bubble_shows_own_thumbnails_and_links_remote_images(page):
    message = user_with_images(
        "Compare these",
        data_url(png(48, 32)),
        "https://example.com/chart.png",
        data_url(SVG, "image/svg+xml"),
    )
    setup(page, messages=[message])
    bubble = page.locator(".co-user .co-bubble")
    assert bubble.locator(".co-plain").inner_text() == "Compare these"
    thumbs = bubble.locator("img")
    assert thumbs.count() == 1  # only our own raster thumbnail: no SVG, nothing remote
    assert thumbs.evaluate("img => img.decode().then(() => img.naturalWidth)") == 48
    link = bubble.locator("a.co-image-link")
    assert link.get_attribute("href") == "https://example.com/chart.png"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert "[image]" in bubble.locator(".co-images").inner_text()
    # The page fixture fails the test if example.com was ever requested.


def test_json_reply_is_highlighted_json(page):
    reply = assistant('{"name":"Coca-Cola","year":1886}', format="json")
    setup(page, messages=[{"role": "user", "content": "Extract"}, reply])
    code = page.locator(".co-assistant .co-md pre code")
    assert code.get_attribute("class").split() == ["language-json", "hljs"]
    assert code.inner_text().strip() == '{\n  "name": "Coca-Cola",\n  "year": 1886\n}'
    assert page.locator(".co-assistant .co-code-lang").inner_text() == "json"
    colour = "el => getComputedStyle(el).color"
    key, value = (
        code.locator(sel).first.evaluate(colour) for sel in (".hljs-attr", ".hljs-string")
    )
    assert code.evaluate(colour) not in (key, value) and key != value


def test_picked_images_show_removable_thumbnails_and_go_as_buffers(page):
    setup(page)
    first, second = png(10, 10), png(30, 20)
    page.set_input_files(
        ".co-picker",
        files=[
            {"name": "a.png", "mimeType": "image/png", "buffer": first},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
            {"name": "b.png", "mimeType": "image/png", "buffer": second},
        ],
    )
    tray = page.locator(".co-composer .co-attachment")
    assert tray.count() == 2  # the text file is not attached
    assert tray.locator("img").nth(1).get_attribute("src").startswith("blob:")
    page.get_by_role("button", name="Remove a.png").click()
    assert tray.count() == 1

    page.locator(".co-input").fill("Which is bigger?")
    page.locator(".co-input").press("Enter")
    page.wait_for_function("harness.model.sent.length > 0")
    assert sent(page)[-1] == {
        "type": "send",
        "text": "Which is bigger?",
        "images": [{"name": "b.png", "type": "image/png"}],
        "buffers": [len(second)],
    }
    frames(page)
    assert tray.count() == 0 and page.locator(".co-input").input_value() == ""


def test_an_image_alone_can_be_sent(page):
    setup(page)
    page.set_input_files(
        ".co-picker", files=[{"name": "a.png", "mimeType": "image/png", "buffer": png(4, 4)}]
    )
    page.locator(".co-input").press("Enter")
    page.wait_for_function("harness.model.sent.length > 0")
    assert sent(page)[-1]["text"] == "" and sent(page)[-1]["buffers"] == [len(png(4, 4))]


def test_a_rejected_send_gives_its_images_back_and_a_begun_one_does_not(page):
    setup(page)
    picked = [{"name": "a.png", "mimeType": "image/png", "buffer": png(6, 6)}]
    tray = page.locator(".co-composer .co-attachment")
    page.set_input_files(".co-picker", files=picked)
    page.locator(".co-input").fill("What is this?")
    page.locator(".co-input").press("Enter")
    page.wait_for_function("harness.model.sent.length > 0")
    frames(page)
    assert tray.count() == 0
    emit(page, {"type": "rejected", "action": "send", "error": "The model takes no images."})
    frames(page)
    assert tray.count() == 1 and page.locator(".co-input").input_value() == "What is this?"
    assert tray.locator("img").get_attribute("src").startswith("blob:")  # still a live file

    page.locator(".co-input").press("Enter")
    page.wait_for_function("harness.model.sent.length > 1")
    emit(page, {"type": "begin", "seq": 0, "reply": 1, "base": 0, "user": None})
    emit(page, {"type": "rejected", "action": "send", "error": "late"})  # not this send's
    frames(page)
    assert tray.count() == 0


def test_composer_layout_and_bubble_thumbnail_size(page):
    message = user_with_images("A wide one", data_url(png(256, 100)))
    setup(page, messages=[message])
    page.set_input_files(
        ".co-picker", files=[{"name": "a.png", "mimeType": "image/png", "buffer": png(40, 30)}]
    )
    frames(page)
    box = {
        name: page.locator(selector).bounding_box()
        for name, selector in {
            "thumb": ".co-attachment img",
            "input": ".co-input",
            "attach": ".co-attach",
            "send": ".co-send",
            "bubble_img": ".co-user img.co-thumb",
        }.items()
    }
    assert (box["thumb"]["width"], box["thumb"]["height"]) == (64, 64)
    # The tray is a row of its own above the input; the buttons stay on the input's line.
    assert box["thumb"]["y"] + box["thumb"]["height"] <= box["input"]["y"]
    assert box["attach"]["x"] + box["attach"]["width"] <= box["input"]["x"]
    assert box["input"]["x"] + box["input"]["width"] <= box["send"]["x"]
    for name in ("attach", "send"):
        assert abs(box[name]["y"] + box[name]["height"] - box["input"]["y"] - 36) <= 1
    # A bubble's thumbnail keeps its aspect ratio within 160 x 120.
    assert box["bubble_img"]["width"] == 160 and box["bubble_img"]["height"] <= 120
    inner = page.locator(".co-user img.co-thumb").evaluate("i => i.clientWidth / i.clientHeight")
    assert inner == pytest.approx(256 / 100, rel=0.02)


def test_a_huge_file_is_scaled_down_before_it_reaches_the_socket(page):
    huge = png(1900, 1900, noise=True)  # ~10.8 MB: over what Jupyter's websocket takes
    assert len(huge) > 10 * 1024 * 1024
    setup(page)
    page.set_input_files(
        ".co-picker", files=[{"name": "huge.png", "mimeType": "image/png", "buffer": huge}]
    )
    page.locator(".co-input").fill("Big")
    page.locator(".co-input").press("Enter")
    page.wait_for_function("harness.model.sent.length > 0", timeout=30_000)
    (size,) = sent(page)[-1]["buffers"]
    assert 0 < size <= 8 * 1024 * 1024


def test_no_attachments_for_a_model_without_vision(page):
    setup(page)
    page.set_input_files(
        ".co-picker", files=[{"name": "a.png", "mimeType": "image/png", "buffer": png(4, 4)}]
    )
    set_trait(page, "_accepts_images", False)  # the kernel's model has no vision
    frames(page)
    assert page.locator(".co-attach").is_hidden()
    assert page.locator(".co-attachment").count() == 0
    page.evaluate(DELIVER_PASTE, base64.b64encode(png(4, 4)).decode())
    frames(page)
    assert page.locator(".co-attachment").count() == 0

    set_trait(page, "_accepts_images", True)
    frames(page)
    assert page.locator(".co-attach").is_visible()
    page.evaluate(DELIVER_PASTE, base64.b64encode(png(4, 4)).decode())
    frames(page)
    assert page.locator(".co-attachment").count() == 1


DELIVER_PASTE = """(b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "p.png", { type: "image/png" }));
    document.querySelector(".co-input").dispatchEvent(new ClipboardEvent("paste",
        { bubbles: true, cancelable: true, clipboardData: transfer }));
}"""
