"""One bubble per answer (issue 17): a reply that called Python tools is one assistant bubble,
its plan and cards first, then the answer, with each tool's result in its card only. Counted in
the page while the reply streams, after its commit and after the notebook is reopened from its
saved widget state, in JupyterLab and Notebook 7. `chat.history` keeps every message."""

import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_support import HOSTS

pytestmark = pytest.mark.browser

TOOL_CELL = """\
from co_widget.testing import Stream, text_events, tool_results

def get_weather(city: str) -> dict:
    \"\"\"The weather in a city.

    Args:
        city: Which city.
    \"\"\"
    return {"city": city, "temp_c": 21}

def script(request):
    if not tool_results(request):
        return text_events(
            tool_plan="I will look up both cities.",
            tool_calls=[
                {"name": "get_weather", "arguments": {"city": "Paris"}},
                {"name": "get_weather", "arguments": {"city": "Tokyo"}},
            ],
        )
    # Slow enough to be seen streaming into the bubble that holds the cards.
    return Stream("Paris and Tokyo are both at 21 degrees today, so neither is warmer.", delay=0.05)

fake.responder = script
chat = Chat(base_url=fake.url, api_key="k", tools=[get_weather])
chat"""

# Measured in the page: the assistant bubbles, where the cards and the answer are, and any row
# or preview of a tool result outside a card.
LAYOUT_JS = """(root) => {
    const bubbles = [...root.querySelectorAll('.co-assistant > .co-bubble')];
    const box = (el) => el && el.getBoundingClientRect();
    const last = bubbles.at(-1);
    const cards = last ? [...last.querySelectorAll('.co-tool-card')] : [];
    const answer = last?.querySelector(':scope > .co-md');
    return {
        bubbles: bubbles.length,
        messages: root.querySelectorAll('.co-list > .co-msg').length,
        toolRows: root.querySelectorAll('.co-msg.co-tool').length,
        loose: [...root.querySelectorAll('.co-tool-result')].filter(
            (el) => !el.closest('.co-tool-card')).length,
        cards: cards.length,
        answer: answer ? answer.textContent.trim() : null,
        cardsBottom: cards.length ? Math.max(...cards.map((c) => box(c).bottom)) : null,
        answerTop: answer ? box(answer).top : null,
        bubbleTop: last ? box(last).top : null,
        bubbleBottom: last ? box(last).bottom : null,
    };
}"""

ANSWER = "Paris and Tokyo are both at 21 degrees today, so neither is warmer."


def assert_one_bubble(ui, answer_prefix: str) -> dict:
    got = ui.root.evaluate(LAYOUT_JS)
    assert got["bubbles"] == 1, got
    assert got["toolRows"] == 0 and got["loose"] == 0, got  # results live in their cards only
    assert got["cards"] == 2, got
    assert got["answer"].startswith(answer_prefix), got
    # In the bubble, below the cards: measured, not only present in the DOM.
    assert got["bubbleTop"] < got["cardsBottom"] <= got["answerTop"] < got["bubbleBottom"], got
    return got


@pytest.mark.parametrize("app", HOSTS)
def test_a_reply_with_tools_is_one_bubble_live_committed_and_reopened(server, notebook, app):
    name = server.write_notebook(f"one-bubble-{app}.ipynb", TOOL_CELL)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    ui.type_and_enter("Is it warmer in Paris or Tokyo?")

    # While the answer streams: it grows in the bubble that holds the cards.
    expect(ui.streaming.locator(".co-md")).to_contain_text("Paris and Tokyo", timeout=30_000)
    live = assert_one_bubble(ui, "Paris and Tokyo")
    assert live["messages"] == 2  # the user's message and the streaming reply

    ui.wait_settled(1)
    committed = assert_one_bubble(ui, ANSWER)
    assert committed["messages"] == 2
    assert ui.reply_text() == ANSWER
    card = ui.replies.last.locator(".co-tool-card").first
    expect(card.locator(".co-tool-status")).to_contain_text("done")
    card.locator(".co-tool-preview summary").click()
    expect(card.locator(".co-tool-preview pre")).to_have_text('{"city": "Paris", "temp_c": 21}')
    # Rendering only: the history keeps the step, both tool results and the answer.
    notebook.run_cell(
        "roles = [m['role'] for m in chat.history]\n"
        "assert roles == ['user', 'assistant', 'tool', 'tool', 'assistant'], roles"
    )

    # A second turn still gets its own bubble; then the notebook is reopened from its saved
    # widget state with no kernel.
    ui.send("Thanks")
    assert ui.replies.count() == 2
    notebook.save()
    server.shutdown_kernels()
    notebook.open(name, app=app)
    reopened = notebook.chat()
    expect(reopened.root.locator(".co-list > .co-msg")).to_have_count(4)
    got = reopened.root.evaluate(LAYOUT_JS)
    assert got["bubbles"] == 2 and got["toolRows"] == 0 and got["loose"] == 0, got
    first = reopened.replies.first
    expect(first.locator(".co-tool-card")).to_have_count(2)
    expect(first.locator(":scope > .co-bubble > .co-md")).to_have_text(ANSWER)
