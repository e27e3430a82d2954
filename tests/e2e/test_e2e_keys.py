"""Keys belong to the widget, in JupyterLab and Notebook 7: Enter sends, Shift+Enter is a new
line (in the composer and in the edit box), Esc stops, and no key typed anywhere in the widget,
after clicking any of its buttons, reaches the notebook's shortcuts (which would turn the cell
into Markdown, delete it, insert cells or run it again)."""

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS, LONG, words

pytestmark = pytest.mark.browser

REPLY = "Here is code:\n\n```python\nprint('hi')\n```\n\nDone."
FOCUS_INSIDE = "() => Boolean(document.activeElement?.closest('.co-widget'))"


def stray_keys(page, *, enter: bool = True) -> None:
    """What a user types after a click, believing focus went back to the notebook."""
    page.keyboard.type("made it")
    for key in ("m", "d", "d", "Escape", *(["Enter"] if enter else [])):
        page.keyboard.press(key)


@pytest.mark.parametrize("app", HOSTS)
def test_keys_stay_in_the_widget_after_every_kind_of_click(server, notebook, page, app):
    ui = notebook.start(
        f"keys-{app}.ipynb",
        f"fake.add({REPLY!r}, 'second', 'regenerated', Stream({LONG!r}, delay=0.1), 'edited')",
        "chat",
        app=app,
    )
    cells = notebook.cells()
    assert [cell["type"] for cell in cells] == ["code", "code", "code"]

    # Shift+Enter is a new line in the composer; Enter sends.
    ui.input.click()
    page.keyboard.type("a")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("b")
    expect(ui.input).to_have_value("a\nb")
    page.keyboard.press("Enter")
    ui.wait_settled(1)
    assert ui.texts()[0] == "user: a\nb".replace("\n", " ")
    assert notebook.cells() == cells

    def clicked(locator, *, enter: bool = False, settle: int | None = None) -> None:
        locator.click()
        assert page.evaluate(FOCUS_INSIDE), f"focus left the widget after {locator}"
        if settle is not None:
            # The stray keys include Esc, which rightly stops a reply still streaming: let the
            # reply this click started end first (on a slow machine it may not have yet).
            ui.wait_settled(settle)
            assert page.evaluate(FOCUS_INSIDE), f"focus left the widget after {locator}"
        stray_keys(page, enter=enter)
        assert notebook.cells() == cells, f"keys reached the notebook after {locator}"
        ui.input.fill("")

    reply = ui.replies.last
    reply.hover()
    clicked(reply.locator("[data-co-action='copy']"), enter=True)
    clicked(reply.locator("[data-co-action='copy-code']"), enter=True)

    # The Send button (focus moves to the composer, so no Enter: it would send "made it").
    ui.input.fill("second")
    clicked(ui.root.locator(".co-send[data-co-action='send']"), settle=2)
    expect(ui.replies.last.locator(".co-md")).to_have_text("second")
    ui.replies.last.hover()
    clicked(ui.replies.last.locator("[data-co-action='regenerate']"), settle=2)
    expect(ui.replies.last.locator(".co-md")).to_have_text("regenerated")
    ui.wait_settled(2)

    # Stop while streaming, then Esc stops another reply from the composer.
    ui.input.fill("stream please")
    ui.input.press("Enter")
    expect(ui.streaming.locator(".co-md")).to_contain_text(words(LONG, 3))
    clicked(ui.stop_button)
    ui.wait_settled(3)

    # The edit box: Shift+Enter is a new line there too, Esc cancels, Enter sends.
    first = ui.users.first
    first.hover()
    first.locator("[data-co-action='edit']").click()
    editor = first.locator("textarea.co-edit-input")
    editor.press("End")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("more")
    expect(editor).to_have_value("a\nb\nmore")
    page.keyboard.press("Escape")
    expect(first.locator(".co-editor")).to_have_count(0)
    assert page.evaluate(FOCUS_INSIDE)
    assert notebook.cells() == cells
    first.hover()
    first.locator("[data-co-action='edit']").click()
    clicked(first.locator("[data-co-action='edit-cancel']"))

    # Clear, then Undo from the toast.
    clicked(ui.root.locator("[data-co-action='clear']"))
    expect(ui.root.locator(".co-toast")).to_contain_text("Cleared 6 messages")
    clicked(ui.root.locator(".co-toast [data-co-action='undo']"))
    expect(ui.root.locator(".co-msg")).to_have_count(6)

    # The widget is still there and the notebook untouched: same cells, types, sources, counts.
    assert notebook.cells() == cells
    assert ui.root.is_visible()
