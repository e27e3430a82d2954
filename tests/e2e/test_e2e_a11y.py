"""Contrast and keyboard access, in JupyterLab and Notebook 7, light and dark: every text of the
widget in every state meets WCAG AA (from computed colours), a completed reply is announced once
(never per token), and the conversation is one Tab stop (arrow keys move inside it)."""

import pytest
from playwright.sync_api import expect

from .e2e_support import HOSTS, LONG, THEMES, words
from .test_e2e_looks import COLOUR_HELPERS_JS, contrast

pytestmark = pytest.mark.browser

CO = {"status": "complete", "finish_reason": "COMPLETE", "usage": None, "error": None}
USAGE = {"billed_units": {"input_tokens": 12, "output_tokens": 34}}
CODE = (
    "Some `inline code`, a [link](https://example.com/).\n\n"
    "```python\nimport os  # note\nprint('s', 1)\n```"
)
STATES = [
    {"role": "user", "content": "Show me everything"},
    {
        "role": "assistant",
        "content": CODE,
        "_co": {**CO, "status": "stopped", "usage": USAGE, "warnings": ["Retried after a 429"]},
    },
    {"role": "user", "content": "Stop at once"},
    {"role": "assistant", "content": "", "_co": {**CO, "status": "stopped"}},
    {"role": "user", "content": "Fail"},
    {
        "role": "assistant",
        "content": "",
        "_co": {
            **CO,
            "status": "error",
            "error": {
                "status_code": 429,
                "type": "TooManyRequestsError",
                "message": "Too many requests.",
                "hint": "Wait a minute and try again.",
                "request_id": "req-0123456789",
            },
        },
    },
    {"role": "user", "content": "Cut short"},
    {
        "role": "assistant",
        "content": "A partial answer",
        "tool_plan": "I will look it up.",
        "_co": {**CO, "status": "interrupted", "finish_reason": "MAX_TOKENS", "usage": USAGE},
    },
    {"role": "user", "content": "Use a tool"},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Which tool?"},
            {"type": "text", "text": "Calling it."},
        ],
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"q": "cola"}'},
            }
        ],
        "citations": [
            {"start": 0, "end": 4, "text": "Call", "sources": [{"type": "document", "id": "d1"}]}
        ],
        "_co": {**CO, "finish_reason": "TOOL_CALL", "usage": USAGE},
    },
]

# Every text of the widget that is shown, with its contrast inputs: the text colour (times the
# opacity of it and its ancestors) over the stacked backgrounds behind it. Disabled controls are
# exempt in WCAG. Also the composer's placeholder and the warnings' "!" badges (pseudo-elements).
TEXTS_JS = (
    "(root) => {"
    + COLOUR_HELPERS_JS
    + """
    const opacity = (el) => {
        let value = 1;
        for (let node = el; node; node = node.parentElement)
            value *= Number(getComputedStyle(node).opacity);
        return value;
    };
    const measure = (el, style, text) => {
        const bg = background(el);
        const fg = rgba(style.color);
        fg[3] *= opacity(el);
        return {
            text: text.slice(0, 60), cls: el.className?.baseVal ?? el.className,
            fg: over(fg, bg), bg, size: parseFloat(style.fontSize),
            weight: Number(style.fontWeight),
        };
    };
    const out = [];
    for (const el of root.querySelectorAll('*')) {
        if (el.closest('.co-sr-only, [disabled], svg, math')) continue;
        const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.data.trim());
        if (!own.length || !el.getClientRects().length) continue;
        const style = getComputedStyle(el);
        if (style.visibility !== 'visible' || opacity(el) === 0) continue;
        out.push(measure(el, style, own.map((n) => n.data).join('')));
    }
    const input = root.querySelector('.co-input');
    if (!input.value && !input.disabled)
        out.push(measure(input, getComputedStyle(input, '::placeholder'), input.placeholder));
    for (const li of root.querySelectorAll('.co-warnings > li')) {
        const badge = getComputedStyle(li, '::before');
        const bg = over(rgba(badge.backgroundColor), background(li));
        out.push({text: '!', cls: 'warning badge', fg: over(rgba(badge.color), bg),
                  bg, size: parseFloat(badge.fontSize), weight: 700});
    }
    return out;
}"""
)


