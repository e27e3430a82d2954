"""The shared copy in a real Chromium, against the harness (see test_frontend.py): the widget's
style sheet hides the copy where a chat view is drawn and leaves it where none is, and a view on
an exported page (widget state, no kernel) says it is a saved copy, not "run the cell"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

# JupyterLab's output area (and nbconvert's lab template): one child per output.
OUTPUTS = """(drawn) => {
    const area = document.createElement('div');
    area.className = 'jp-OutputArea';
    area.id = 'area';
    area.innerHTML = `
      <div class="jp-OutputArea-child" id="widget-row">
        <div class="jp-OutputArea-output">${drawn ? '<div class="co-widget">view</div>' : ''}</div>
      </div>
      <div class="jp-OutputArea-child" id="copy-row">
        <div class="jp-RenderedHTMLCommon jp-OutputArea-output">
          <div class="co-shared-copy"><p>the copy</p></div>
        </div>
      </div>
      <div class="vscode-output"><div class="co-shared-copy" id="bare">bare copy</div></div>`;
    document.body.append(area);
}"""


def display_of(page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).display")


def test_the_copy_hides_after_a_drawn_view_only(page):
    page.evaluate(OUTPUTS, True)
    assert display_of(page, "#copy-row") == "none"
    assert display_of(page, "#widget-row") != "none"
    # Outside JupyterLab's output classes (VS Code, Colab), the copy's own contents hide.
    assert display_of(page, "#bare") == "none"
    page.evaluate("document.getElementById('area').remove()")
    # No view drawn there (a closed chat, a lost state): the copy shows.
    page.evaluate(OUTPUTS, False)
    assert display_of(page, "#copy-row") != "none"
    expect(page.locator("#copy-row")).to_be_visible()


def test_an_exported_page_says_saved_copy_at_once(page):
    page.evaluate(
        """() => {
            const state = document.createElement('script');
            state.type = 'application/vnd.jupyter.widget-state+json';
            state.textContent = '{"version_major": 2, "version_minor": 0, "state": {}}';
            document.head.append(state);
        }"""
    )
    page.evaluate(
        "harness.setup({messages: [{role: 'user', content: 'hi'}, "
        "{role: 'assistant', content: 'hello'}]}, {answer: false})"
    )
    notice = page.locator(".co-offline")
    # At once: no kernel will ever answer on an exported page (well before the 5 s wait).
    expect(notice).to_be_visible(timeout=2_000)
    expect(notice).to_have_text(
        "Saved copy of this conversation: read only, no kernel runs on this page"
    )
    assert "run the cell" not in page.locator(".co-widget").inner_text()
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
