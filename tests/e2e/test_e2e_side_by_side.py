"""Demo 03's side-by-side chats, as a newcomer runs the notebook in JupyterLab and Notebook 7:
each header says which chat it is (they differ), every placeholder fits its box, and the boxes
do not touch. Measured in the page."""

import shutil

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS, REPO

pytestmark = pytest.mark.browser

DEMO = REPO / "notebooks" / "03_async_and_many.ipynb"
# Whether the placeholder fits on the empty one-row box's single line, measured with the
# textarea's own font and padding.
PLACEHOLDER_FITS = """(el) => {
    const style = getComputedStyle(el);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {text: el.placeholder, width: context.measureText(el.placeholder).width, room,
            scrolls: el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight + 1};
}"""


@pytest.mark.parametrize("app", HOSTS)
def test_side_by_side_chats_differ_fit_and_keep_apart(server, notebook, page, app):
    page.set_viewport_size({"width": 1280, "height": 900})
    shutil.copy(DEMO, server.root / DEMO.name)
    notebook.open(DEMO.name, app=app).run_all()
    # The first chat of the notebook, then the three of the HBox.
    boxes = page.locator(".widget-hbox .co-widget")
    expect(boxes).to_have_count(3)
    titles = [boxes.nth(i).locator(".co-model").inner_text() for i in range(3)]
    assert len(set(titles)) == 3, titles
    for i in range(3):
        fit = boxes.nth(i).locator("textarea.co-input").evaluate(PLACEHOLDER_FITS)
        assert fit["width"] <= fit["room"] and not fit["scrolls"], fit
        assert fit["text"] == f"Message {titles[i]}", fit  # it names the chat, and fits
    rects = [boxes.nth(i).bounding_box() for i in range(3)]
    gaps = [rects[i + 1]["x"] - (rects[i]["x"] + rects[i]["width"]) for i in range(2)]
    assert all(gap >= 8 for gap in gaps), gaps
