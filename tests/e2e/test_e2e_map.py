"""chat.map's progress card in JupyterLab and Notebook 7: it counts up while the map runs,
lists recent results (a failed row in the error colour), sits between the conversation and the
composer, is readable, and its Stop button stops the map in the kernel, keeping what finished."""

import re

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY, ARTIFACTS, HOSTS
from .test_e2e_looks import COLOURS_JS, MIN_CONTRAST, contrast

pytestmark = pytest.mark.browser

MAP_CELL = """\
from co_widget.testing import Error

fake.latency = 0.1
# Odd tickets fail: the recent results always show both kinds.
fake.responder = lambda request: (
    Error(400, "row refused")
    if int(request["messages"][-1]["content"].split()[-1]) % 2
    else request["messages"][-1]["content"]
)
handle = chat.map([f"ticket {i}" for i in range(2000)], "Label: {}", concurrency=4, wait=False)
chat"""


def _finished(card) -> int:
    match = re.search(r"map · (\d+)/2000 rows", card.locator(".co-map-head").text_content())
    assert match, card.text_content()
    return int(match.group(1))


@pytest.mark.parametrize("app", HOSTS)
def test_progress_card_counts_up_and_stop_stops_the_map(server, notebook, page, app):
    name = server.write_notebook(f"map-{app}.ipynb", MAP_CELL)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    card = ui.root.locator(".co-map-card")
    expect(card).to_be_visible()
    expect(card.locator(".co-map-stats")).to_contain_text("running")
    first = _finished(card)
    page.wait_for_timeout(800)
    assert _finished(card) > first  # it updates while the kernel is free
    expect(card.locator(".co-map-stats")).to_contain_text("rows/s")
    expect(card.locator(".co-map-stats")).to_contain_text("ETA")

    # The failed row is listed in the error colour, the others in the card's own.
    failed = card.locator(".co-map-recent li.co-map-failed").first
    done = card.locator(".co-map-recent li.co-map-done").first
    expect(failed).to_contain_text("row refused")
    expect(done).to_contain_text("Label: ticket")
    # Between the conversation and the composer, within the widget's width.
    box = card.bounding_box()
    composer = ui.root.locator(".co-composer").bounding_box()
    widget = ui.root.bounding_box()
    assert box["y"] + box["height"] <= composer["y"] + 1
    assert widget["x"] <= box["x"] and box["x"] + box["width"] <= widget["x"] + widget["width"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ui.root.screenshot(path=ARTIFACTS / f"map-card-{app}.png", animations="disabled")

    # Stop with the keyboard: a real button, and the key stays in the widget.
    stop = card.get_by_role("button", name="Stop this map")
    stop.focus()
    stop.press("Enter")
    expect(card.locator(".co-map-state")).to_have_text("stopped")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card.locator(".co-map-stats")).to_contain_text("not run")

    # Measured once stopped: a running card is redrawn a few times a second.
    assert failed.evaluate(COLOURS_JS)["text"] != done.evaluate(COLOURS_JS)["text"]
    items = card.locator(".co-map-recent li")

    # Readable: the stats and every recent line pass WCAG AA against what is behind them.
    lines = [items.nth(i) for i in range(items.count())]
    for locator in (card.locator(".co-map-stats"), card.locator(".co-map-head strong"), *lines):
        colours = locator.evaluate(COLOURS_JS)
        ratio = contrast(colours["text"], colours["background"])
        assert ratio >= MIN_CONTRAST, (locator.text_content(), colours, ratio)

    notebook.run_cell(
        "r = handle.results(timeout=10)\n"
        "assert handle.progress['state'] == 'stopped', handle.progress\n"
        "statuses = [x['status'] for x in r]\n"
        "assert {'done', 'failed', 'stopped'} == set(statuses), statuses[:20]\n"
        "assert r[0]['text'] == 'Label: ticket 0' and r[1]['status'] == 'failed', r[:2]"
    )
    assert len(notebook.cells()) == 3  # Enter on Stop ran no cell and inserted none
    assert API_KEY not in page.content()


WAITING_CELL = """\
fake.latency = 0.1
try:
    chat.map([f"ticket {i}" for i in range(2000)], "{}", concurrency=4, file="waited.jsonl")
except KeyboardInterrupt:
    print("interrupted")"""


@pytest.mark.parametrize("app", HOSTS)
def test_a_cell_that_waits_shows_the_card_and_stops_on_interrupt(server, notebook, page, app):
    name = server.write_notebook(f"map-wait-{app}.ipynb", "chat", WAITING_CELL)
    notebook.open(name, app=app).run_all(wait=False)
    ui = notebook.chat()
    card = ui.root.locator(".co-map-card")
    expect(card.locator(".co-map-stats")).to_contain_text("running")
    first = _finished(card)
    page.wait_for_timeout(800)
    assert _finished(card) > first  # updates arrive while the cell still runs
    # No Stop button the kernel could not read before the end: the card says what works.
    hint = card.locator(".co-map-hint")
    expect(hint).to_have_text("Interrupt the kernel to stop")
    expect(card.get_by_role("button")).to_have_count(0)
    # Read in one go: the running card is redrawn a few times a second.
    colours = card.evaluate(f"(card) => ({COLOURS_JS})(card.querySelector('.co-map-hint'))")
    assert contrast(colours["text"], colours["background"]) >= MIN_CONTRAST, colours

    # A loaded machine may deliver the interrupt late or lose it: press again, as a user would.
    state = card.locator(".co-map-state")
    for _ in range(3):
        page.evaluate("() => jupyterapp.commands.execute('notebook:interrupt-kernel')")
        try:
            expect(state).to_have_text("stopped", timeout=10_000)
            break
        except AssertionError:
            continue
    expect(state).to_have_text("stopped")
    notebook.wait_idle()
    notebook.run_cell(
        "import json\n"
        "lines = [json.loads(x) for x in open('waited.jsonl')]\n"
        "assert 0 < len(lines) < 2000 and {x['status'] for x in lines} == {'done'}, len(lines)"
    )
