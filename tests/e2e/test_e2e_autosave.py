"""A failed autosave of Chat(file=...), in JupyterLab and Notebook 7: the widget shows a notice
with the path and the reason (readable, announced as an alert), and the next good save clears
it; chat.autosave_error holds the same text."""

import json

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY_ENV, HOSTS
from .test_e2e_looks import COLOURS_JS, contrast

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("app", HOSTS)
def test_a_failed_autosave_shows_a_notice_until_the_next_good_save(server, notebook, page, app):
    file = f"blocked-{app}.chat.json"
    name = server.write_notebook(
        f"autosave-{app}.ipynb",
        "fake.add('First answer.', 'Second answer.')\n"
        f"chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}], file={file!r})\n"
        "chat",
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    notice = ui.root.locator(".co-save-error")
    expect(notice).to_be_hidden()

    # A folder where the file should be: every write fails (for root too), like a locked file.
    saved = server.root / file
    saved.mkdir()
    ui.send("Remember the blue folder")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"Could not save {file}")
    expect(notice).to_contain_text("Is a directory")
    assert notice.get_attribute("role") == "alert"
    colours = notice.evaluate(COLOURS_JS)
    assert contrast(colours["text"], colours["background"]) >= 4.5
    # The conversation goes on; the kernel has the same text.
    assert ui.texts()[-1] == "assistant: First answer."
    text = notice.inner_text()
    notebook.run_cell(f"assert chat.autosave_error == {text!r}, chat.autosave_error")

    saved.rmdir()
    ui.send("And the red one")
    expect(notice).to_be_hidden()
    messages = json.loads(saved.read_text("utf-8"))["messages"]
    assert [m["content"] for m in messages][-1] == "Second answer."
