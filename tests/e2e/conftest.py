"""Fixtures for the browser tests: one real Jupyter server for the session, one Debian
Chromium, and a fresh page per test that may talk to 127.0.0.1 only (see e2e_support)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM, NetworkGuard, launch_chromium

from .e2e_support import ARTIFACTS, THEMES, WAIT_MS, JupyterServer, Notebook


@pytest.fixture(scope="session", autouse=True)
def _chromium_available() -> None:
    """Skip without Debian's Chromium, except in CI, where these tests must run for real."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = JupyterServer(tmp_path_factory.mktemp("jupyter"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(jupyter_server: JupyterServer) -> Iterator[JupyterServer]:
    """The shared server, with no kernel left running after the test."""
    yield jupyter_server
    jupyter_server.shutdown_kernels()


@pytest.fixture(scope="package")
def browser() -> Iterator:
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def network() -> NetworkGuard:
    return NetworkGuard()


@pytest.fixture
def page(browser, network: NetworkGuard, request: pytest.FixtureRequest) -> Iterator:
    """A fresh page in its own context; the test fails if it sent anything off 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    network.attach(context)
    new_page = context.new_page()
    network.attach_page(new_page)
    new_page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield new_page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            new_page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
            if errors:
                print("page errors:", *errors, sep="\n  ")
        context.close()
    assert not network.outside(), f"requests left 127.0.0.1: {network.outside()}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep the call-phase report on the item, so the page fixture can screenshot failures.
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture
def notebook(page, server: JupyterServer) -> Notebook:
    return Notebook(page, server)


@pytest.fixture
def theme(request, jupyter_server):
    """Switch the theme (light or dark, by parameter) for the pages of one test, and back to
    light afterwards."""
    jupyter_server.set_theme(THEMES[request.param])
    yield request.param
    jupyter_server.set_theme(THEMES["light"])
