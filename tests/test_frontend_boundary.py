"""What the view draws of hostile or failed states, in a real Chromium against the front-end
harness: a saved state whose citation has ``"sources": "abc"`` (from a notebook saved before the
boundary refused it) still draws every message, and a failed autosave shows as a notice that a
good save clears."""

from __future__ import annotations

import pytest

# The harness fixtures (page, browser, harness_url) are in conftest.py.
from tests.test_frontend import assistant, set_trait, setup, user

pytestmark = pytest.mark.browser


def test_a_saved_citation_of_a_bad_shape_does_not_stop_the_view(page):
    bad = assistant("The answer.", tools={})
    bad["citations"] = [
        {"start": 0, "end": 3, "text": "The", "sources": "abc"},
        {"start": 4, "end": 10, "text": "answer", "sources": 7},
    ]
    setup(page, messages=[user("q"), bad, user("next"), assistant("Still drawn.")])
    texts = page.locator(".co-list > .co-msg").all_inner_texts()
    assert len(texts) == 4
    assert "The answer." in texts[1] and "Still drawn." in texts[3]


def test_a_failed_autosave_shows_a_notice_until_a_good_save(page):
    setup(page, messages=[user("q"), assistant("a")])
    notice = page.locator(".co-save-error")
    assert not notice.is_visible()
    problem = "Could not save /tmp/notes.chat.json: OSError: [Errno 28] No space left on device"
    set_trait(page, "autosave_error", problem)
    assert notice.inner_text() == problem and notice.is_visible()
    assert notice.get_attribute("role") == "alert"
    set_trait(page, "autosave_error", None)
    assert not notice.is_visible()
