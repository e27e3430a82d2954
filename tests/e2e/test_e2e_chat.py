"""The chat in JupyterLab, driven like a user would: type, Enter, Stop, Esc, regenerate, edit."""

import re

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY, API_KEY_ENV, LONG, assert_streamed, words

pytestmark = pytest.mark.browser


def test_reply_streams_into_the_bubble(server, notebook):
    name = server.write_notebook("stream.ipynb", f"fake.add(Stream({LONG!r}, delay=0.03))", "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()

    ui.type_and_enter("What is Coca-Cola?")
    samples = ui.sample_stream()
    ui.wait_settled(1)

    assert_streamed(samples, LONG)
    assert ui.texts() == ["user: What is Coca-Cola?", f"assistant: {LONG}"]
    usage = ui.replies.last.locator(".co-usage")
    expect(usage).to_have_text(re.compile(r"^\d+ in · \d+ out tokens · \$\d+\.\d+$"))


@pytest.mark.parametrize("how", ["button", "escape"])
def test_stop_keeps_the_partial_reply(server, notebook, how):
    name = server.write_notebook("stop.ipynb", f"fake.add(Stream({LONG!r}, delay=0.1))", "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()

    ui.type_and_enter("Tell me about Coca-Cola")
    expect(ui.streaming.locator(".co-md")).to_contain_text(words(LONG, 4))
    if how == "button":
        ui.stop_button.click()
    else:
        ui.input.press("Escape")
    ui.wait_settled(1)

    partial = ui.reply_text()
    assert LONG.startswith(partial) and len(words(LONG, 4)) <= len(partial) < len(LONG)
    expect(ui.replies.last.locator(".co-marker-stopped")).to_be_visible()
    # The kernel kept the same partial text, marked stopped.
    notebook.run_cell(
        "last = chat.messages[-1]\n"
        "assert last['_co']['status'] == 'stopped', last\n"
        f"assert ' '.join(str(last['content']).split()) == {partial!r}, last"
    )

    # The chat is usable again: the next message gets a whole reply (the fake echoes it).
    ui.send("Next question, please")
    assert ui.reply_text() == "Next question, please"
    expect(ui.replies.last.locator(".co-marker")).to_have_count(0)


def test_stop_reaches_the_kernel_while_a_cell_awaits_the_reply(server, notebook):
    # `await reply` keeps the kernel's event loop free, so the Stop button's message is handled
    # while the cell is still running (ipykernel >= 7.4); `reply.wait()` would block it.
    name = server.write_notebook("await.ipynb", f"fake.add(Stream({LONG!r}, delay=0.1))", "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()

    notebook.run_cell("reply = chat.send('Tell me more')\ntext = await reply", wait=False)
    expect(ui.streaming.locator(".co-md")).to_contain_text(words(LONG, 4))
    ui.stop_button.click()
    ui.wait_settled(1)
    notebook.wait_idle()  # the awaiting cell finished: with the partial text, not the whole
    notebook.run_cell(
        "assert reply.status == 'stopped', reply\n"
        f"assert text == reply.text and 0 < len(text) < len({LONG!r}), text"
    )


def test_regenerate_and_edit(server, notebook):
    name = server.write_notebook(
        "regenerate.ipynb", 'fake.add("The first answer.", "The second answer.")', "chat"
    )
    notebook.open(name).run_all()
    ui = notebook.chat()

    ui.send("Tell me something")
    assert ui.reply_text() == "The first answer."

    ui.replies.last.hover()
    ui.replies.last.locator("[data-co-action='regenerate']").click()
    expect(ui.replies.last.locator(".co-md")).to_have_text("The second answer.")
    ui.wait_settled(1)
    assert ui.texts() == ["user: Tell me something", "assistant: The second answer."]

    # Edit the first of two exchanges: everything after it goes, and the edit is asked anew.
    ui.send("A follow-up")
    ui.users.first.hover()
    ui.users.first.locator("[data-co-action='edit']").click()
    editor = ui.users.first.locator("textarea.co-edit-input")
    expect(editor).to_have_value("Tell me something")
    editor.fill("An edited question")
    editor.press("Enter")
    expect(ui.users).to_have_count(1)
    ui.wait_settled(1)
    assert ui.texts() == ["user: An edited question", "assistant: An edited question"]
    # What the model was asked each time: the same history again, then only the edited message.
    notebook.run_cell(
        "asked = [[m['content'] for m in r.json['messages']] for r in fake.requests]\n"
        "assert asked == [\n"
        "    ['Tell me something'],\n"
        "    ['Tell me something'],\n"
        "    ['Tell me something', 'The second answer.', 'A follow-up'],\n"
        "    ['An edited question'],\n"
        "], asked"
    )


def test_failed_turns_show_the_error_and_the_chat_recovers(server, notebook):
    # The key comes from $CO_API_KEY at request time: first a wrong one (401), then the right
    # one, and the first good request's stream is cut off midway.
    name = server.write_notebook(
        "errors.ipynb",
        'os.environ["CO_API_KEY"] = "wrong-key-000"\n'
        f"strict = FakeCohere(api_key=os.environ[{API_KEY_ENV!r}], delay=0.02).start()\n"
        'strict.add(Stream("This reply is cut off before it ends properly.", drop_after=6))\n'
        "chat = Chat(base_url=strict.url)\n"
        "chat",
    )
    notebook.open(name).run_all()
    ui = notebook.chat()

    ui.send("Hello?")
    banner = ui.replies.nth(0).locator(".co-error")
    expect(banner.locator(".co-error-title")).to_contain_text("401")
    expect(banner.locator(".co-error-hint")).not_to_be_empty()

    notebook.run_cell(f'os.environ["CO_API_KEY"] = os.environ[{API_KEY_ENV!r}]')
    ui.send("Hello again?")
    dropped = ui.replies.nth(1)
    expect(dropped.locator(".co-error .co-error-hint")).not_to_be_empty()
    expect(dropped.locator(".co-marker-interrupted")).to_be_visible()
    # Six events went out: message-start, content-start and four word deltas.
    assert ui.reply_text(1) == "This reply is cut"

    ui.send("Third time lucky")
    assert ui.reply_text() == "Third time lucky"
    expect(ui.replies.last.locator(".co-error")).to_have_count(0)
    assert API_KEY not in (ui.root.text_content() or "")


HOSTILE = """\
Here is everything you asked for.

<script>window.pwned = 1</script>

<img src=x onerror="window.pwned = 1">

[click](javascript:window.pwned=1)

<svg onload="window.pwned = 1"><circle r="4"/></svg>

![leak](http://198.51.100.7/x.png)
"""


def test_hostile_reply_runs_nothing_and_loads_nothing(server, notebook, page, network):
    name = server.write_notebook("hostile.ipynb", f"fake.add(Stream({HOSTILE!r}))", "chat")
    notebook.open(name).run_all()
    ui = notebook.chat()

    # The user's own text is untrusted too (pasted from anywhere).
    own = '<img src=y onerror="window.pwned = 2">hi'
    ui.send(own)
    reply = ui.replies.last
    reply.get_by_text("click", exact=True).click()
    page.wait_for_timeout(300)  # give a handler that got through the chance to run

    assert page.evaluate("() => window.pwned") is None
    assert ui.users.last.locator(".co-bubble").text_content() == own
    dangerous = "script, img, svg, iframe, style, [onerror], [onload], a[href^='javascript' i]"
    # Inside the bubbles only: the widget's own icons are SVGs.
    assert ui.root.locator(".co-bubble").locator(dangerous).count() == 0
    # The remote image is a plain link, not loaded (and never requested, see `network`).
    leak = reply.get_by_role("link", name="leak")
    expect(leak).to_have_attribute("href", "http://198.51.100.7/x.png")
    expect(leak).to_have_attribute("rel", "noopener noreferrer")
    assert not network.outside(), network.outside()
    assert not any("198.51.100.7" in url for url in network.requests)
