"""Every host a chat is shown in, and every text in it readable (WCAG AA, from computed colours).

- JupyterLab and Notebook 7, light and dark, for real; VS Code (Light+, Dark+, High Contrast)
  and Colab (light, dark) emulated around the widget in the same page (tests/support/hosts.py
  says how, and where the values come from).
- marimo (`marimo edit` light and dark, `marimo run` dark) and Voilà (light, dark), for real.

The chat shows a tool card, a cited answer, code, an error notice and the composer
(SHOWCASE); each test also sends a message from the page and watches the reply stream.
Screenshots land in tests/_artifacts/; with CO_WIDGET_UPDATE_SCREENSHOTS=1 the marimo one also
replaces docs/screenshot-marimo.png, the README's picture.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.support.host_servers import marimo_server, voila_server
from tests.support.hosts import EMULATIONS, SHOWCASE, assert_readable, emulate

from .e2e_support import ARTIFACTS, REPO, ChatUI, assert_streamed

pytestmark = pytest.mark.browser

# Echoed back by FakeCohere word by word: long enough to be seen streaming.
MESSAGE = " ".join(["Every host shows this reply as it streams, word by word."] * 3)


VOILA_FONT_AWESOME = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@"


def wait_showcase(ui: ChatUI) -> None:
    """Wait until the SHOWCASE history is shown: it ends with the error notice."""
    expect(ui.root.locator(".co-error")).to_have_count(1)
    expect(ui.streaming).to_have_count(0)


def send_and_watch(ui: ChatUI) -> None:
    """Send MESSAGE from the page and see its echo stream into a new bubble. (No count of
    bubbles: how many the history takes is the renderer's business.)"""
    ui.type_and_enter(MESSAGE)
    samples = ui.sample_stream(every_ms=20)
    expect(ui.streaming).to_have_count(0)
    expect(ui.root).not_to_have_class(re.compile(r"\bco-busy\b"))
    assert ui.reply_text() == MESSAGE
    assert_streamed(samples, MESSAGE, at_least=2)


def shoot(ui: ChatUI, name: str, *, readme: bool = False) -> None:
    ui.root.page.mouse.move(0, 0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"host-{name}.png"
    ui.root.screenshot(path=shot, animations="disabled")
    if readme and os.environ.get("CO_WIDGET_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, REPO / "docs" / "screenshot-marimo.png")


def set_lab_theme(page, theme: str) -> None:
    page.evaluate("(theme) => jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    page.wait_for_function(
        """(theme) => document.body.dataset.jpThemeName === theme
            && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()
               === (theme.endsWith('Dark') ? '#111' : 'white')""",
        arg=theme,
    )


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_jupyter_and_emulated_vscode_and_colab_keep_every_text_readable(
    server, notebook, page, app
):
    name = server.write_notebook(f"hosts-{app}.ipynb", SHOWCASE, "chat", setup=False)
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    wait_showcase(ui)
    send_and_watch(ui)
    ui.input.blur()

    lowest, backgrounds = {}, {}

    def check(host: str) -> None:
        lowest[host] = assert_readable(ui.root, host)
        backgrounds[host] = ui.root.evaluate("(el) => getComputedStyle(el).backgroundColor")
        shoot(ui, f"{app}-{host}")

    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            set_lab_theme(page, theme)
            check(theme.lower().replace(" ", "-"))
    finally:
        set_lab_theme(page, "JupyterLab Light")
    for emulation in EMULATIONS.values():
        emulate(page, emulation)
        check(emulation.name)
    print("lowest contrast per host and kind of text:", *lowest.items(), sep="\n  ")
    # Each host's own surface, never a white card under a dark host's text.
    assert backgrounds == {
        "jupyterlab-light": "rgb(255, 255, 255)",
        "jupyterlab-dark": "rgb(17, 17, 17)",
        "vscode-light": "rgb(255, 255, 255)",
        "vscode-dark": "rgb(30, 30, 30)",
        "vscode-high-contrast": "rgb(0, 0, 0)",
        "colab-light": "rgb(255, 255, 255)",
        "colab-dark": "rgb(56, 56, 56)",
    }


def check_host_page(page, url: str, label: str) -> ChatUI:
    """Open `url`, wait for the showcase chat, send a message and watch the reply stream, then
    check every text's contrast; returns the chat's view."""
    page.goto(url)
    ui = ChatUI(page.locator(".co-widget").first)
    ui.root.wait_for()
    wait_showcase(ui)
    send_and_watch(ui)
    ui.input.blur()
    lowest = assert_readable(ui.root, label)
    print(f"{label}: lowest contrast per kind of text: {lowest}")
    return ui


@pytest.mark.parametrize(("mode", "theme"), [("edit", "light"), ("edit", "dark"), ("run", "dark")])
def test_marimo_streams_a_reply_and_follows_its_theme(page, tmp_path, mode, theme):
    pytest.importorskip("marimo", reason="marimo comes with the dev extra")
    with marimo_server(tmp_path, mode=mode, theme=theme) as url:
        ui = check_host_page(page, url, f"marimo {mode} {theme}")
        background = ui.root.evaluate("(el) => getComputedStyle(el).backgroundColor")
        # marimo's dark page sets color-scheme: dark, which the widget inherits into its shadow
        # root: a dark card, not a white one.
        assert (background == "rgb(255, 255, 255)") == (theme == "light"), background
        shoot(ui, f"marimo-{mode}-{theme}", readme=(mode, theme) == ("run", "dark"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_voila_renders_the_chat_and_streams_a_reply(page, network, tmp_path, theme):
    pytest.importorskip("voila", reason="voila comes with the dev extra")
    with voila_server(tmp_path, theme=theme) as url:
        shoot(check_host_page(page, url, f"voila {theme}"), f"voila-{theme}")
    # Voilà's own lab template links Font Awesome from a CDN (templates/lab/index.html.j2): the
    # guard blocked it; anything else off 127.0.0.1 still fails the test.
    for urls in (network.requests, network.blocked):
        urls[:] = [url for url in urls if not url.startswith(VOILA_FONT_AWESOME)]
