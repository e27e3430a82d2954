"""The widget's front end in a real Chromium, against a fake anywidget model.

tests/browser/harness/ (the page fixture, in conftest.py) loads the committed bundle
(co_widget/static/widget.js) into a static page with a fake model that records what the view
sends and can play the kernel's side (custom messages, trait changes). Every page refuses
requests that leave 127.0.0.1 and the tests fail if one was attempted or if the page threw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "_artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def frames(page, count: int = 2) -> None:
    """Waits for `count` animation frames, so batched rendering has run."""
    page.evaluate(
        """(count) => new Promise((done) => {
            const step = (left) => left ? requestAnimationFrame(() => step(left - 1)) : done();
            step(count);
        })""",
        count,
    )


def setup(page, **state) -> None:
    page.evaluate("(state) => { harness.setup(state); }", state)
    # A long history renders newest first over a few frames.
    page.wait_for_function(
        "(n) => document.querySelectorAll('.co-list > .co-msg').length >= n",
        arg=len(state.get("messages", [])),
    )
    frames(page)


def emit(page, *messages: dict) -> None:
    page.evaluate("(msgs) => msgs.forEach((m) => harness.model.emit(m))", list(messages))


def set_trait(page, name: str, value) -> None:
    page.evaluate("([name, value]) => harness.model.set(name, value)", [name, value])


def sent(page) -> list[dict]:
    return page.evaluate("harness.model.sent")


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text, **co) -> dict:
    message = {"role": "assistant", "content": text}
    if co:
        base = {"status": "complete", "finish_reason": "COMPLETE", "usage": None, "error": None}
        message["_co"] = {**base, "warnings": [], **co}
    return message


CONVERSATION = [
    user("What is **Coca-Cola**? <b>really</b>"),
    assistant("Coca-Cola is a *soft drink*.", usage={"billed_units": {"input_tokens": 12}}),
    user("And Pepsi?"),
    assistant("Also a soft drink."),
]


def test_messages_render_as_bubbles(page):
    setup(page, messages=CONVERSATION)
    assert page.locator(".co-msg.co-user").count() == 2
    assert page.locator(".co-msg.co-assistant").count() == 2
    first_user = page.locator(".co-user .co-bubble").first
    # User text is plain text: markdown and HTML stay literal.
    assert first_user.inner_text() == "What is **Coca-Cola**? <b>really</b>"
    assert first_user.locator("b").count() == 0
    assert page.locator(".co-assistant .co-md em").first.inner_text() == "soft drink"
    user_box = first_user.bounding_box()
    assistant_box = page.locator(".co-assistant .co-bubble").first.bounding_box()
    assert user_box["x"] + user_box["width"] > assistant_box["x"] + assistant_box["width"]
    # Not a live region (it would read every token): the view announces each finished reply
    # once, see tests/e2e/test_e2e_a11y.py.
    assert page.locator(".co-list").get_attribute("aria-live") is None
    assert page.locator(".co-model").inner_text() == "command-a-03-2025"


def test_begin_and_deltas_stream_in_and_end_commits(page):
    setup(page, messages=CONVERSATION)
    # A regenerate-like begin: base 2 hides the last exchange while the new reply streams.
    emit(page, {"type": "begin", "seq": 0, "reply": "r1", "base": 2, "user": user("Pepsi?")})
    set_trait(page, "status", "streaming")
    frames(page)
    assert page.locator(".co-list > .co-msg").count() == 4  # 2 kept + user + streaming bubble
    assert page.locator(".co-streaming .co-cursor").count() == 1
    lengths = []
    for seq, piece in enumerate(["Pepsi ", "is a ", "cola ", "too."], start=1):
        emit(page, {"type": "delta", "seq": seq, "reply": "r1", "text": piece})
        frames(page)
        lengths.append(len(page.locator(".co-streaming .co-md").inner_text()))
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert page.locator(".co-streaming .co-md").inner_text() == "Pepsi is a cola too."

    final = [*CONVERSATION[:2], user("Pepsi?"), assistant("Pepsi is a cola too.")]
    set_trait(page, "messages", final)
    emit(page, {"type": "end", "seq": 5, "reply": "r1"})
    set_trait(page, "status", "idle")
    frames(page)
    assert page.locator(".co-streaming").count() == 0
    assert page.locator(".co-list > .co-msg").count() == 4
    assert page.locator(".co-assistant .co-md").last.inner_text() == "Pepsi is a cola too."
    assert sent(page) == []


def test_the_streamed_bubble_becomes_the_full_render_of_the_commit(page):
    # A loose list: streaming renders its items as separate blocks, the full render as one list.
    text = "Intro paragraph.\n\n1. first\n\n2. second\n\n```python\nx = 1\n```\n\nEnd `x`."
    setup(page)
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("go")})
    for seq, start in enumerate(range(0, len(text), 4), start=1):
        emit(page, {"type": "delta", "seq": seq, "reply": "r", "text": text[start : start + 4]})
        frames(page, 1)
    page.evaluate("document.querySelector('.co-streaming .co-md').__streamed = true")
    set_trait(page, "messages", [user("go"), assistant(text)])
    emit(page, {"type": "end", "seq": 99, "reply": "r"})
    frames(page)
    answer = page.locator(".co-assistant .co-md")
    assert answer.evaluate("(el) => el.__streamed === true")  # kept in the page, not rebuilt
    # The view takes the controls in messages out of the Tab order (one Tab stop per message).
    html = answer.evaluate("(el) => el.innerHTML").replace(' tabindex="-1"', "")
    assert html == rendered_html(page, text).replace(' tabindex="-1"', "")
    assert page.locator(".co-cursor, .co-streaming, .co-tail").count() == 0
    assert page.locator(".co-assistant .co-regen").is_visible()


def test_gap_asks_for_a_snapshot_and_waits_for_it(page):
    setup(page)
    emit(
        page,
        {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("hi")},
        {"type": "delta", "seq": 1, "reply": "r", "text": "one "},
        {"type": "delta", "seq": 3, "reply": "r", "text": "three "},
        {"type": "delta", "seq": 4, "reply": "r", "text": "four "},
    )
    frames(page)
    assert sent(page) == [{"type": "snapshot"}]
    assert page.locator(".co-streaming .co-md").inner_text().strip() == "one"
    snapshot = {"text": "one two three four ", "thinking": "", "tool_plan": ""}
    emit(
        page,
        {
            "type": "snapshot",
            "seq": 4,
            "reply": "r",
            "base": 0,
            "user": user("hi"),
            "partial": snapshot,
            "revision": 0,
        },
        {"type": "delta", "seq": 5, "reply": "r", "text": "five"},
    )
    frames(page)
    assert page.locator(".co-streaming .co-md").inner_text().strip() == "one two three four five"
    assert sent(page) == [{"type": "snapshot"}]


def test_delta_for_unknown_reply_and_mid_stream_open_ask_for_snapshot(page):
    setup(page)
    emit(page, {"type": "delta", "seq": 9, "reply": "elsewhere", "text": "late"})
    assert sent(page) == [{"type": "snapshot"}]
    setup(page, messages=CONVERSATION, status="streaming")
    assert sent(page) == [{"type": "snapshot"}]


def test_enter_sends_and_shift_enter_adds_a_newline(page):
    setup(page)
    box = page.get_by_label("Message", exact=True)
    box.click()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert box.input_value() == "first line\nsecond line"
    assert sent(page) == []
    page.keyboard.press("Enter")
    assert sent(page) == [{"type": "send", "text": "first line\nsecond line"}]
    assert box.input_value() == ""
    page.keyboard.press("Enter")  # nothing to send
    page.get_by_role("button", name="Send message").click()
    assert len(sent(page)) == 1


def test_stop_button_and_escape_send_stop(page):
    setup(page, messages=CONVERSATION, status="idle")
    set_trait(page, "status", "streaming")
    stop = page.get_by_role("button", name="Stop generating")
    stop.click()
    page.get_by_label("Message", exact=True).press("Escape")
    assert sent(page) == [{"type": "stop"}, {"type": "stop"}]
    set_trait(page, "status", "idle")
    assert page.get_by_role("button", name="Send message").is_visible()


def test_regenerate_edit_and_clear_send_their_messages(page):
    setup(page, messages=CONVERSATION)
    regenerate = page.locator(".co-regen:visible")
    assert regenerate.count() == 1  # only under the last reply
    regenerate.click()
    assert sent(page)[-1] == {"type": "regenerate"}

    first = page.locator(".co-msg.co-user").first
    first.hover()
    first.get_by_role("button", name="Edit and resend").click()
    editor = first.get_by_label("Edit message")
    assert editor.input_value() == "What is **Coca-Cola**? <b>really</b>"
    editor.press("Escape")  # cancel keeps the message
    assert first.locator(".co-editor").count() == 0
    first.hover()
    first.get_by_role("button", name="Edit and resend").click()
    first.get_by_label("Edit message").fill("What is Fanta?")
    first.get_by_label("Edit message").press("Enter")
    assert sent(page)[-1] == {"type": "edit", "index": 0, "text": "What is Fanta?"}

    page.get_by_role("button", name="Clear conversation").click()
    assert sent(page)[-1] == {"type": "clear"}


HOSTILE = "\n\n".join(
    [
        "Hello <script>window.pwned=1</script>",
        '<img src=x onerror="window.pwned=1">',
        "[click me](javascript:window.pwned=1)",
        '<svg onload="window.pwned=1"><circle r="4"/></svg>',
        "![a leak](http://198.51.100.1/leak.png)",
        '<iframe src="http://198.51.100.1/frame"></iframe>',
        "<style>.co-widget { display: none }</style>",
        '<a href="https://example.com/" onclick="window.pwned=1" style="color:red">ok link</a>',
        '<div class="co-error" data-co-action="clear">fake</div>',
    ]
)


def _assert_defused(page, scope: str) -> None:
    root = page.locator(scope)
    for tag in ("script", "img", "svg", "iframe", "style", "object", "embed", "form"):
        assert root.locator(tag).count() == 0, tag
    assert (
        root.locator("[style], [onclick], [onerror], [onload], [data-co-action='clear']").count()
        == 0
    )
    assert root.locator(".co-error").count() == 0
    leak = root.locator("a.co-image-link")
    assert leak.get_attribute("href") == "http://198.51.100.1/leak.png"
    assert leak.inner_text().endswith("a leak")
    for link in root.locator("a[href]").all():
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("href").startswith(("http://", "https://"))
    javascript_link = root.get_by_text("click me")
    assert javascript_link.get_attribute("href") is None
    javascript_link.click()
    assert page.evaluate("window.pwned") is None


def test_hostile_reply_is_defused_when_committed(page):
    setup(page, messages=[user("hi"), assistant(HOSTILE)])
    page.wait_for_timeout(200)  # time for any stray load or handler to fire
    _assert_defused(page, ".co-assistant .co-md")


def test_hostile_reply_is_defused_while_streaming(page):
    setup(page)
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("hi")})
    for seq, start in enumerate(range(0, len(HOSTILE), 7), start=1):
        emit(page, {"type": "delta", "seq": seq, "reply": "r", "text": HOSTILE[start : start + 7]})
        if seq % 5 == 0:
            frames(page, 1)
    frames(page)
    page.wait_for_timeout(200)
    _assert_defused(page, ".co-streaming .co-md")


def rendered_html(page, markdown: str) -> str:
    """What the bundle's markdown pipeline makes of `markdown`, as HTML."""
    return page.evaluate(
        """(markdown) => {
            const box = document.createElement("div");
            box.append(harness.renderMarkdown(markdown));
            return box.innerHTML;
        }""",
        markdown,
    )


