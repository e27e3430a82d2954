"""One chat, several views, and the conversation saved with the notebook."""

import json

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY, LONG, words

pytestmark = pytest.mark.browser

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_views_stay_in_sync_even_one_opened_mid_stream(server, notebook):
    name = server.write_notebook(
        "views.ipynb", f"fake.add(Stream({LONG!r}, delay=0.08))", "chat", "chat"
    )
    notebook.open(name).run_all()
    first, second = notebook.chat(0), notebook.chat(1)

    second.type_and_enter("Sent from the second view")
    expect(first.streaming.locator(".co-md")).to_contain_text(words(LONG, 5))

    # A third view, displayed while the reply streams: it missed the `begin` and the first
    # deltas, so only a snapshot can give it the start of the reply.
    notebook.run_cell("chat")
    third = notebook.chat(2)
    expect(third.streaming.locator(".co-md")).to_contain_text(words(LONG, 5))
    assert first.streaming.count() == 1, "the reply ended before the third view opened"

    conversation = ["user: Sent from the second view", f"assistant: {LONG}"]
    for view in (first, second, third):
        view.wait_settled(1)
        assert view.texts() == conversation

    # And the other way round: what the third view sends shows up in the first two.
    third.send("And this from the third")
    conversation += ["user: And this from the third", "assistant: And this from the third"]
    for view in (first, second):
        view.wait_settled(2)
        assert view.texts() == conversation
    assert third.texts() == conversation


def test_saved_notebook_keeps_the_conversation_but_not_the_key(server, notebook):
    name = server.write_notebook("saved.ipynb", 'fake.add("A reply **worth** keeping.")', "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()
    ui.send("Please remember this")
    conversation = ["user: Please remember this", "assistant: A reply worth keeping."]
    assert ui.texts() == conversation
    notebook.save()

    raw = server.read_notebook(name)
    assert API_KEY not in raw
    states = json.loads(raw)["metadata"]["widgets"][WIDGET_STATE]["state"].values()
    chats = [model["state"] for model in states if "messages" in model["state"]]
    assert len(chats) == 1
    saved = [(m["role"], m["content"]) for m in chats[0]["messages"]]
    assert saved == [("user", "Please remember this"), ("assistant", "A reply **worth** keeping.")]

    # Reopen it with every kernel gone. JupyterLab's widget manager renders nothing in a notebook
    # with "No Kernel" (jupyter-widgets/ipywidgets#3773), so the page starts a fresh kernel;
    # no cell runs in it, and the view can only come from the widget state in the file.
    before = {kernel["id"] for kernel in server.kernels()}
    server.shutdown_kernels()
    notebook.open(name)
    assert notebook.chat().texts() == conversation
    assert not before & {kernel["id"] for kernel in server.kernels()}


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_model_that_missed_commits_gets_the_whole_conversation(server, notebook, app):
    # The chat talks before any view of it exists: its model in the page saw the commits go by
    # with no view to apply them, so it is behind the kernel. The first view finds that out
    # from the revision in its snapshot and asks for the whole conversation.
    name = server.write_notebook(
        f"missed-{app}.ipynb",
        "fake.add('One.', 'Two.')\nchat.ask('first')\nchat.ask('second')\n"
        # Which snapshots the views ask for: the first view must ask for a full one.
        "asked = []\nanswer = chat._runner.answer_snapshot\n"
        "chat._runner.answer_snapshot = lambda full=False: (asked.append(full), answer(full))",
    )
    notebook.open(name, app=app).run_all()
    notebook.run_cell("chat")
    ui = notebook.chat()
    expect(ui.root.locator(".co-msg")).to_have_count(4)
    assert ui.texts() == ["user: first", "assistant: One.", "user: second", "assistant: Two."]
    notebook.run_cell("assert asked == [False, True], asked")
    # And it follows the next commit as usual.
    ui.send("third")
    assert ui.texts()[-2:] == ["user: third", "assistant: third"]
    notebook.run_cell("assert len(chat.messages) == 6, chat.messages")
