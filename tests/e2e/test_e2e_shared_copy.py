"""The shared copy in real JupyterLab and Notebook 7: the static HTML output under the chat
follows every committed turn (from the widget and from another cell), stays hidden while the
view is live, and never disturbs that view: the same DOM, no "Loading widget..." painted in any
frame, the scroll position kept. The saved notebook then holds the latest conversation, which
``jupyter nbconvert --to html`` shows once the widget state is gone (JupyterLab's default)."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbconvert import HTMLExporter
from playwright.sync_api import expect

from tests.support.browser import NetworkGuard

from .e2e_support import API_KEY, HOSTS

pytestmark = pytest.mark.browser

HISTORY = [
    {
        "role": "user" if i % 2 == 0 else "assistant",
        "content": f"Earlier message {i}: " + "a line of ordinary chat words " * 4,
    }
    for i in range(40)
]

# Watches the chat's output row from now on: every animation frame checks that the view's root
# is still in the page and that no "Loading widget..." placeholder is there to be painted; a
# MutationObserver records every node added to or removed from the widget's output, and every
# change in the copy's output (proof that the updates arrived meanwhile).
PROBE = """(root) => {
    const row = root.closest('.jp-OutputArea-child');
    const copyRow = row.nextElementSibling;
    const probe = {frames: 0, detached: 0, placeholder: 0, widgetMutations: 0, copyMutations: 0};
    const widgetObserver = new MutationObserver((records) => {
        for (const r of records) {
            // The view's own updates (inside its root, or in its nodes already taken out).
            if (root.contains(r.target) || !row.contains(r.target)) continue;
            probe.widgetMutations += r.addedNodes.length + r.removedNodes.length;
        }
    });
    widgetObserver.observe(row, {childList: true, subtree: true});
    const copyObserver = new MutationObserver((records) => {
        probe.copyMutations += records.length;
    });
    copyObserver.observe(copyRow, {childList: true, subtree: true, characterData: true});
    let running = true;
    const tick = () => {
        if (!running) return;
        probe.frames += 1;
        if (!root.isConnected) probe.detached += 1;
        if (row.textContent.includes('Loading widget')) probe.placeholder += 1;
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__coProbe = {
        probe,
        root,
        stop() {
            running = false;
            widgetObserver.disconnect();
            copyObserver.disconnect();
            return {...probe, sameRoot: document.querySelector('.co-widget') === root};
        },
    };
}"""


def copy_text(page) -> str:
    return page.locator(".co-shared-copy").first.text_content() or ""


@pytest.mark.parametrize("app", HOSTS)
def test_the_copy_follows_each_turn_without_disturbing_the_view(
    server, notebook, page, browser, app
):
    name = server.write_notebook(
        f"shared-copy-{app}.ipynb", f"chat.history = {HISTORY!r}", "fake.add('Noted.')", "chat"
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    expect(ui.root.locator(".co-msg")).to_have_count(40)
    copy = page.locator(".co-shared-copy")
    expect(copy).to_have_count(1)
    expect(copy).to_be_hidden()  # the live view shows the conversation: the copy's row is hidden
    row = page.locator(".jp-OutputArea-child:has(.co-shared-copy)")
    assert row.evaluate("el => getComputedStyle(el).display") == "none"
    assert row.evaluate("el => el.getBoundingClientRect().height") == 0
    assert "Earlier message 39" in copy_text(page)

    ui.root.evaluate(PROBE)
    # A turn typed in the widget: the kernel gets it as a comm message, not from a cell.
    ui.send("Typed in the widget")
    expect(copy).to_contain_text("Typed in the widget")
    expect(copy).to_contain_text("Noted.")

    # Scrolled up, then a turn from another cell: the copy follows, the view keeps its place.
    ui.root.locator(".co-list").evaluate(
        "el => { el.scrollTop = 300; el.dispatchEvent(new Event('scroll')); }"
    )
    page.wait_for_timeout(200)
    top = ui.root.locator(".co-list").evaluate("el => el.scrollTop")
    notebook.run_cell("fake.add('Answered from a cell.')\nchat.ask('Asked from a cell')")
    expect(copy).to_contain_text("Answered from a cell.")
    ui.wait_settled(22)
    page.wait_for_timeout(300)  # a few frames after the copy's last update
    assert ui.root.locator(".co-list").evaluate("el => el.scrollTop") == top
    result = page.evaluate("window.__coProbe.stop()")
    assert result["frames"] > 10, result
    assert result["sameRoot"], "the chat's view was re-created"
    assert result["detached"] == 0, result
    assert result["placeholder"] == 0, "a 'Loading widget...' placeholder was in the page"
    assert result["widgetMutations"] == 0, result
    assert result["copyMutations"] > 0, "the copy's output never changed"
    expect(copy).to_be_hidden()

    # The notebook as saved holds the latest conversation in the copy's output; exported to HTML
    # without its widget state (JupyterLab's default), the page shows that conversation.
    notebook.save()
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    raw = server.read_notebook(name)
    assert API_KEY not in raw
    nb = nbformat.reads(raw, as_version=4)
    outputs = nb.cells[3].outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
    saved = outputs[1]["data"]["text/html"]
    assert "Asked from a cell" in saved and "Answered from a cell." in saved
    assert "Chat(model=" in json.dumps(outputs[0]["data"])  # the widget's text/plain is kept

    # An HTML export with the widget state, opened with no network: the widget's script (from a
    # CDN) never loads, so no view is drawn and the copy shows the conversation instead.
    exported, _ = HTMLExporter().from_notebook_node(nb)
    assert "application/vnd.jupyter.widget-state+json" in exported
    offline = open_offline(browser, exported)
    expect(offline.locator(".co-shared-copy")).to_be_visible()
    expect(offline.locator(".co-shared-copy")).to_contain_text("Answered from a cell.")
    offline.context.close()

    # Saved as JupyterLab saves by default (no widget state) and opened again with no cell run:
    # the widget's output has no model to draw, and the copy shows instead.
    nb.metadata.pop("widgets", None)
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "Answered from a cell." in body and "Typed in the widget" in body
    nbformat.write(nb, server.root / name)
    server.shutdown_kernels()
    notebook.open(name, app=app)
    expect(copy).to_be_visible()
    expect(copy).to_contain_text("Asked from a cell")


def open_offline(browser, html_page: str):
    """A page of ``html_page`` in a context of its own that reaches no network at all."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    guard = NetworkGuard()
    guard.attach(context)
    page = context.new_page()
    page.set_content(html_page, wait_until="load")
    page.wait_for_timeout(500)  # the blocked scripts have failed by now
    assert all("cdn" in url or "unpkg" in url for url in guard.outside()), guard.outside()
    return page
