"""Chat(corpus=...) in real JupyterLab and Notebook 7: the bubble's chip says how many rows were
retrieved, hovering or clicking it lists them with their rerank scores, a cited row's card is a
table, everything readable in both themes; while the corpus embeds, a bar shows the progress and a
rate-limit wait, and its Stop stops the turn."""

import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_support import API_KEY_ENV, THEMES
from tests.e2e.test_e2e_looks import COLOURS_JS, MIN_CONTRAST, contrast

pytestmark = pytest.mark.browser

CITIES = ["Lagos", "Paris", "Lima", "Tokyo", "Berlin"]
# 200 rows: more than top_k (50), so the corpus is embedded, then reranked.
CORPUS_CHAT = f"""\
import pandas as pd

rows = pd.DataFrame({{
    "city": [{CITIES!r}[i % 5] for i in range(200)],
    "drink": ["Cola Zero" if i % 3 else "Lemon Fizz" for i in range(200)],
    "units": [100 + i for i in range(200)],
}})
chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}], corpus=rows,
            retrieve={{"cache_dir": False}})"""
ASK = 'chat.send("How much Lemon Fizz did Lima sell?").wait(30)'


def open_corpus_chat(server, notebook, name: str, app: str, *cells: str):
    name = server.write_notebook(name, CORPUS_CHAT, *cells, "chat")
    notebook.open(name, app=app).run_all()
    return notebook.chat()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_the_chip_lists_the_retrieved_rows_and_cited_rows_show_as_tables(server, notebook, app):
    ui = open_corpus_chat(server, notebook, f"corpus-{app}.ipynb", app)
    ui.send("How much Lemon Fizz did Lima sell?")
    ui.wait_settled(1)
    reply = ui.replies.last
    chip = reply.locator(".co-retrieved-chip")
    expect(chip).to_have_text("8 of 200 rows retrieved")
    items = reply.locator(".co-retrieved-item")
    expect(items).to_have_count(8)
    expect(items.first).to_be_hidden()

    # Hover shows the list; leaving hides it again.
    chip.hover()
    expect(items.first).to_be_visible()
    labels = reply.locator(".co-retrieved-label").all_text_contents()
    assert all(label.startswith("row ") for label in labels)
    scores = [float(s) for s in reply.locator(".co-retrieved-score").all_text_contents()]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    ui.input.hover()
    expect(items.first).to_be_hidden()

    # A click keeps it open (and says so to assistive technology); a second click closes it.
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    ui.input.hover()
    expect(items.first).to_be_visible()
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "false")
    ui.input.hover()  # the pointer leaves the chip, which the click had moved it onto
    expect(items.first).to_be_hidden()

    # The cited row's card is the row as a table.
    reply.locator(".co-md .co-cite").first.hover()
    card = ui.root.locator(".co-card")
    expect(card.locator(".co-source-title")).to_have_text(labels[0].replace("row", "Row"))
    expect(card.locator("table.co-source-row th")).to_have_text(["city", "drink", "units"])
    expect(card.locator("table.co-source-row td").first).to_have_text("Lima")


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
def test_the_chip_and_its_list_are_readable_in_both_themes(server, notebook, page, theme):
    ui = open_corpus_chat(server, notebook, f"corpus-{theme}.ipynb", "lab", ASK)
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=THEMES[theme]
    )
    ui.wait_settled(1)
    reply = ui.replies.last
    reply.locator(".co-retrieved-chip").click()
    for selector in (
        ".co-retrieved-chip",
        ".co-retrieved-label",
        ".co-retrieved-score",
        ".co-retrieved-snippet",
    ):
        element = reply.locator(selector).first
        colours = element.evaluate(COLOURS_JS)
        ratio = contrast(colours["text"], colours["background"])
        assert ratio >= MIN_CONTRAST, f"{theme} {selector}: {colours} {ratio:.2f}"
    # The open list sits in the bubble, below the chip, within the reply's width.
    chip_box = reply.locator(".co-retrieved-chip").bounding_box()
    list_box = reply.locator(".co-retrieved-list").bounding_box()
    bubble_box = reply.locator(".co-bubble").bounding_box()
    assert list_box["y"] >= chip_box["y"] + chip_box["height"]
    assert list_box["x"] + list_box["width"] <= bubble_box["x"] + bubble_box["width"] + 1


def test_embedding_shows_progress_and_a_rate_limit_wait_and_stop_stops(server, notebook):
    # The first embed call is refused with Retry-After: 30, so the bar waits visibly.
    wait = 'fake.add(Error(429, "slow down", retry_after=30), endpoint="embed")'
    setup = "from co_widget.testing import Error\n" + wait
    ui = open_corpus_chat(server, notebook, "corpus-progress.ipynb", "lab", setup)
    ui.type_and_enter("How much Lemon Fizz did Lima sell?")
    bar = ui.root.locator(".co-progress")
    expect(bar.locator(".co-progress-text")).to_have_text(
        "Embedding 0 of 200 · rate limited: waiting 30 s"
    )
    expect(bar.locator("progress")).to_have_attribute("max", "200")
    bar.get_by_role("button", name="Stop embedding").click()
    expect(bar).to_be_empty()
    ui.wait_settled(1)
    expect(ui.replies.last.locator(".co-marker")).to_have_text("Stopped before the reply began")
    # The chat goes on: the next question embeds (no fault queued) and answers.
    ui.send("And in Paris?")
    ui.wait_settled(2)
    expect(ui.replies.last.locator(".co-retrieved-chip")).to_have_text("8 of 200 rows retrieved")


def test_an_empty_corpus_is_a_notice_in_the_bubble_that_a_saved_chat_keeps(server, notebook):
    # The notice part end to end: the kernel notes it in the turn (_co.notices), the bubble draws
    # it (not as a warning), a saved file keeps it and a loaded chat draws it again.
    key = f"os.environ[{API_KEY_ENV!r}]"
    empty = f"chat = Chat(base_url=fake.url, api_key={key}, corpus=[])"
    name = server.write_notebook("corpus-empty.ipynb", empty, "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()
    ui.send("Anything about Lima?")
    ui.wait_settled(1)
    reply = ui.replies.last
    expect(reply.locator(".co-bubble > .co-notice-info")).to_contain_text("The corpus is empty")
    expect(reply.locator(".co-warnings")).to_have_count(0)
    notebook.run_cell(
        f"chat.save('corpus-empty.chat.json')\n"
        f"Chat.load('corpus-empty.chat.json', base_url=fake.url, api_key={key})"
    )
    loaded = notebook.page.locator(".co-widget").nth(1).locator(".co-assistant").last
    expect(loaded.locator(".co-bubble > .co-notice-info")).to_contain_text("The corpus is empty")
