"""Images from the composer, in real JupyterLab and Notebook 7: a pasted or dropped image shows
as a thumbnail in the composer and in the sent bubble, reaches the kernel whole (as a binary
buffer), and nothing leaves 127.0.0.1 (the page fixture fails the test otherwise)."""

import base64
import hashlib
import io
import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
Image = pytest.importorskip("PIL.Image")


def photo_png(width: int = 640, height: int = 480) -> bytes:
    """A PNG with some texture, far bigger than the trait's thumbnails."""
    image = Image.effect_noise((width, height), 64).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# Builds a File in the page and delivers it the way a user would: a paste into the input, or a
# drop on the composer. Both events carry a real DataTransfer, as the browser makes them.
DELIVER = """([how, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "chart.png", { type: "image/png" }));
    const init = { bubbles: true, cancelable: true };
    const root = document.querySelector(".co-widget");
    if (how === "paste") {
        root.querySelector(".co-input").dispatchEvent(
            new ClipboardEvent("paste", { ...init, clipboardData: transfer }));
    } else {
        const composer = root.querySelector(".co-composer");
        composer.dispatchEvent(new DragEvent("dragover", { ...init, dataTransfer: transfer }));
        composer.dispatchEvent(new DragEvent("drop", { ...init, dataTransfer: transfer }));
    }
}"""


@pytest.mark.parametrize(("app", "how"), [("lab", "paste"), ("lab", "drop"), ("notebook", "drop")])
def test_pasted_or_dropped_image_is_sent_with_a_thumbnail(server, notebook, app, how):
    data = photo_png()
    name = server.write_notebook(
        f"images-{app}-{how}.ipynb", "chat.model = 'command-a-vision-07-2025'\nchat"
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()

    notebook.page.evaluate(DELIVER, [how, base64.b64encode(data).decode()])
    thumbnail = ui.root.locator(".co-composer .co-attachment img")
    expect(thumbnail).to_have_count(1)
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 640

    ui.type_and_enter("What does this chart show?")
    ui.wait_settled(1)
    expect(ui.root.locator(".co-composer .co-attachment")).to_have_count(0)
    bubble_image = ui.users.last.locator("img.co-thumb")
    expect(bubble_image).to_have_count(1)
    # The kernel's thumbnail: a data: image, decoded and shown, at most 256 px a side.
    src = bubble_image.get_attribute("src")
    assert src.startswith("data:image/")
    size = bubble_image.evaluate(
        "img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"
    )
    assert max(size) == 256 and size[0] > size[1]
    # FakeCohere describes the image it received: the whole picture, not the thumbnail.
    assert ui.reply_text() == "I received 1 image: PNG 640x480 px."

    # The kernel has the full image in the history, and only the thumbnail in the trait.
    notebook.run_cell(
        "import base64, hashlib, json\n"
        "url = chat.history[0]['content'][1]['image_url']['url']\n"
        "digest = hashlib.sha256(base64.b64decode(url.split(',', 1)[1])).hexdigest()\n"
        f"assert digest == {hashlib.sha256(data).hexdigest()!r}, digest\n"
        "assert len(json.dumps(chat.messages)) < 70_000, len(json.dumps(chat.messages))\n"
        "assert fake.requests[-1].json['messages'][-1]['content'][0]['text'] == "
        "'What does this chart show?'"
    )
    if app != "lab":
        return
    notebook.save()
    raw = server.read_notebook(name)
    states = json.loads(raw)["metadata"]["widgets"][WIDGET_STATE]["state"].values()
    (chat_state,) = [model["state"] for model in states if "messages" in model["state"]]
    assert len(json.dumps(chat_state["messages"])) < 70_000  # the saved notebook stays small


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_python_images_and_a_json_reply_in_the_bubbles(server, notebook, app):
    name = server.write_notebook(
        f"images-json-{app}.ipynb",
        "from matplotlib.figure import Figure\n"
        "from pydantic import BaseModel\n\n"
        "class Drink(BaseModel):\n"
        "    name: str\n"
        "    year: int\n\n"
        "fig = Figure(figsize=(4, 3), dpi=100)\n"
        "fig.add_subplot().plot([1, 3, 2])\n"
        "chat.model = 'command-a-vision-07-2025'\n"
        "chat",
        "chat.send('What does this chart show?', images=[fig, 'https://example.com/a.png'])"
        ".result()\n"
        'fake.add(\'{"name":"Coca-Cola","year":1886}\')\n'
        "reply = chat.send('Extract the drink', response_format=Drink)\n"
        "assert reply.parsed == Drink(name='Coca-Cola', year=1886)",
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    ui.wait_settled(2)

    first = ui.users.first
    thumb = first.locator("img.co-thumb")
    expect(thumb).to_have_count(1)
    assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") == 256
    # The URL is a link; the page fixture fails the test if the browser fetched it.
    expect(first.locator("a.co-image-link")).to_have_attribute("href", "https://example.com/a.png")
    assert ui.reply_text(0) == (
        "I received 2 images: PNG 400x300 px; a link to https://example.com/a.png (not fetched)."
    )

    code = ui.replies.last.locator(".co-md pre code")
    expect(code).to_have_class(re.compile(r"\blanguage-json\b.*\bhljs\b"))
    expect(code.locator(".hljs-attr")).to_have_count(2)
    assert json.loads(code.inner_text()) == {"name": "Coca-Cola", "year": 1886}