def test_markdown_pipeline_drops_unsafe_urls(page):
    html = rendered_html(
        page,
        "[a](data:text/html,x) [b](vbscript:x) [c](/relative) [d](mailto:a@b.c) "
        "![e](data:image/png;base64,AAAA)",
    )
    assert "data:" not in html and "vbscript" not in html and "/relative" not in html
    assert 'href="mailto:a@b.c"' in html
    assert "[image: e]" in html


def test_markdown_keeps_list_numbers_and_table_layout(page):
    html = rendered_html(
        page,
        "3. third\n4. fourth\n\n| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n"
        '<table><tr><td colspan="2" rowspan="1">x</td></tr></table>',
    )
    assert '<ol start="3">' in html
    assert '<th align="center">a</th>' in html and '<td align="right">2</td>' in html
    assert '<td colspan="2" rowspan="1">x</td>' in html


def test_code_is_highlighted_only_when_the_block_is_finished(page):
    setup(page)
    emit(
        page,
        {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("code")},
        {"type": "delta", "seq": 1, "reply": "r", "text": "Here:\n\n```python\ndef f(x):\n"},
    )
    frames(page)
    code = page.locator(".co-streaming .co-code code")
    assert code.count() == 1
    assert code.inner_text().startswith("def f(x):")
    assert code.locator("span[class^='hljs-']").count() == 0
    emit(page, {"type": "delta", "seq": 2, "reply": "r", "text": "    return x\n"})
    frames(page)
    assert code.locator("span[class^='hljs-']").count() == 0
    assert page.locator(".co-streaming .co-code-lang").inner_text() == "python"
    assert page.evaluate("harness.model.assets") == []  # nothing to highlight yet
    emit(page, {"type": "delta", "seq": 3, "reply": "r", "text": "```\n\nDone"})
    # The finished block makes the view ask the kernel for the highlighter, once.
    expect(code.locator("span.hljs-keyword")).to_have_count(2)
    assert page.evaluate("harness.model.assets") == ["highlight"]
    assert "return x" in code.inner_text()
    text = "Here:\n\n```python\ndef f(x):\n    return x\n```\n\nDone"
    set_trait(page, "messages", [user("code"), assistant(text)])
    emit(page, {"type": "end", "seq": 4, "reply": "r"})
    frames(page)
    assert page.locator(".co-assistant .co-code code span.hljs-keyword").count() >= 2


