"""Display math at a proper size (issue 17): the ∑ and ∫ of a display formula in a reply are
about as tall as the same formula in the host's own Markdown cell (MathJax), in JupyterLab and
Notebook 7. Measured from the glyphs' boxes in the page."""

import nbformat
import pytest
from playwright.sync_api import expect

from tests.e2e.e2e_support import HOSTS

pytestmark = pytest.mark.browser

FORMULA = r"\sum_{i=1}^{n} i^2 = \int_0^1 f(x)\,dx"

CHAT_CELL = f"""\
chat.history = [
    {{"role": "user", "content": "A formula, please"}},
    {{"role": "assistant", "content": {"Here:" + chr(10) * 2 + "$$ " + FORMULA + " $$"!r}}},
]
chat"""

# The height of each large operator's glyph box: MathJax's (CHTML: an mjx-c per character, sized
# to the glyph) in the Markdown cell, and the browser's MathML <mo> in the widget.
HEIGHTS_JS = """() => {
    const height = (el) => el ? el.getBoundingClientRect().height : null;
    const mathjax = (code) => height(document.querySelector(
        `.jp-MarkdownOutput mjx-container[display="true"] mjx-c.mjx-c${code}`));
    const ours = (char) => height([...document.querySelectorAll(
        '.co-widget .co-math-display math mo')].find((mo) => mo.textContent === char));
    return {
        hostSum: mathjax("2211"), hostInt: mathjax("222B"),
        sum: ours("∑"), int: ours("∫"),
        text: parseFloat(getComputedStyle(document.querySelector('.co-widget .co-md p')).fontSize),
    };
}"""


@pytest.mark.parametrize("app", HOSTS)
def test_display_math_is_as_tall_as_the_hosts_own(server, notebook, page, app):
    name = server.write_notebook(f"math-size-{app}.ipynb", CHAT_CELL)
    nb = nbformat.read(server.root / name, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"The host's own:\n\n$$ {FORMULA} $$\n"))
    nbformat.write(nb, server.root / name)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    expect(ui.root.locator(".co-math-display.co-math-done math")).to_have_count(1)
    page.locator(".jp-MarkdownOutput mjx-container").first.wait_for()
    got = page.evaluate(HEIGHTS_JS)
    print(app, got)
    assert None not in got.values(), got
    for ours in ("sum", "int"):
        # Display operators are drawn large: a text-size ∑ or ∫ is about one line of text tall
        # (measured before the math font stack: 21 and 16 px at a 14 px text).
        assert got[ours] >= 1.5 * got["text"], got
    # The ∑ within a fifth of the host's own rendering of the same formula. MathJax draws the
    # display ∫ taller than ∑ in TeX's style (about 40 px against 25 here); a system math font
    # (DejaVu Math TeX Gyre on this machine) picks a shorter variant, so it is held to two thirds.
    assert 0.8 <= got["sum"] / got["hostSum"] <= 1.25, got
    assert got["int"] / got["hostInt"] >= 0.6, got
