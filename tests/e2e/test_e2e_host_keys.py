"""Keys: the widget keeps its own, the host gets its own, in JupyterLab and Notebook 7.

The host's chorded shortcuts work with focus in the composer (Ctrl+S saves the notebook,
Ctrl+Shift+C opens the command palette, Ctrl+B toggles the left sidebar), while the keys the
widget handles never reach the notebook (test_e2e_keys.py). Esc in an idle composer hands focus
back to the notebook in command mode, on the chat's own cell. After Approve or Deny on a tool
card, focus goes to the next waiting card's button, or to the composer."""

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS
from .test_e2e_tools import TOOLS_CELL

pytestmark = pytest.mark.browser

DIRTY = "() => jupyterapp.shell.currentWidget.context.model.dirty"
LEFT_COLLAPSED = "() => jupyterapp.shell.leftCollapsed"
IN_PALETTE = "() => Boolean(document.activeElement?.closest('.lm-CommandPalette'))"
NOTEBOOK_STATE = """() => {
    const notebook = jupyterapp.shell.currentWidget.content;
    return {
        command: notebook.node.classList.contains('jp-mod-commandMode'),
        mode: notebook.mode,
        active: notebook.activeCellIndex,
        chatCell: notebook.widgets.findIndex((c) => c.node.querySelector('.co-widget')),
        inWidget: Boolean(document.activeElement?.closest('.co-widget')),
    };
}"""


def commands_run(page, key: str) -> list[str]:
    """The ids of the commands the host ran for one press of `key` (its command registry's
    commandExecuted signal), after the page has settled."""
    page.evaluate(
        """() => {
            window.__ran = [];
            if (!window.__recording) {
                const record = (_, args) => window.__ran.push(args.id);
                jupyterapp.commands.commandExecuted.connect(record);
                window.__recording = true;
            }
        }"""
    )
    page.keyboard.press(key)
    page.wait_for_timeout(300)
    return page.evaluate("window.__ran")


@pytest.mark.parametrize("app", HOSTS)
def test_the_hosts_chords_work_from_the_composer(server, notebook, page, app):
    ui = notebook.start(f"chords-{app}.ipynb", "chat", app=app)
    cells = notebook.cells()
    ui.input.click()
    page.keyboard.type("draft")

    # Ctrl+S saves the notebook (running it made it dirty), and the draft stays.
    page.wait_for_function(DIRTY)
    assert "docmanager:save" in commands_run(page, "Control+s")
    page.wait_for_function(f"() => !({DIRTY})()")
    expect(ui.input).to_have_value("draft")

    # Ctrl+Shift+C opens the command palette, with focus in its search box; Esc closes it.
    ui.input.click()
    assert "apputils:activate-command-palette" in commands_run(page, "Control+Shift+c")
    page.wait_for_function(IN_PALETTE)
    expect(page.locator(".lm-CommandPalette-input").first).to_be_focused()
    page.keyboard.press("Escape")

    # Ctrl+B runs what the host binds to it, the same from the composer as from the notebook
    # itself: JupyterLab toggles the left sidebar; Notebook 7 has no sidebar toggle on it.
    ui.input.click()
    before = page.evaluate(LEFT_COLLAPSED)
    from_widget = commands_run(page, "Control+b")
    assert from_widget, "Ctrl+B from the composer ran no command"
    ui.input.click()
    page.keyboard.press("Escape")  # back to the notebook, in command mode
    assert not page.evaluate(NOTEBOOK_STATE)["inWidget"]
    from_notebook = commands_run(page, "Control+b")
    # The bound command first (opening Notebook 7's scratchpad console runs more after it).
    assert from_widget[0] == from_notebook[0]
    if app == "lab":
        assert from_widget == ["application:toggle-left-area"]
        assert page.evaluate(LEFT_COLLAPSED) == before  # toggled twice

    # Text-editing chords stay in the composer: Ctrl+A selects its text, not all cells.
    ui.input.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("replaced")
    expect(ui.input).to_have_value("replaced")
    # Ctrl+Enter and Shift+Enter never run the cell; nothing was added, deleted or re-run.
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Shift+Enter")
    assert notebook.cells() == cells


@pytest.mark.parametrize("app", HOSTS)
def test_esc_in_an_idle_composer_returns_to_the_notebook(server, notebook, page, app):
    ui = notebook.start(f"esc-{app}.ipynb", "chat", app=app)
    cells = notebook.cells()
    # Another cell active first, so the test sees focus come back to the chat's own cell.
    page.evaluate("() => { jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")
    ui.input.click()
    page.keyboard.type("a b")
    page.keyboard.press("Escape")
    state = page.evaluate(NOTEBOOK_STATE)
    assert state["command"] and state["mode"] == "command", state
    assert state["active"] == state["chatCell"] == 1, state
    assert not state["inWidget"], state
    expect(ui.input).to_have_value("a b")  # the draft stays
    assert notebook.cells() == cells
    # From there, the notebook's own keys work again: Down moves to the next cell (none here,
    # so the active cell stays), and a click back in the composer types into it.
    ui.input.click()
    page.keyboard.type("c")
    expect(ui.input).to_have_value("a bc")
    assert notebook.cells() == cells


@pytest.mark.parametrize("app", HOSTS)
def test_focus_after_approve_or_deny_goes_to_the_next_card_then_the_composer(
    server, notebook, page, app
):
    name = server.write_notebook(f"approve-focus-{app}.ipynb", TOOLS_CELL)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    cells = notebook.cells()
    ui.type_and_enter("Launch to the moon and mars")
    cards = ui.streaming.locator(".co-tool-card")
    expect(cards.get_by_role("button", name="Approve launch")).to_have_count(2)
    moon, mars = cards.nth(0), cards.nth(1)

    # Approve the first with the keyboard: focus moves to the second card's Approve.
    approve = moon.get_by_role("button", name="Approve launch")
    approve.focus()
    page.keyboard.press("Enter")
    expect(mars.get_by_role("button", name="Approve launch")).to_be_focused()
    # Deny it from there with the keyboard (Right moves to Deny): no card waits, so the composer.
    page.keyboard.press("Tab")
    expect(mars.get_by_role("button", name="Deny launch")).to_be_focused()
    page.keyboard.press("Enter")
    expect(ui.input).to_be_focused()
    ui.wait_settled(1)  # one bubble: the calls, then the answer
    assert ui.reply_text() == "Results: moon, denied."
    # Typing goes on in the composer, not into the notebook's shortcuts.
    page.keyboard.type("dd")
    expect(ui.input).to_have_value("dd")
    assert notebook.cells() == cells