def test_turn_metadata_error_stopped_usage_thinking(page):
    thinking_reply = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me *think* about it."},
            {"type": "text", "text": "The answer is 4."},
        ],
        "_co": {
            "status": "stopped",
            "finish_reason": "MAX_TOKENS",
            "usage": {"billed_units": {"input_tokens": 12, "output_tokens": 40}},
            "error": None,
            "warnings": ["skipped a malformed event"],
        },
    }
    tool_reply = {
        "role": "assistant",
        "tool_plan": "I will look up the weather.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Toronto"}'},
            }
        ],
        "citations": [
            {
                "start": 0,
                "end": 4,
                "text": "sunny",
                "sources": [{"type": "document", "id": "d1", "document": {"title": "forecast"}}],
            }
        ],
    }
    failed = assistant(
        "",
        status="error",
        finish_reason=None,
        error={
            "type": "TooManyRequestsError",
            "message": "You are sending too many requests.",
            "status_code": 429,
            "hint": "Wait a minute, then try again.",
            "request_id": "req-1",
        },
    )
    setup(
        page,
        messages=[user("2+2?"), thinking_reply, user("weather"), tool_reply, user("again"), failed],
    )
    thinking = page.locator(".co-thinking")
    assert thinking.count() == 1
    assert thinking.get_attribute("open") is None
    assert thinking.locator("summary").inner_text().startswith("Thinking")
    answer = page.locator(".co-assistant").first.locator(".co-bubble > .co-md")
    assert answer.inner_text() == "The answer is 4."
    assert page.locator(".co-marker-stopped").count() == 1
    assert page.locator(".co-usage").inner_text() == "12 in · 40 out tokens"
    assert page.locator(".co-finish").inner_text() == "MAX_TOKENS"
    assert page.locator(".co-warnings li").inner_text() == "skipped a malformed event"
    assert page.locator(".co-plan").inner_text() == "I will look up the weather."
    assert page.locator(".co-tool-call").inner_text() == 'get_weather({"city":"Toronto"})'
    source = page.locator(".co-source")
    assert source.locator(".co-source-title").inner_text() == "forecast"
    assert source.locator(".co-cite-goto").inner_text() == "“sunny”"
    banner = page.get_by_role("alert")
    assert "429" in banner.inner_text()
    assert "You are sending too many requests." in banner.inner_text()
    assert "Wait a minute, then try again." in banner.inner_text()


