"""Python tools with approve=True in JupyterLab and Notebook 7: the cards show the arguments,
Deny means the function never runs, Approve runs it, and the answer appears."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TOOLS_CELL = """\
from co_widget.testing import text_events, tool_results

ran = []

def launch(target: str) -> dict:
    \"\"\"Launch a rocket.

    Args:
        target: Where to.
    \"\"\"
    ran.append(target)
    return {"target": target, "launched": True}

def script(request):
    results = tool_results(request)
    if not results:
        return text_events(
            tool_plan="I will launch both rockets.",
            tool_calls=[
                {"name": "launch", "arguments": {"target": "moon"}},
                {"name": "launch", "arguments": {"target": "mars"}},
            ],
        )
    said = ", ".join(r["documents"][0]["target"] if r["documents"] else "denied" for r in results)
    return f"Results: {said}."

fake.responder = script
chat = Chat(base_url=fake.url, api_key="k", tools=[launch], approve=True)
chat"""


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_approve_and_deny_in_the_cards(server, notebook, app):
    name = server.write_notebook(f"tools-{app}.ipynb", TOOLS_CELL)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()

    ui.type_and_enter("Launch to the moon and mars")
    cards = ui.streaming.locator(".co-tool-card")
    expect(cards).to_have_count(2)
    moon, mars = cards.nth(0), cards.nth(1)
    for card, target in ((moon, "moon"), (mars, "mars")):
        expect(card.locator(".co-tool-name")).to_have_text("launch")
        expect(card.locator(".co-tool-args")).to_have_text(f'{{"target": "{target}"}}')
        expect(card.locator(".co-tool-status")).to_have_text("waiting")
        expect(card.get_by_role("button", name="Approve launch")).to_be_visible()
    notebook.run_cell("assert ran == [], ran")  # nothing runs before the user says so

    # Plan, then the cards: measured in the page, not only present in the DOM.
    plan_box = ui.streaming.locator(".co-plan").bounding_box()
    card_box = moon.bounding_box()
    assert plan_box["y"] + plan_box["height"] <= card_box["y"]

    # Deny with the keyboard (the buttons are real buttons), approve with a click.
    deny = mars.get_by_role("button", name="Deny launch")
    deny.focus()
    expect(deny).to_be_focused()
    deny.press("Enter")
    moon.get_by_role("button", name="Approve launch").click()

    ui.wait_settled(1)  # one bubble: the calls, then the answer
    assert ui.reply_text() == "Results: moon, denied."
    notebook.run_cell("assert ran == ['moon'], ran")
    committed = ui.replies.nth(0).locator(".co-tool-card")
    expect(committed).to_have_count(2)
    expect(committed.nth(0).locator(".co-tool-status")).to_contain_text("done")
    expect(committed.nth(1).locator(".co-tool-status")).to_have_text("denied")
    expect(committed.locator("button")).to_have_count(0)
    # The status shows in the card's colour too, not only in its words.
    edge = "(el) => getComputedStyle(el).borderLeftColor"
    assert committed.nth(0).evaluate(edge) != committed.nth(1).evaluate(edge)
    # The result preview is collapsed until opened.
    preview = committed.nth(0).locator(".co-tool-preview")
    expect(preview.locator("pre")).not_to_be_visible()
    preview.locator("summary").click()
    expect(preview.locator("pre")).to_have_text('{"target": "moon", "launched": true}')


def test_a_view_opened_mid_loop_gets_the_cards_and_can_approve(server, notebook):
    name = server.write_notebook("tools-second-view.ipynb", TOOLS_CELL)
    notebook.open(name).run_all()
    first = notebook.chat()
    first.type_and_enter("Launch to the moon and mars")
    expect(first.streaming.locator(".co-tool-card")).to_have_count(2)

    # A second view of the same chat opens while both calls wait: its snapshot has the cards.
    notebook.run_cell("chat")
    second = notebook.chat(1)
    cards = second.streaming.locator(".co-tool-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator(".co-tool-args")).to_have_text('{"target": "moon"}')
    expect(second.streaming.locator(".co-plan")).to_have_text("I will launch both rockets.")

    cards.nth(0).get_by_role("button", name="Approve launch").click()
    cards.nth(1).get_by_role("button", name="Approve launch").click()
    for ui in (first, second):
        ui.wait_settled(1)
        assert ui.reply_text() == "Results: moon, mars."
    notebook.run_cell("assert sorted(ran) == ['mars', 'moon'], ran")
