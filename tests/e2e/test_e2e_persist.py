"""Conversations that survive, in JupyterLab and Notebook 7: Chat(file=...) across a kernel
restart, a saved view with no kernel behind it, and Undo after a Clear or an edit that dropped
later turns."""

import json
import time

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY, API_KEY_ENV, HOSTS

pytestmark = pytest.mark.browser

OFFLINE = "Saved conversation: run the cell to continue"


def chat_cell(file: str) -> str:
    return (
        "fake.add('Noted.', 'Second answer.', 'Edited answer.')\n"
        f"chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}], file={file!r})\n"
        "chat"
    )


def saved_contents(path, count: int) -> list[str]:
    """The messages' contents in the file, once it holds `count` of them (the kernel writes it
    right after it syncs the change to the views)."""
    deadline = time.monotonic() + 30
    while True:
        contents = [m["content"] for m in json.loads(path.read_text("utf-8"))["messages"]]
        if len(contents) == count or time.monotonic() > deadline:
            return contents
        time.sleep(0.1)


@pytest.mark.parametrize("app", HOSTS)
def test_file_survives_a_kernel_restart_and_a_dead_view_says_so(server, notebook, page, app):
    file = f"notes-{app}.chat.json"
    name = server.write_notebook(f"persist-{app}.ipynb", chat_cell(file))
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    ui.send("Remember the blue folder")
    ui.send("And the red one")
    conversation = ui.texts()
    assert len(conversation) == 4

    # Edit the first message: the later exchange goes, and the toast can bring it back.
    ui.users.first.hover()
    ui.users.first.locator("[data-co-action='edit']").click()
    ui.users.first.locator("textarea.co-edit-input").fill("Remember the green folder")
    ui.users.first.locator("textarea.co-edit-input").press("Enter")
    ui.wait_settled(1)
    toast = ui.root.locator(".co-toast")
    expect(toast).to_contain_text("Edit dropped 3 later messages")
    toast.locator("[data-co-action='undo']").click()
    expect(ui.root.locator(".co-msg")).to_have_count(4)
    assert ui.texts() == conversation

    saved = server.root / file
    expected = ["Remember the blue folder", "Noted.", "And the red one", "Second answer."]
    assert saved_contents(saved, 4) == expected
    assert API_KEY not in saved.read_text(encoding="utf-8")
    notebook.save()

    # Every kernel gone; the notebook reopens with a fresh one and no cell run. The view comes
    # from the saved widget state, and nothing answers it: it says so and keeps the text.
    server.shutdown_kernels()
    notebook.open(name, app=app)
    dead = notebook.chat()
    assert dead.texts() == conversation
    expect(dead.root.locator(".co-offline")).to_have_text(OFFLINE)
    expect(dead.input).to_be_disabled()
    expect(dead.root.locator(".co-send")).to_be_disabled()
    expect(dead.root.locator(".co-clear")).to_be_disabled()
    expect(dead.root.locator(".co-model-picker")).to_be_disabled()  # the header controls too
    # Nothing that would do nothing: no Edit, no Regenerate, and no second (red) notice.
    dead.replies.last.hover()
    offered = dead.root.locator("[data-co-action='edit'], [data-co-action='regenerate']")
    assert offered.count() > 0  # in the page, but not shown
    assert offered.evaluate_all("(els) => els.every((el) => !el.checkVisibility())")
    expect(dead.root.locator(".co-composer-error")).to_be_empty()

    # Running the cell again resumes the conversation from the file in the new kernel.
    notebook.run_all()
    ui = notebook.chat()
    expect(ui.root.locator(".co-msg")).to_have_count(4)
    expect(ui.root.locator(".co-offline")).to_be_hidden()
    assert ui.texts() == conversation
    ui.send("Still there?")
    assert ui.texts()[-2:] == ["user: Still there?", "assistant: Noted."]
    assert saved_contents(saved, 6) == [*expected, "Still there?", "Noted."]