def test_streamed_thinking_stays_collapsed_and_apart(page):
    setup(page)
    emit(
        page,
        {"type": "begin", "seq": 0, "reply": "r", "base": 0, "user": user("2+2?")},
        {"type": "delta", "seq": 1, "reply": "r", "thinking": "Adding two and two."},
        {"type": "delta", "seq": 2, "reply": "r", "text": "4", "tool_plan": "No tools."},
    )
    frames(page)
    details = page.locator(".co-streaming details.co-thinking")
    assert details.get_attribute("open") is None
    assert details.locator("summary").inner_text() == "Thinking…"
    assert page.locator(".co-streaming .co-md").count() == 1  # the answer only
    assert page.locator(".co-streaming .co-bubble > .co-md").inner_text() == "4"
    assert page.locator(".co-streaming .co-plan").inner_text() == "No tools."


def test_unchanged_messages_are_not_rendered_again(page):
    setup(page, messages=CONVERSATION)
    page.evaluate("document.querySelectorAll('.co-msg').forEach((el) => { el.__seen = true; })")
    copies = json.loads(json.dumps(CONVERSATION))  # new objects, same content
    set_trait(page, "messages", [*copies, user("more")])
    frames(page)
    seen = page.evaluate(
        "[...document.querySelectorAll('.co-msg')].map((el) => el.__seen === true)"
    )
    assert seen == [True, True, True, True, False]


