"""Grounded answers in real JupyterLab and Notebook 7: each cited span is a highlighted element
whose text is exactly the citation's text, hovering it shows its source's title, and the saved
notebook renders the same highlights without the kernel."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HISTORY = "Coca-Cola 🥤 was invented in 1886 by John Pemberton."
PEPSI = "Pepsi was created in 1893 by Caleb Bradham."
# FakeCohere quotes the first sentence of each document, best match for the question first.
ASK = f"""\
chat.send("When was Coca-Cola invented?", documents=[
    {{"id": "history", "title": "History of Coca-Cola 🥤", "text": {HISTORY + " More later."!r}}},
    {{"id": "pepsi", "title": "Pepsi", "text": {PEPSI!r}}},
]).wait(30)"""


def spans(ui) -> list[dict]:
    """Each highlighted element: its citation numbers and its text."""
    return ui.replies.last.locator(".co-md .co-cite").evaluate_all(
        "(els) => els.map((el) => ({cite: el.dataset.cite, text: el.textContent}))"
    )


def check_highlights(ui) -> None:
    assert spans(ui) == [{"cite": "0", "text": HISTORY}, {"cite": "1", "text": PEPSI}]
    marks = ui.replies.last.locator(".co-md .co-cite")
    marks.nth(0).hover()
    card = ui.root.locator(".co-card")
    expect(card.locator(".co-source-title")).to_have_text("History of Coca-Cola 🥤")
    marks.nth(1).hover()
    expect(card.locator(".co-source-title")).to_have_text("Pepsi")
    sources = ui.replies.last.locator(".co-source .co-source-title")
    expect(sources).to_have_text(["History of Coca-Cola 🥤", "Pepsi"])


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_cited_spans_are_highlighted_with_source_cards(server, notebook, app):
    name = server.write_notebook(f"cited-{app}.ipynb", "chat", ASK)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    ui.wait_settled(1)
    check_highlights(ui)


def test_the_saved_notebook_renders_the_same_highlights(server, notebook):
    name = server.write_notebook("cited-saved.ipynb", "chat", ASK)
    notebook.open(name).run_all()
    notebook.chat().wait_settled(1)
    notebook.save()
    # Reopened with every kernel gone: the view comes only from the widget state in the file
    # (see test_e2e_views for why the page still starts an idle kernel).
    server.shutdown_kernels()
    notebook.open(name)
    ui = notebook.chat()
    ui.wait_settled(1)
    check_highlights(ui)
