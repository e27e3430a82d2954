"""The quickstart notebook as a newcomer runs it: offline, in JupyterLab, Run All."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from .e2e_support import REPO, assert_streamed

pytestmark = pytest.mark.browser

QUICKSTART = REPO / "notebooks" / "01_quickstart.ipynb"
SEED_TEXT = (REPO / "tests" / "fixtures" / "seed_expected_text.txt").read_text(encoding="utf-8")


def test_quickstart_streams_the_original_answer(server, notebook, page):
    shutil.copy(QUICKSTART, server.root / QUICKSTART.name)
    notebook.open(QUICKSTART.name).run_all(wait=False)
    ui = notebook.chat()

    # The answer streams in while the notebook runs: several growing prefixes of it.
    samples = ui.sample_stream()
    notebook.wait_idle()
    expected = " ".join(SEED_TEXT.split())
    assert_streamed(samples, expected)

    # The earlier turns set as history, then the original question and its exact answer.
    assert ui.texts() == [
        "user: hello",
        "assistant: how can I help you?",
        "user: what is Coca Cola?",
        f"assistant: {expected}",
    ]
    # The usage footer of the recorded stream (billed 21 in, 124 out).
    expect(ui.replies.last.locator(".co-usage")).to_have_text(
        re.compile(r"^21 in · 124 out tokens( · \$\d+\.\d+)?$")
    )
    # No key in this server's kernels: the notebook says it runs offline, never silently.
    offline = page.locator(".jp-OutputArea-output pre", has_text="No CO_API_KEY: using")
    expect(offline).to_contain_text("co_widget.testing.FakeCohere")
