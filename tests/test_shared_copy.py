"""The shared copy: a notebook saved without widget state shows the conversation as static,
sanitised HTML where no kernel runs (nbconvert, nbviewer, GitHub). See ``session/shared_copy``."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from co_widget import Chat
from co_widget.session.shared_copy import MAX_SHARED_COPY, SharedCopy, shared_copy_html
from co_widget.testing import FakeCohere

REPO = Path(__file__).resolve().parent.parent
SECRET = "sk-shared-copy-SECRET-4f1c"
HOSTILE = (
    "Look: <script>alert('x')</script> <img src=x onerror=alert(1)> "
    '[click](javascript:alert(1)) <a href="javascript:alert(2)">a</a>\n\n'
    "```python\nprint('<b>code</b>')\n```\nDone."
)


def test_escapes_everything_and_keeps_code_roles_and_sources() -> None:
    messages = [
        {"role": "user", "content": "What is <b>this</b>?"},
        {
            "role": "assistant",
            "content": HOSTILE,
            "citations": [
                {
                    "start": 0,
                    "end": 4,
                    "text": "Look",
                    "sources": [
                        {
                            "type": "document",
                            "id": "doc:0",
                            "document": {"title": "Evil <i>", "url": "javascript:alert(3)"},
                        },
                        {
                            "type": "document",
                            "id": "doc:1",
                            "document": {"title": "Menu", "url": "https://example.com/m?a=1&b=2"},
                        },
                    ],
                }
            ],
        },
    ]
    page = shared_copy_html(messages, "command-a")
    assert "<script" not in page.lower()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # text only
    assert re.findall(r'href="([^"]*)"', page) == ["https://example.com/m?a=1&amp;b=2"]
    assert "<pre><code>print(&#x27;&lt;b&gt;code&lt;/b&gt;&#x27;)</code></pre>" in page
    assert "<strong>User</strong>" in page and "<strong>Assistant</strong>" in page
    assert "Evil &lt;i&gt;" in page and "doc:1" in page
    # Only the tags this module writes.
    tags = set(re.findall(r"<([a-z]+)", page))
    assert tags <= {"div", "p", "strong", "em", "br", "pre", "code", "ol", "li", "a"}


def test_bounded_latest_messages_and_the_count_of_the_rest() -> None:
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i} " + "é" * 900}
        for i in range(400)
    ]
    page = shared_copy_html(messages, "m")
    assert len(page.encode()) <= MAX_SHARED_COPY
    shown = len(re.findall(r"message \d+ ", page))
    assert 0 < shown < 400
    assert f"{400 - shown} earlier messages not shown." in page
    assert "message 399 " in page and "message 0 " not in page
    # The latest message shows even when it alone is bigger than the copy.
    huge = shared_copy_html([{"role": "assistant", "content": "<" * 200_000}], "m")
    assert len(huge.encode()) <= MAX_SHARED_COPY and "(shortened)" in huge


ALLOWED_TAGS = {"div", "p", "strong", "em", "br", "pre", "code", "ol", "li", "a"}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["user", "assistant", "tool"]),
            # Backticks left out: a fence's language line is not shown, by design.
            st.text(st.characters(blacklist_characters="`"), max_size=3000),
        ),
        min_size=1,
        max_size=12,
    ),
    st.text(max_size=50),
)
def test_any_text_stays_text_within_the_bound(items: list[tuple[str, str]], title: str) -> None:
    messages = [{"role": role, "content": text} for role, text in items]
    page = shared_copy_html(messages, title, limit=4096)
    assert len(page.encode()) <= 4096
    assert set(re.findall(r"<([^\s>/]+)", page)) <= ALLOWED_TAGS
    assert "<a " not in page  # no sources: no link at all
    # The newest message always shows, whole or shortened.
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    newest = "".join(items[-1][1].encode("utf-8", "replace").decode().split())[:20]
    assert newest in "".join(shown.split())


def test_sent_only_when_the_conversation_changes() -> None:
    sent: list[tuple[dict[str, Any], str, bool]] = []
    with FakeCohere() as fake:
        chat = Chat(base_url=fake.url, api_key=SECRET)
        copy = chat._shared_copy
        assert copy is not None
        copy.publish = lambda data, display_id, update: sent.append((data, display_id, update))
        chat.history = [{"role": "user", "content": "early"}]
        assert sent == []  # never displayed: nothing to update
        copy.display()
        assert (sent[0][0], sent[0][2]) == ({}, False)  # the empty output, then its HTML
        assert sent[1][2] and "early" in sent[1][0]["text/html"]
        fake.add("A streamed answer.")
        chat.send("question").result()
        assert len(sent) == 3 and "A streamed answer." in sent[2][0]["text/html"]
        chat.history = chat.history  # the same conversation: no new bytes
        assert len(sent) == 3
        assert all(SECRET not in str(data) for data, _, _ in sent)
        chat.close()


def test_a_failing_copy_never_costs_a_turn() -> None:
    with FakeCohere() as fake:
        chat = Chat(base_url=fake.url, api_key=SECRET)
        copy = chat._shared_copy
        assert copy is not None
        copy.shown = True  # as if displayed, with a publisher that fails

        def broken(*_: Any) -> None:
            raise OSError("iopub is gone")

        copy.publish = broken
        fake.add("Still here.")
        assert chat.ask("hello") == "Still here."
        assert [m["role"] for m in chat.history] == ["user", "assistant"]
        chat.close()


def test_off_switch() -> None:
    chat = Chat(api_key=SECRET, shared_copy=False)
    assert chat._shared_copy is None
    chat.close()


def test_shared_copy_class_publishes_through_its_seam() -> None:
    sent: list[Any] = []
    copy = SharedCopy(lambda: "<div>x</div>", lambda *args: sent.append(args))
    copy.update()
    assert sent == []
    copy.display()
    assert sent == [
        ({}, copy.display_id, False),
        ({"text/html": "<div>x</div>"}, copy.display_id, True),
    ]


NOTEBOOK_CELLS = [
    "from co_widget import Chat\nfrom co_widget.testing import FakeCohere\n"
    "fake = FakeCohere().start()",
    "chat = Chat(base_url=fake.url, title='Shared <chat>')  # the key: $CO_API_KEY\nchat",
    f"fake.add({HOSTILE!r})\nchat.send('First question <u>here</u>').result()",
    "docs = [{'title': 'Menu', 'text': 'Coca-Cola sells drinks.', 'url': 'https://example.com/menu'},\n"
    "        {'title': 'Bad', 'text': 'Pepsi too.', 'url': 'javascript:alert(9)'}]\n"
    "chat.send('What do the documents say about Coca-Cola and Pepsi?', documents=docs).result()",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """A notebook run in a real kernel, saved as JupyterLab saves by default: no widget state."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    with pytest.MonkeyPatch.context() as patch:  # the kernel inherits it: it imports this copy
        patch.setenv("PYTHONPATH", str(REPO), prepend=os.pathsep)
        patch.setenv("CO_API_KEY", SECRET)
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            store_widget_state=False,
            resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
        ).execute()
    assert "widgets" not in nb.metadata
    return nb


