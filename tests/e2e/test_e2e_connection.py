"""No dead ends, in JupyterLab and Notebook 7: a view is disabled ("Connecting to the kernel…")
until its kernel answers, never enabled but dead; after a kernel restart the old view says so at
once and offers nothing that would do nothing (no composer, no Edit, no Regenerate)."""

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS

pytestmark = pytest.mark.browser

# The kernel answers a view only between cells: this one keeps it busy after showing the chat.
BUSY_CELL = "from IPython.display import display\nimport time\n\ndisplay(chat)\ntime.sleep(3)"
RESTART = "() => jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"


@pytest.mark.parametrize("app", HOSTS)
def test_a_view_waits_for_its_kernel_then_a_restart_takes_it_offline(server, notebook, page, app):
    name = server.write_notebook(f"connect-{app}.ipynb", BUSY_CELL)
    notebook.open(name, app=app).run_all(wait=False)
    ui = notebook.chat()
    notice = ui.root.locator(".co-offline")
    # While the cell that showed it still runs, the kernel cannot answer: disabled, and saying so.
    expect(notice).to_have_text("Connecting to the kernel…")
    expect(ui.input).to_be_disabled()
    expect(ui.root.locator(".co-send")).to_be_disabled()
    notebook.wait_idle()
    expect(ui.input).to_be_enabled()
    expect(notice).to_be_hidden()
    ui.send("hello")
    assert ui.texts() == ["user: hello", "assistant: hello"]

    # The kernel restarts: the view's chat is gone with it, and the view says so at once.
    page.evaluate(RESTART)
    expect(notice).to_have_text("The kernel restarted: run the cell to continue")
    expect(ui.input).to_be_disabled()
    expect(ui.root.locator(".co-send")).to_be_disabled()
    expect(ui.root.locator(".co-clear")).to_be_disabled()
    for message in (ui.users.first, ui.replies.first):
        message.hover()
    expect(ui.root.locator("[data-co-action='edit']")).to_be_hidden()
    expect(ui.root.locator("[data-co-action='regenerate']")).to_be_hidden()
    expect(ui.root.locator(".co-composer-error")).to_be_empty()
    assert ui.texts() == ["user: hello", "assistant: hello"]  # what it showed stays readable

    # Running the notebook again gives a live chat.
    notebook.run_all()
    live = notebook.chat()
    expect(live.input).to_be_enabled()
    live.send("again")
    assert live.texts()[-1] == "assistant: again"