def test_several_views_follow_one_model_and_clean_up(page):
    setup(page, messages=CONVERSATION)
    listeners_one_view = page.evaluate("harness.model.listenerCount()")
    page.evaluate("harness.mount()")
    emit(
        page,
        {"type": "begin", "seq": 0, "reply": "r", "base": 4, "user": user("again")},
        {"type": "delta", "seq": 1, "reply": "r", "text": "both views"},
    )
    frames(page)
    assert page.locator(".co-streaming .co-md").all_inner_texts() == ["both views", "both views"]
    page.evaluate("harness.unmount(1)")
    assert page.evaluate("harness.model.listenerCount()") == listeners_one_view
    assert page.locator(".co-widget").count() == 1


def test_auto_scroll_pauses_when_scrolled_up(page):
    history = []
    for i in range(30):
        history += [user(f"question {i}"), assistant(f"answer {i}\n\nwith a second paragraph")]
    setup(page, messages=history)
    at_bottom = """(() => {
        const list = document.querySelector('.co-list');
        return list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    })()"""
    assert page.evaluate(at_bottom)
    emit(page, {"type": "begin", "seq": 0, "reply": "r", "base": 60, "user": user("more")})
    seq = 0

    def stream(lines: int) -> None:
        nonlocal seq
        for _ in range(lines):
            seq += 1
            emit(page, {"type": "delta", "seq": seq, "reply": "r", "text": f"line {seq}\n\n"})
            frames(page, 1)

    stream(3)
    assert page.evaluate(at_bottom)
    page.locator(".co-list").hover()
    page.mouse.wheel(0, -400)
    page.wait_for_function("document.querySelector('.co-widget.co-scrolled-up') !== null")
    # A wheel scroll animates over several frames after the first scroll event: let it finish, or
    # `before` below could be read mid-animation.
    page.evaluate(
        """() => new Promise((done) => {
            const list = document.querySelector('.co-list');
            let last = -1;
            let still = 0;
            const step = () => {
                still = list.scrollTop === last ? still + 1 : 0;
                last = list.scrollTop;
                if (still >= 5) done();
                else requestAnimationFrame(step);
            };
            step();
        })"""
    )
    # The first message in view stays put (scrollTop itself may move a little: scroll anchoring
    # compensates as off-screen messages get their real height).
    in_view = """(() => {
        const top = document.querySelector('.co-list').getBoundingClientRect().top;
        const all = [...document.querySelectorAll('.co-list > .co-msg')];
        return all.find((el) => el.getBoundingClientRect().bottom > top).dataset.index;
    })()"""
    before = page.evaluate(in_view)
    stream(3)
    assert page.evaluate(in_view) == before
    assert not page.evaluate(at_bottom)
    page.get_by_role("button", name="Scroll to the latest message").click()
    stream(3)
    assert page.evaluate(at_bottom)


def test_copy_buttons_use_the_clipboard_or_the_fallback(page):
    setup(page, messages=[user("code"), assistant("```python\nprint('hi')\n```")])
    page.evaluate(
        """() => {
            window.copied = [];
            navigator.clipboard.writeText = async (text) => { window.copied.push(text); };
        }"""
    )
    page.get_by_role("button", name="Copy code").click()
    page.get_by_role("button", name="Copy reply").click()
    page.wait_for_function("window.copied.length === 2")
    assert page.evaluate("window.copied") == ["print('hi')\n", "```python\nprint('hi')\n```"]
    page.evaluate(
        """() => {
            navigator.clipboard.writeText = () => Promise.reject(new Error("denied"));
            document.execCommand = (command) => {
                window.copied.push(command + ":" + document.querySelector(".co-copy-buffer").value);
                return true;
            };
        }"""
    )
    page.locator(".co-user").hover()
    page.get_by_role("button", name="Copy message").click()
    page.wait_for_function("window.copied.length === 3")
    assert page.evaluate("window.copied[2]") == "copy:code"


