"""A view's connection to its kernel, in a real Chromium against the harness's fake model (see
test_frontend.py): disabled until the kernel answers its hello, offline at once after a kernel
restart, and a view with no kernel offers no Edit or Regenerate (nothing would answer them)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM
from tests.test_frontend import assistant, emit, user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

CONVERSATION = [user("Hi"), assistant("Hello there.")]


def test_a_view_is_enabled_when_its_kernel_answers_hello(page):
    page.evaluate("(messages) => harness.setup({messages}, {answer: false})", CONVERSATION)
    box = page.get_by_label("Message", exact=True)
    expect(page.locator(".co-offline")).to_have_text("Connecting to the kernel…")
    expect(box).to_be_disabled()
    expect(page.locator(".co-widget")).to_have_class("co-widget co-connecting-view")
    emit(page, {"type": "ready"})
    expect(box).to_be_enabled()
    expect(page.locator(".co-offline")).to_be_hidden()
    expect(page.locator(".co-widget")).not_to_have_class("co-connecting-view")


def test_a_view_with_no_kernel_offers_no_edit_or_regenerate(page):
    page.evaluate("(messages) => harness.setup({messages}, {answer: false})", CONVERSATION)
    notice = page.locator(".co-offline")
    expect(notice).to_have_text("Saved conversation: run the cell to continue", timeout=15_000)
    for message in (page.locator(".co-user"), page.locator(".co-assistant")):
        message.hover()
    # Not in the page's layout at all: no button that would do nothing.
    for action in ("edit", "regenerate"):
        buttons = page.locator(f"[data-co-action='{action}']")
        assert all(not b.is_visible() for b in buttons.all()), action
    # Copy still works offline, and there is one notice, never a second red one.
    expect(page.locator(".co-assistant [data-co-action='copy']")).to_have_count(1)
    expect(page.locator(".co-composer-error")).to_be_empty()


def test_after_a_kernel_restart_the_view_goes_offline_at_once(page):
    page.evaluate("(messages) => harness.setup({messages})", CONVERSATION)
    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_enabled()
    assert page.evaluate("harness.model.hellos") == 1
    page.evaluate("harness.model.answerHello = false; harness.model.trigger('comm_live_update')")
    expect(page.locator(".co-offline")).to_have_text(
        "The kernel restarted: run the cell to continue"
    )
    expect(box).to_be_disabled()
    expect(page.get_by_role("button", name="Send message")).to_be_disabled()
    page.locator(".co-user").hover()
    assert not page.locator(".co-user [data-co-action='edit']").is_visible()
    assert page.evaluate("harness.model.hellos") == 2  # it asked whether a kernel is still there
    # Were the comm to come back, the kernel's answer makes the view usable again.
    emit(page, {"type": "ready"})
    expect(box).to_be_enabled()
