"""Fixtures shared by the unit tests."""

from __future__ import annotations

import os
import tempfile

import pytest

from co_widget.testing import FakeCohere
from tests.support.browser import NetworkGuard, launch_chromium, serve_harness
from tests.support.comm_recorder import recording_comms

# A Chat reads the model list of its endpoint (each FakeCohere is one) and caches it on disk:
# in a folder of this test run, never in the user's cache.
os.environ.setdefault("CO_WIDGET_CACHE_DIR", tempfile.mkdtemp(prefix="co_widget-cache-"))


@pytest.fixture
def fake():
    """A FakeCohere on 127.0.0.1 for one test (echoes, unless replies are queued)."""
    with FakeCohere() as server:
        yield server


@pytest.fixture
def comms():
    """Every widget made in the test gets a comm that records what it would send."""
    with recording_comms() as recorders:
        yield recorders


# The front-end harness (tests/browser/harness/) in Debian's Chromium, for test_frontend*.py. The
# browser tests in tests/e2e have their own browser and page fixtures (a real Jupyter server).


@pytest.fixture(scope="module")
def harness_url():
    with serve_harness() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, harness_url):
    """A fresh harness page; the test fails if it threw or tried to leave 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    network = NetworkGuard()
    network.attach(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(harness_url)
    page.wait_for_function("window.harnessReady === true")
    yield page
    context.close()
    assert network.outside() == [], f"the page tried to leave 127.0.0.1: {network.outside()}"
    assert errors == [], f"the page threw: {errors}"
