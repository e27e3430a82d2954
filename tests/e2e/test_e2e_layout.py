"""Layout that holds inside JupyterLab and Notebook 7, measured: tables keep numbers and words
whole and scroll, code never wraps whatever the host's <pre> styles, the composer fits at
300 px, the header shows Chat(title=...), the wheel scrolls the chat and then the page. And
math: MathML, currency left alone, code literal, Copy keeping the LaTeX."""

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY_ENV, HOSTS

pytestmark = pytest.mark.browser

IDENTIFIER = "fx_rate_by_currency_and_settlement_date_for_the_quarterly_treasury_report"
TABLE = (
    "| Year | Volume | Notes |\n|---|---|---|\n"
    "| 1886 | 18860000 | Invented by the pharmacist John Pemberton in Atlanta |\n"
    "| 1985 | 27345000 | New Coke, withdrawn after seventy-nine days |"
)
CODE = f"```python\n{IDENTIFIER} = load_rates('EUR', 'USD', settlement='T+2')\n```"
MATH = (
    "The area is $\\int_0^1 x\\,dx = \\frac{1}{2}$, and\n\n"
    "$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$\n\n"
    "It costs $25 and $30. In code, `$x$` stays as it is."
)
# Elements and attributes the sanitizer may let through inside a formula (KaTeX's MathML).
MATHML_TAGS = {
    *("math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace"),
    *("msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover"),
    *("mtable", "mtr", "mtd", "mlabeledtr", "mpadded", "mphantom", "mstyle", "menclose"),
}

# The line boxes of the text of `el` that contains `needle`: 1 when it is not broken.
LINE_BOXES_JS = """(el, needle) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(needle);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + needle.length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return tops.size;
    }
    return -1;
}"""

# The notebook's scrolling element around a widget (JupyterLab and Notebook 7 differ).
SCROLLER_JS = """(el) => {
    let node = el.parentElement;
    const scrolls = (n) =>
        n.scrollHeight > n.clientHeight && /(auto|scroll)/.test(getComputedStyle(n).overflowY);
    while (node && !scrolls(node)) node = node.parentElement;
    return node ?? document.scrollingElement;
}"""


@pytest.mark.parametrize("app", HOSTS)
def test_tables_code_composer_and_title_at_300px(server, notebook, page, app):
    ui = notebook.start(
        f"layout-{app}.ipynb",
        f"fake.add({TABLE + chr(10) * 2 + CODE!r})",
        f"chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}], title='Pricing desk')"
        "\nchat",
        app=app,
    )
    expect(ui.root.locator(".co-model")).to_have_text("Pricing desk")
    # Three chats side by side in an HBox are 300 px or less each.
    ui.root.evaluate("(el) => { el.style.width = '300px'; }")
    # The placeholder stays on one line: the empty one-row box does not scroll.
    assert ui.input.evaluate("(el) => el.scrollHeight <= el.clientHeight + 1")
    send = ui.root.locator(".co-send").bounding_box()
    box = ui.root.bounding_box()
    assert send["x"] + send["width"] <= box["x"] + box["width"]

    ui.send("Show me the table and the code")
    reply = ui.replies.last
    table = reply.locator(".co-md table")
    for number in ("1886", "18860000", "27345000", "Notes", "pharmacist"):
        assert table.evaluate(LINE_BOXES_JS, number) == 1, number
    assert table.evaluate("(el) => el.scrollWidth > el.clientWidth")  # it scrolls instead
    pre = reply.locator(".co-code pre")
    assert pre.evaluate(LINE_BOXES_JS, IDENTIFIER) == 1
    assert pre.evaluate("(el) => el.scrollWidth > el.clientWidth")
    styles = pre.evaluate(
        "(el) => [getComputedStyle(el).whiteSpace, getComputedStyle(el).wordBreak]"
    )
    assert styles == ["pre", "normal"]


@pytest.mark.parametrize("app", HOSTS)
def test_math_renders_as_mathml_and_copy_keeps_the_latex(server, notebook, page, app):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    ui = notebook.start(
        f"math-{app}.ipynb",
        f"fake.add({MATH!r})",
        "chat",
        app=app,
    )
    ui.send("Some math, please")
    answer = ui.replies.last.locator(".co-md")

    expect(answer.locator("math")).to_have_count(2)
    expect(answer.locator("math[display='block']")).to_have_count(1)
    annotations = answer.locator("annotation").all_text_contents()
    assert annotations[0].strip() == "\\int_0^1 x\\,dx = \\frac{1}{2}"
    assert "It costs $25 and $30." in answer.text_content()
    assert answer.locator("code").first.text_content() == "$x$"
    # Only MathML inside formulas, with no links, styles, classes or event handlers.
    tags = answer.locator(".co-math *").evaluate_all("els => els.map(e => e.localName)")
    assert set(tags) <= MATHML_TAGS, set(tags) - MATHML_TAGS
    attrs = answer.locator(".co-math *").evaluate_all(
        "els => els.flatMap(e => [...e.attributes].map(a => a.name))"
    )
    assert not {"href", "style", "class", "src"} & set(attrs)
    assert not [a for a in attrs if a.startswith("on")]
    # The browser lays MathML out: a fraction stacks its parts, so it is taller than a letter.
    frac = answer.locator("mfrac").first.bounding_box()
    letter = answer.locator("mi").first.bounding_box()
    assert frac["height"] > 1.4 * letter["height"]

    ui.replies.last.hover()
    ui.replies.last.locator("[data-co-action='copy']").click()
    assert page.evaluate("navigator.clipboard.readText()") == MATH


@pytest.mark.parametrize("app", HOSTS)
def test_the_wheel_scrolls_the_chat_to_its_end_then_the_page(server, notebook, page, app):
    filler = "\n".join(f"# filler line {i}" for i in range(60))
    ui = notebook.start(
        f"wheel-{app}.ipynb",
        "chat.messages = [{'role': r, 'content': f'{r} message {i}'} "
        "for i in range(40) for r in ('user', 'assistant')]\nchat",
        filler,
        app=app,
    )
    expect(ui.root.locator(".co-msg")).to_have_count(80)
    page_scroller = ui.root.evaluate_handle(SCROLLER_JS)
    page_scroller.evaluate("(n) => { n.scrollTop = 0; }")
    ui.root.scroll_into_view_if_needed()
    chat_list = ui.root.locator(".co-list")
    chat_list.evaluate("(el) => { el.scrollTop = el.scrollHeight - el.clientHeight - 600; }")
    page_top = page_scroller.evaluate("(n) => n.scrollTop")
    box = chat_list.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    page.mouse.wheel(0, 200)
    page.wait_for_timeout(300)
    assert page_scroller.evaluate("(n) => n.scrollTop") == page_top  # the chat scrolled first
    at_end = "(el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2"
    for _ in range(30):
        if chat_list.evaluate(at_end) and page_scroller.evaluate("(n) => n.scrollTop") > page_top:
            break
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(150)
    assert chat_list.evaluate(at_end)
    assert page_scroller.evaluate("(n) => n.scrollTop") > page_top  # then the page