SHOWCASE_REPLY = """Here is a **quick** comparison, with a [source](https://example.com/).

| drink | origin |
|---|---|
| Coca-Cola | Atlanta |
| Pepsi | New Bern |

```python
def fizz(n: int) -> str:
    # multiples of three
    return "fizz" if n % 3 == 0 else str(n)
```

1. Inline `code` reads well.
2. > Quotes are muted.
"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot(page, theme):
    thinking = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "They want a comparison."},
            {"type": "text", "text": SHOWCASE_REPLY},
        ],
        "_co": {
            "status": "complete",
            "finish_reason": "COMPLETE",
            "usage": {"billed_units": {"input_tokens": 31, "output_tokens": 118}},
            "error": None,
            "warnings": [],
        },
    }
    failed = assistant(
        "",
        status="error",
        finish_reason=None,
        error={
            "type": "ServiceUnavailableError",
            "message": "The service is overloaded.",
            "status_code": 503,
            "hint": "Retries were exhausted; try again in a moment.",
            "request_id": "8c1e",
        },
    )
    page.evaluate("(theme) => harness.theme(theme)", theme)
    setup(page, messages=[user("Compare Coca-Cola and Pepsi"), thinking, user("Again?"), failed])
    emit(
        page,
        {"type": "begin", "seq": 0, "reply": "r", "base": 4, "user": user("One more, with code")},
        {"type": "delta", "seq": 1, "reply": "r", "text": "Sure:\n\n```js\nconst answer = 42;\n"},
    )
    set_trait(page, "status", "streaming")
    frames(page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"frontend-{theme}.png"
    page.locator(".co-list").evaluate("(el) => { el.style.maxHeight = 'none'; }")
    page.locator(".co-widget").screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_a_commit_adds_what_changed_and_takes_the_answer_from_the_stream(page):
    setup(page, messages=CONVERSATION, revision=3)
    emit(page, {"type": "begin", "seq": 0, "reply": 7, "base": 4, "user": user("Pepsi?")})
    emit(page, {"type": "delta", "seq": 1, "reply": 7, "text": "Pepsi is "})
    emit(page, {"type": "delta", "seq": 2, "reply": 7, "text": "a cola too."})
    answer = {**assistant(""), "_co": {"status": "complete"}}
    commit = {
        "type": "commit",
        "seq": 3,
        "reply": 7,
        "revision": 4,
        "base_revision": 3,
        "base": 4,
        "messages": [user("Pepsi?"), answer],
        "streamed": ["text"],
    }
    emit(page, commit, {"type": "end", "seq": 4, "reply": 7})
    frames(page)
    final = [*CONVERSATION, user("Pepsi?"), {**answer, "content": "Pepsi is a cola too."}]
    assert page.evaluate("harness.model.get('messages')") == final
    assert page.evaluate("harness.model.get('revision')") == 4
    assert page.locator(".co-assistant .co-md").last.inner_text() == "Pepsi is a cola too."
    # A second view of the model finds the commit applied; undo then keeps a prefix.
    page.evaluate("harness.mount()")
    emit(page, {**commit, "seq": 5}, {"type": "end", "seq": 6, "reply": 7})
    undo = {**commit, "seq": 7, "reply": None, "revision": 5, "base_revision": 4}
    emit(page, {**undo, "base": 2, "messages": [], "streamed": []})
    frames(page)
    assert page.evaluate("harness.model.get('messages')") == CONVERSATION[:2]
    assert page.locator(".view").nth(1).locator(".co-msg").count() == 2
    assert sent(page) == [{"type": "snapshot"}]  # the second view's, as it rendered: no full one


def test_a_view_that_missed_a_commit_asks_for_the_whole_conversation(page):
    setup(page, messages=CONVERSATION, revision=3)
    # Revision 4 was dropped on the way: revision 5 cannot be applied on top of 3.
    missed = {"type": "commit", "seq": 1, "reply": None, "revision": 5, "base_revision": 4}
    emit(page, {**missed, "base": 4, "messages": [user("lost")], "streamed": []})
    assert sent(page) == [{"type": "snapshot", "full": True}]
    kernel = [*CONVERSATION, user("kept"), user("lost")]
    snapshot = {
        "type": "snapshot",
        "seq": 1,
        "reply": None,
        "base": len(kernel),
        "user": None,
        "partial": {"text": "", "thinking": "", "tool_plan": "", "citations": []},
        "calls": [],
        "revision": 5,
    }
    emit(page, {**snapshot, "messages": kernel})
    frames(page)
    assert page.evaluate("harness.model.get('messages')") == kernel
    assert page.locator(".co-list > .co-msg").count() == len(kernel)
    # A snapshot (as a view asks for when it renders) that finds the model behind the kernel
    # asks for the whole conversation too.
    emit(page, {**snapshot, "seq": 2, "revision": 6, "base": len(kernel)})
    assert sent(page) == [{"type": "snapshot", "full": True}] * 2
