"""A newcomer's dead ends, in a real kernel: a blocking ask() on a chat with approve=True raises
at once (and the widget's Approve still works after the cell), and demo 04, copied as
`python -m co_widget.demo` copies it, keeps a live widget after Run All that takes its question
a second time."""

import pytest
from playwright.sync_api import expect

from co_widget import demo

from .e2e_support import HOSTS
from .test_e2e_tools import TOOLS_CELL

pytestmark = pytest.mark.browser

BLOCKING_ASK = """\
from co_widget import ApprovalBlockedError

try:
    chat.ask("Launch to the moon and mars")
except ApprovalBlockedError as error:
    print("raised:", error)"""


@pytest.mark.parametrize("app", HOSTS)
def test_a_blocking_ask_raises_and_the_widget_approves_afterwards(server, notebook, page, app):
    name = server.write_notebook(f"blocking-{app}.ipynb", TOOLS_CELL)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    notebook.run_cell(BLOCKING_ASK)  # returns: no hang
    said = page.locator(".jp-OutputArea-output pre", has_text="raised:")
    expect(said).to_contain_text("waiting for your approval of 2 tool calls ('launch')")
    expect(said).to_contain_text("await chat.send(...)")
    # The reply still waits: the cell has ended, so the widget's answers reach the kernel now.
    cards = ui.streaming.locator(".co-tool-card")
    expect(cards).to_have_count(2)
    for index in range(2):
        cards.nth(index).get_by_role("button", name="Approve launch").click()
    ui.wait_settled(1)  # one bubble: the calls, then the answer
    assert ui.reply_text() == "Results: moon, mars."
    notebook.run_cell("assert sorted(ran) == ['mars', 'moon'], ran")


def test_demo_04_stays_live_and_takes_its_question_twice(server, notebook, page):
    folder = demo.copy_notebooks(server.root / "newcomer-demos")
    notebook.open(f"{folder.name}/04_tools.ipynb").run_all()
    ui = notebook.chat()
    asked = ui.users.count()
    ui.type_and_enter("Is it warmer in Paris or Tokyo?")  # asked by the notebook already
    expect(ui.users).to_have_count(asked + 1)
    expect(ui.replies.last).to_contain_text("get_weather", timeout=30_000)
    expect(ui.replies.last).to_contain_text("Tokyo")
    expect(ui.root).not_to_contain_text("duplicate tool ids")
    expect(ui.root).not_to_contain_text("Could not connect")
