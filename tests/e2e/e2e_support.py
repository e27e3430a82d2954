"""The machinery of the browser tests: a real Jupyter server, a network guard for pages, and
drivers for a notebook and for the chat widget in it. The fixtures in conftest.py put them
together.

The server is a `jupyter lab` on 127.0.0.1 (it serves Notebook 7 too) with its own config, data,
runtime and IPython dirs, so nothing from the user's Jupyter setup leaks in, and nothing is
written outside a tmp dir. The kernels run `co_widget` from this checkout and talk to a
`FakeCohere` started inside the kernel, so no test needs a key or the network.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import requests
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import NetworkGuard, launch_chromium

REPO = Path(__file__).resolve().parents[2]
# Screenshots land here on every run (gitignored); docs/ is only rewritten on request.
ARTIFACTS = REPO / "tests" / "_artifacts"
# Variables that could point a kernel at the real API: the server never passes them on.
LEAKY_ENV = ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL")
# The key the test notebooks use: it must never reach the browser or the saved notebook.
API_KEY = "test-key-SECRET-123"
# Generous: the machine is small and shared, and a kernel start can take a few seconds.
WAIT_MS = 60_000
# playwright's expect() gives up after 5 s by default: too tight for a shared 2-core runner.
expect.set_options(timeout=30_000)

# The key reaches the kernels through the environment, never through a notebook's source: so when
# the saved .ipynb or the page contains it, the widget leaked it.
API_KEY_ENV = "CO_WIDGET_E2E_KEY"

# The first cell of every generated notebook: a paced FakeCohere in the kernel (so a stream visibly
# grows in the browser; it echoes the user when no reply is queued) and a chat pointed at it.
SETUP_CELL = f"""\
import os

from co_widget import Chat
from co_widget.testing import FakeCohere, Stream