def test_saved_notebook_holds_the_latest_conversation(executed: nbformat.NotebookNode) -> None:
    outputs = executed.cells[1].outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
    page = outputs[1]["data"]["text/html"]
    # The update after each turn reached the output of the cell that displayed the chat.
    assert "First question &lt;u&gt;here&lt;/u&gt;" in page
    assert "Coca-Cola sells drinks." in page  # the second turn's grounded answer, and sources
    assert 'href="https://example.com/menu"' in page
    assert "(4 messages)" in page
    assert SECRET not in nbformat.writes(executed)


def test_nbconvert_html_shows_the_conversation_sanitised(executed: nbformat.NotebookNode) -> None:
    body, _ = HTMLExporter().from_notebook_node(executed)
    assert SECRET not in body
    start = body.index('class="co-shared-copy"')
    copy = body[start : body.index("</div></div>", start)]
    text = html.unescape(re.sub(r"<[^>]+>", " ", copy))
    for expected in (
        "Shared <chat>",
        "First question <u>here</u>",
        "print('<b>code</b>')",
        "Coca-Cola sells drinks.",
        "User",
        "Assistant",
    ):
        assert expected in text, expected
    assert "<script" not in copy.lower() and "<img" not in copy.lower()
    # Real anchors only: the model's escaped markup stays text (nbconvert unquotes its &quot;).
    assert re.findall(r'<a [^>]*href="([^"]*)"', copy) == ["https://example.com/menu"]
