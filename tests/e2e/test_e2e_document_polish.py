"""Documents read as a person would write them (issue 17), in JupyterLab and Notebook 7: "1
document attached" and "4 documents attached", an untitled document's id shown once (as its
title), and snippets without Markdown's heading markers."""

import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_support import HOSTS

pytestmark = pytest.mark.browser

CO = {"status": "complete", "finish_reason": "COMPLETE", "usage": None, "error": None}
ANSWER = "Bottled in 1886 in Atlanta."
UNTITLED = {"id": "doc_0", "text": "# History\n\nBottled in 1886.\n## Later\nSold worldwide."}
TITLED = {"id": "doc_1", "title": "Atlanta", "text": "### Where\nAtlanta, Georgia."}


def cite(start: int, end: int, document: dict) -> dict:
    return {
        "start": start,
        "end": end,
        "text": ANSWER[start:end],
        "sources": [{"type": "document", "id": document["id"], "document": document}],
    }


MESSAGES = [
    {"role": "user", "content": "One file", "_co": {"attached": {"documents": 1}}},
    {"role": "assistant", "content": "Read it.", "_co": CO},
    {"role": "user", "content": "When and where?", "_co": {"attached": {"documents": 4}}},
    {
        "role": "assistant",
        "content": ANSWER,
        "citations": [cite(0, 15, UNTITLED), cite(19, 26, TITLED)],
        "_co": CO,
    },
]

SOURCES_JS = """(root) => [...root.querySelectorAll('.co-sources .co-source')].map((li) => ({
    title: li.querySelector('.co-source-title')?.textContent,
    ids: [...li.querySelectorAll('.co-source-id')].map((el) => el.textContent),
    snippet: li.querySelector('.co-source-snippet')?.textContent,
    text: li.textContent,
}))"""


@pytest.mark.parametrize("app", HOSTS)
def test_attached_counts_untitled_ids_and_snippets(server, notebook, app):
    ui = notebook.start(f"documents-{app}.ipynb", f"chat.messages = {MESSAGES!r}\nchat", app=app)
    expect(ui.root.locator(".co-list > .co-msg")).to_have_count(4)
    notes = ui.root.locator(".co-user .co-note")
    expect(notes).to_have_text(["1 document attached", "4 documents attached"])

    sources = ui.root.evaluate(SOURCES_JS)
    assert len(sources) == 2, sources
    untitled, titled = sources
    # Untitled: its id is its title, and appears once in the whole entry.
    assert untitled["title"] == "doc_0" and untitled["ids"] == [], untitled
    assert untitled["text"].count("doc_0") == 1, untitled
    assert untitled["snippet"] == "History Bottled in 1886. Later Sold worldwide.", untitled
    # Titled: the title, then the id once.
    assert titled["title"] == "Atlanta" and titled["ids"] == ["doc_1"], titled
    assert titled["snippet"] == "Where Atlanta, Georgia.", titled
    assert "#" not in untitled["text"] + titled["text"]