fake = FakeCohere(delay=0.02).start()
chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}])"""


# The two hosts every user-facing behaviour is tested in: JupyterLab and Notebook 7.
HOSTS = ("lab", "notebook")
# JupyterLab's two themes (Notebook 7 uses the same setting), for the `theme` fixture.
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

# A reply for the streaming tests: plain prose (no markdown syntax), so the rendered text is
# the source text word for word.
LONG = (
    "Coca-Cola is a carbonated soft drink made by The Coca-Cola Company in Atlanta. It was "
    "invented in 1886 by the pharmacist John Stith Pemberton, who sold it at soda fountains as "
    "a tonic. Today it is sold in more than two hundred countries, and its red and white logo "
    "is one of the best known trademarks in the world, found on cans, bottles, trucks and signs "
    "from small villages to the largest cities."
)


def words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def assert_streamed(samples: list[str], full: str, *, at_least: int = 3) -> None:
    """The bubble grew step by step: `at_least` distinct partial texts among `samples` (see
    ChatUI.sample_stream), each longer than the last and each a prefix of `full`. A reply shown
    all at once would give one sample, the whole text."""
    partial = [text for text in dict.fromkeys(samples) if text and text != full]
    assert len(partial) >= at_least, f"the reply did not stream visibly: {samples}"
    assert all(len(a) < len(b) for a, b in itertools.pairwise(partial)), partial
    assert all(full.startswith(text) for text in partial), partial


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


class JupyterServer:
    """A `jupyter lab` process on 127.0.0.1 with its own dirs, and a few REST helpers."""

    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.config_dir = base / "config"
        self.data_dir = base / "data"
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "server.log"
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.config_dir),
            "JUPYTER_DATA_DIR": str(self.data_dir),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(base / "ipython"),
            # The kernels import co_widget from this checkout, installed or not.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            API_KEY_ENV: API_KEY,
        }
        # Nothing from the caller's environment may point the kernels at the real API.
        for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", *LEAKY_ENV):
            self.env.pop(name, None)
        self.proc: subprocess.Popen | None = None
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {self.token}"

    def prepare(self) -> None:
        self.root.mkdir(parents=True)
        # A kernelspec in the isolated data dir that runs *this* python: the env's own spec says
        # "python", which resolves through PATH and may be another interpreter.
        _write_json(
            self.data_dir / "kernels" / "python3" / "kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
        )
        _write_json(
            self.config_dir / "jupyter_server_config.json",
            {
                "ServerApp": {
                    "ip": "127.0.0.1",
                    "port": self.port,
                    "port_retries": 0,
                    "open_browser": False,
                    "root_dir": str(self.root),
                    # Containers and CI runners often run as root.
                    "allow_root": True,
                    "terminals_enabled": False,
                    # The language-server extension scans the machine at start; no test needs it.
                    "jpserver_extensions": {"jupyter_lsp": False},
                },
                "IdentityProvider": {"token": self.token},
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    # The default manager queries PyPI from the server.
                    "extension_manager": "readonly",
                    # window.jupyterapp lets the tests run commands instead of hunting menu items.
                    "expose_app_in_browser": True,
                },
                "JupyterNotebookApp": {"expose_app_in_browser": True},
            },
        )
        settings = self.config_dir / "lab" / "user-settings"
        # The widget manager saves widget state into the .ipynb only when asked to.
        _write_json(
            settings / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.jupyterlab-settings",
            {"saveState": True},
        )
        # No "fetch news?" toast over the notebook, and no request to jupyter.org.
        _write_json(
            settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
            {"fetchNews": "false", "checkForUpdates": False},
        )
        self.set_theme("JupyterLab Light")

    def set_theme(self, theme: str) -> None:
        """Write the theme setting; pages opened afterwards use it."""
        _write_json(
            self.config_dir
            / "lab"
            / "user-settings"
            / "@jupyterlab"
            / "apputils-extension"
            / "themes.jupyterlab-settings",
            {"theme": theme},
        )

    def start(self) -> None:
        self.prepare()
        # The server writes to its own copy of the file descriptor; ours can close at once.
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser"],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so stop() also reaches anything it spawned.
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
            try:
                if self.http.get(f"{self.url}/api/status", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer /api/status in 90 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.shutdown_kernels()
        # SIGTERM lets the server shut its kernels down; SIGKILL the group if it hangs.
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def shutdown_kernels(self) -> None:
        """Stop every session and kernel: frees the CPU for the next test."""
        try:
            for session in self.api("GET", "/api/sessions").json():
                self.api("DELETE", f"/api/sessions/{session['id']}")
            for kernel in self.api("GET", "/api/kernels").json():
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        except requests.RequestException:
            pass

    def kernels(self) -> list[dict]:
        return self.api("GET", "/api/kernels").json()

    def write_notebook(self, name: str, *cells: str, setup: bool = True) -> str:
        """Write a notebook of `cells`, after SETUP_CELL unless `setup` is false."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        sources = (SETUP_CELL, *cells) if setup else cells
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        nbformat.write(nb, self.root / name)
        return name

    def read_notebook(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")


class Notebook:
    """Drives one notebook in JupyterLab or Notebook 7 through a playwright page.

    Both apps expose `window.jupyterapp` (see the server config), and both run the same commands,
    so running cells goes through the command registry instead of menus that differ per app.
    """

    def __init__(self, page, server: JupyterServer) -> None:
        self.page = page
        self.server = server

    def open(self, name: str, *, app: str = "lab") -> Notebook:
        # ?reset drops the saved workspace, so a test never inherits another's open tabs.
        path = f"/lab/tree/{name}?reset&" if app == "lab" else f"/notebooks/{name}?"
        self.page.goto(f"{self.server.url}{path}token={self.server.token}")
        self.page.wait_for_function(
            "() => window.jupyterapp?.shell?.currentWidget?.content?.widgets?.length > 0"
        )
        return self

    def run_all(self, *, wait: bool = True) -> Notebook:
        """Run every cell; unless `wait` is false, wait until all ran and the kernel is idle
        (failing on a cell error). Without waiting, a test can watch a reply stream meanwhile."""
        self._wait_kernel()
        # Not awaited: the command resolves only when every cell has finished.
        self.page.evaluate("() => void jupyterapp.commands.execute('notebook:run-all-cells')")
        if wait:
            self.wait_idle()
        return self

    def run_cell(self, source: str, *, wait: bool = True) -> Notebook:
        """Append a code cell with `source`, run it and, unless `wait` is false, wait for it (the
        kernel stays free while a reply streams: the stream runs in a worker thread)."""
        self._wait_kernel()
        self.page.evaluate(
            """(source) => {
                const app = window.jupyterapp;
                const notebook = app.shell.currentWidget.content;
                notebook.activeCellIndex = notebook.widgets.length - 1;
                app.commands.execute('notebook:insert-cell-below').then(() => {
                    notebook.activeCell.model.sharedModel.setSource(source);
                    app.commands.execute('notebook:run-cell');
                });
            }""",
            source,
        )
        if wait:
            self.wait_idle()
        return self

    def _wait_kernel(self) -> None:
        self.page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel"
        )
        self.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.ready")

    def wait_idle(self) -> None:
        """Wait until every code cell has run (or one failed: run-all stops there) and the
        kernel is idle; fail with the cell's error."""
        state = """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
            const errors = cells
                .flatMap(cell => cell.model.outputs.toJSON())
                .filter(output => output.output_type === 'error')
                .map(output => `${output.ename}: ${output.evalue}`);
            const idle = panel.sessionContext.session?.kernel?.status === 'idle';
            const ran = cells.every(cell => cell.model.executionCount !== null);
            return idle && (ran || errors.length) ? {errors} : null;
        }"""
        errors = self.page.wait_for_function(state).json_value()["errors"]
        assert not errors, f"a notebook cell failed: {errors}"

    def cells(self) -> list[dict]:
        """Every cell of the open notebook: type, source and execution count."""
        return self.page.evaluate(
            """() => jupyterapp.shell.currentWidget.content.widgets.map((cell) => ({
                type: cell.model.type,
                source: cell.model.sharedModel.getSource(),
                count: cell.model.type === 'code' ? cell.model.executionCount : null,
            }))"""
        )

    def save(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")

    def start(self, name: str, *cells: str, app: str = "lab") -> ChatUI:
        """Write notebook `name` (SETUP_CELL, then `cells`), open it in `app`, run it, and return
        its first chat view."""
        self.open(self.server.write_notebook(name, *cells), app=app).run_all()
        return self.chat()

    def chat(self, index: int = 0) -> ChatUI:
        """The `index`-th chat widget view on the page, once it has rendered."""
        ui = ChatUI(self.page.locator(".co-widget").nth(index))
        ui.root.wait_for()
        return ui


class ChatUI:
    """One rendered view of a Chat (the `.co-widget` element)."""

    def __init__(self, root) -> None:
        self.root = root
        self.input = root.locator("textarea.co-input")
        self.users = root.locator(".co-msg.co-user")
        self.replies = root.locator(".co-msg.co-assistant")
        self.streaming = root.locator(".co-msg.co-streaming")
        # The composer's one button: data-co-action is "send" when idle, "stop" while streaming.
        self.stop_button = root.locator(".co-send[data-co-action='stop']")

    def type_and_enter(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def send(self, text: str) -> None:
        """Send `text` from the composer and wait until its reply is committed."""
        expected = self.replies.count() + 1
        self.type_and_enter(text)
        self.wait_settled(expected)

    def wait_settled(self, replies: int) -> None:
        """Wait until `replies` assistant messages are committed and nothing streams."""
        expect(self.replies).to_have_count(replies)
        expect(self.streaming).to_have_count(0)
        expect(self.root).not_to_have_class(re.compile(r"\bco-busy\b"))

    def reply_text(self, index: int = -1) -> str:
        """The rendered text of an assistant message's answer (`.co-md`), whitespace-normalised."""
        return self._text(self.replies.nth(index))

    def sample_stream(self, every_ms: int = 40) -> list[str]:
        """Wait for a bubble to start streaming, then read its text every `every_ms` until the
        reply is committed. Sampled in the page, so no round trip to Python skews the timing."""
        samples = self.root.evaluate(
            """async (root, everyMs) => {
                const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
                const read = () => {
                    const md = root.querySelector('.co-streaming .co-md');
                    return md ? md.textContent.replace(/\\s+/g, ' ').trim() : null;
                };
                const deadline = performance.now() + 30000;
                while (read() === null) {
                    if (performance.now() > deadline) return null;
                    await sleep(5);
                }
                const samples = [];
                for (let text = read(); text !== null; text = read()) {
                    samples.push(text);
                    if (performance.now() > deadline + 30000) break;
                    await sleep(everyMs);
                }
                return samples;
            }""",
            every_ms,
        )
        assert samples is not None, "no reply started streaming within 30 s"
        return samples

    def texts(self) -> list[str]:
        """Every message as "role: text", in order: what a reader of this view sees."""
        return self.root.locator(".co-msg").evaluate_all(
            """els => els.map(el =>
                (el.classList.contains('co-user') ? 'user: ' : 'assistant: ')
                + (el.querySelector('.co-bubble')?.textContent ?? '')
                    .replace(/\\s+/g, ' ').trim())"""
        )

    @staticmethod
    def _text(message) -> str:
        md = message.locator(".co-md")
        # textContent, not innerText: no layout, and it reads the same when scrolled away.
        text = md.first.text_content() if md.count() else ""
        return " ".join((text or "").split())


@contextlib.contextmanager
def lab_page(tmp: Path, init_script: str | None = None) -> Iterator[tuple]:
    """For the benchmarks: a JupyterServer in ``tmp`` and a page of Debian's Chromium (with
    ``init_script`` run before every document) that may talk to 127.0.0.1 only. Yields
    ``(server, browser, page)``; raises if the page tried to leave 127.0.0.1."""
    server = JupyterServer(tmp)
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            network = NetworkGuard()
            network.attach(context)
            if init_script is not None:
                context.add_init_script(init_script)
            page = context.new_page()
            network.attach_page(page)
            page.set_default_timeout(WAIT_MS)
            try:
                yield server, browser, page
            finally:
                context.close()
                browser.close()
        if network.outside():
            raise RuntimeError(f"requests left 127.0.0.1: {network.outside()}")
    finally:
        server.stop()
