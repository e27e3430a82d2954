"""Small things a newcomer meets, in real JupyterLab and Notebook 7: a turn stopped after its
tool calls says so (not "before the reply began"), a dropped CSV or PDF is refused out loud with
what the composer takes and how documents go in (the draft stays), and a sent image's thumbnail
opens larger in a dialog, by click or keyboard, that Esc closes."""

import base64

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS
from .test_e2e_images import DELIVER, photo_png

pytestmark = pytest.mark.browser

# Tools that run at once, then an answer that is slow to begin: there is time to press Stop.
SLOW_AFTER_TOOLS = """\
import time

from co_widget.testing import text_events, tool_results

def launch(target: str) -> dict:
    \"\"\"Launch a rocket.

    Args:
        target: Where to.
    \"\"\"
    return {"target": target, "launched": True}

def script(request):
    if not tool_results(request):
        return text_events(
            tool_plan="I will launch both rockets.",
            tool_calls=[
                {"name": "launch", "arguments": {"target": "moon"}},
                {"name": "launch", "arguments": {"target": "mars"}},
            ],
        )
    time.sleep(5)
    return "Both launched."

fake.responder = script
chat = Chat(base_url=fake.url, api_key="k", tools=[launch])
chat"""

DROP = """([name, type]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(["a,b\\n1,2\\n"], name, { type }));
    const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
    const composer = document.querySelector(".co-widget .co-composer");
    composer.dispatchEvent(new DragEvent("dragover", init));
    const drop = new DragEvent("drop", init);
    composer.dispatchEvent(drop);
    return drop.defaultPrevented;
}"""


@pytest.mark.parametrize("app", HOSTS)
def test_a_turn_stopped_after_its_tool_calls_says_so(server, notebook, app):
    name = server.write_notebook(f"stopped-tools-{app}.ipynb", SLOW_AFTER_TOOLS)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    ui.type_and_enter("Launch to the moon and mars")
    cards = ui.root.locator(".co-tool-card .co-tool-status")
    expect(cards).to_have_count(2)
    for i in range(2):
        expect(cards.nth(i)).to_contain_text("done")
    ui.stop_button.click()
    ui.wait_settled(1)  # one bubble: the calls, then the stopped answer
    expect(ui.replies.last.locator(".co-marker")).to_have_text(
        "Stopped after 2 tool calls, before the answer began"
    )


@pytest.mark.parametrize("app", HOSTS)
def test_a_dropped_csv_or_pdf_is_refused_out_loud(server, notebook, page, app):
    ui = notebook.start(f"drop-doc-{app}.ipynb", "chat", app=app)
    cells = notebook.cells()
    ui.input.fill("Summarise the sales")
    for file, mime in (("sales.csv", "text/csv"), ("report.pdf", "application/pdf")):
        assert page.evaluate(DROP, [file, mime]) is True  # handled: the browser opens nothing
        error = ui.root.locator(".co-composer-error")
        expect(error).to_contain_text(f"Not attached: {file}")
        expect(error).to_contain_text("PNG, JPEG, GIF or WebP images")
        expect(error).to_contain_text("Chat(documents=[...])")
        expect(ui.root.locator(".co-attachment")).to_have_count(0)
        expect(ui.input).to_have_value("Summarise the sales")
    assert notebook.cells() == cells
    # The notice is readable where it shows: inside the widget, not clipped.
    box, widget = error.bounding_box(), ui.root.bounding_box()
    assert box["x"] >= widget["x"] and box["x"] + box["width"] <= widget["x"] + widget["width"]


@pytest.mark.parametrize("app", HOSTS)
def test_a_thumbnail_opens_larger_and_esc_closes_it(server, notebook, page, app):
    page.set_viewport_size({"width": 1280, "height": 900})
    name = server.write_notebook(
        f"lightbox-{app}.ipynb", "chat.model = 'command-a-vision-07-2025'\nchat"
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    cells = notebook.cells()
    page.evaluate(DELIVER, ["drop", base64.b64encode(photo_png()).decode()])
    expect(ui.root.locator(".co-composer .co-attachment")).to_have_count(1)
    ui.send("What is in this picture?")
    thumb = ui.users.last.get_by_role("button", name="Enlarge the attached image")
    small = thumb.locator("img").bounding_box()

    # The keyboard: arrows reach the thumbnail inside the message, Enter opens it.
    thumb.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="attached image")
    expect(dialog).to_be_visible()
    big = dialog.locator("img").bounding_box()
    assert big["width"] >= 2 * small["width"], (small, big)
    assert dialog.evaluate("(d) => d.matches(':modal')")
    expect(page.get_by_role("button", name="Close the image")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(thumb).to_be_focused()
    # The mouse: a click opens it, a click on the backdrop closes it.
    thumb.click()
    expect(dialog).to_be_visible()
    page.mouse.click(5, 5)
    expect(dialog).to_have_count(0)
    assert notebook.cells() == cells  # Esc and Enter never reached the notebook
