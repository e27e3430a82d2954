"""How the widget looks: both JupyterLab themes (contrast, README screenshots), and Notebook 7.

Screenshots go to tests/_artifacts/ on every run. With CO_WIDGET_UPDATE_SCREENSHOTS=1 they also
replace docs/screenshot-light.png and docs/screenshot-dark.png, the README's pictures.
"""

import os
import shutil

import pytest

from tests.support.colours import COLOUR_HELPERS_JS, COLOURS_JS, contrast, luminance

from .e2e_support import ARTIFACTS, REPO, THEMES, assert_streamed

pytestmark = pytest.mark.browser

QUESTION = "How do I stream a chat reply from Cohere in Python?"
MARKDOWN = """\
## Streaming with the v2 API

Call `chat_stream` and print each text delta as it arrives:

1. Create a `ClientV2`; it reads the key from `CO_API_KEY`.
2. Pass the conversation as a list of **messages**.
3. Print the `content-delta` events as they come in.

```python
import cohere

co = cohere.ClientV2()
for event in co.chat_stream(model="command-a-03-2025", messages=messages):
    if event.type == "content-delta":
        print(event.delta.message.content.text, end="")
```

### Tip

`co_widget.Chat` does all of this for you, inline in the notebook."""

# WCAG AA for body text.
MIN_CONTRAST = 4.5
# The colour helpers live in tests/support/colours.py; the other tests import them from here too.
__all__ = ["COLOURS_JS", "COLOUR_HELPERS_JS", "MIN_CONTRAST", "contrast", "luminance"]


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
def test_markdown_reply_is_readable_in_both_themes(server, notebook, page, theme):
    name = server.write_notebook(
        f"looks-{theme}.ipynb", f"fake.add(Stream({MARKDOWN!r}, delay=0.01))", "chat"
    )
    notebook.open(name).run_all()
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=THEMES[theme]
    )
    ui = notebook.chat()
    ui.send(QUESTION)
    reply = ui.replies.last

    # The markdown was rendered, not shown as source.
    for selector in ("h2", "h3", "ol > li", ".co-code pre code", "strong", "p > code"):
        assert reply.locator(f".co-md {selector}").count() >= 1, selector
    assert "##" not in (reply.text_content() or "")

    texts = reply.locator(".co-md").locator("h2, h3, p, li")
    assert texts.count() >= 6
    for i in range(texts.count()):
        colours = texts.nth(i).evaluate(COLOURS_JS)
        ratio = contrast(colours["text"], colours["background"])
        assert ratio >= MIN_CONTRAST, f"{theme}: {texts.nth(i).text_content()!r} {colours} {ratio}"

    # As a reader sees it: no hover effects, no focus ring on the composer.
    page.mouse.move(0, 0)
    ui.input.blur()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"screenshot-{theme}.png"
    ui.root.screenshot(path=shot, animations="disabled")
    if os.environ.get("CO_WIDGET_UPDATE_SCREENSHOTS"):
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / shot.name)


def test_notebook7_renders_and_streams(server, notebook):
    reply = " ".join(["Notebook 7 shows the same widget, streamed word by word."] * 4)
    name = server.write_notebook("nb7.ipynb", f"fake.add(Stream({reply!r}, delay=0.03))", "chat")
    notebook.open(name, app="notebook").run_all()
    ui = notebook.chat()

    ui.type_and_enter("Does this work in Notebook 7?")
    samples = ui.sample_stream()
    ui.wait_settled(1)
    assert_streamed(samples, reply, at_least=2)
    assert ui.texts() == ["user: Does this work in Notebook 7?", f"assistant: {reply}"]