def assert_readable(ui, state: str) -> int:
    failures = []
    texts = ui.root.evaluate(TEXTS_JS)
    for text in texts:
        large = text["size"] >= 24 or (text["size"] >= 18.66 and text["weight"] >= 700)
        need = 3 if large else 4.5
        ratio = contrast(text["fg"], text["bg"])
        if ratio < need:
            failures.append(f"{state}: {text['cls']} {text['text']!r} {ratio:.2f} < {need}")
    assert not failures, "\n".join(failures)
    return len(texts)


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
@pytest.mark.parametrize("app", HOSTS)
def test_every_text_in_every_state_meets_wcag_aa(server, notebook, page, app, theme):
    name = server.write_notebook(
        f"contrast-{app}-{theme}.ipynb",
        f"chat.messages = {STATES!r}\nfake.add(Stream({LONG!r}, delay=0.1))\nchat",
    )
    notebook.open(name, app=app).run_all()
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=THEMES[theme]
    )
    ui = notebook.chat()
    expect(ui.root.locator(".co-msg")).to_have_count(len(STATES))
    expect(ui.root.locator(".co-code .hljs-keyword, .co-code .hljs-built_in").first).to_be_visible()
    ui.root.locator(".co-thinking > summary").click()  # open the thinking block
    page.mouse.move(0, 0)
    assert ui.replies.nth(1).locator(".co-marker").text_content() == (
        "Stopped before the reply began"
    )
    assert "co-finish-warn" not in ui.replies.last.locator(".co-finish").get_attribute("class")
    counted = assert_readable(ui, f"{app}/{theme}/idle")
    assert counted >= 30

    # Hovered user message (its actions show), a streaming reply, then the Undo toast.
    ui.users.first.hover()
    assert_readable(ui, f"{app}/{theme}/hover")
    ui.type_and_enter("Stream something")
    expect(ui.streaming.locator(".co-md")).to_contain_text(words(LONG, 3))
    assert_readable(ui, f"{app}/{theme}/streaming")
    ui.stop_button.click()
    ui.wait_settled(len(STATES) // 2 + 1)
    ui.root.locator("[data-co-action='clear']").click()
    expect(ui.root.locator(".co-toast")).to_be_visible()
    assert_readable(ui, f"{app}/{theme}/cleared")


@pytest.mark.parametrize("app", HOSTS)
def test_one_tab_stop_for_the_conversation_and_one_announcement_per_reply(
    server, notebook, page, app
):
    ui = notebook.start(
        f"a11y-{app}.ipynb",
        f"chat.messages = {STATES!r} * 3\nfake.add(Stream({LONG!r}, delay=0.02))\nchat",
        app=app,
    )
    count = len(STATES) * 3
    expect(ui.root.locator(".co-msg")).to_have_count(count)

    tab_stops = """(root) => [...root.querySelectorAll('*')].filter((el) =>
        el.tabIndex >= 0 && !el.disabled && el.getClientRects().length
    ).map((el) => el.className.baseVal ?? el.className)"""
    stops = ui.root.evaluate(tab_stops)
    # One message, the Clear button, the model picker, the composer and its button: not 2-3 per
    # message.
    assert len(stops) <= 5, stops
    assert sum("co-msg" in cls for cls in stops) == 1

    # Tab reaches the conversation after the header's controls; arrows move between messages
    # and into a message's controls.
    ui.root.locator("[data-co-action='clear']").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('co-model-picker')")
    page.keyboard.press("Tab")
    focused = "() => document.activeElement.closest('.co-msg')?.dataset.index"
    assert page.evaluate(focused) == str(count - 1)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == str(count - 3)
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.localName") in ("button", "a", "summary")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('co-input')")

    # The live region changes once per reply, at its end: never per token.
    live = ui.root.locator(".co-sr-only[aria-live='polite']")
    live.evaluate(
        """(el) => { window.__announced = [];
            new MutationObserver(() => window.__announced.push(el.textContent))
                .observe(el, {childList: true, characterData: true, subtree: true}); }"""
    )
    ui.send("Tell me more")
    expect(live).to_have_text(f"Reply: {LONG}")
    assert page.evaluate("window.__announced") == [f"Reply: {LONG}"]
    assert ui.root.locator(".co-list").get_attribute("aria-live") is None
