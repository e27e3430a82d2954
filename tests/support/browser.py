"""Where the browser tests and benchmarks find Debian's Chromium, how they start it, and the one
guard that keeps every page they open on this machine.

Never a downloaded browser: playwright drives the system's /usr/bin/chromium. The flags keep it
headless as root, and quiet: without the background-networking ones Chromium keeps dialling
Google's hosts, which this machine's closed network refuses.
"""

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def launch_chromium(playwright):
    """A headless Debian Chromium through playwright's sync API."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve_harness() -> Iterator[str]:
    """Serve the repository on 127.0.0.1 (a free port) and yield the URL of the front-end harness
    page (tests/browser/harness/), which loads the committed bundle from co_widget/static."""
    handler = functools.partial(_QuietHandler, directory=str(REPO))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tests/browser/harness/index.html"
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    # data:, blob: and about: URLs never leave the browser.
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


class NetworkGuard:
    """Records every request of a browser context (or page) and aborts those that leave
    loopback; ``outside()`` lists them, for the test to assert it is empty."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []

    def attach(self, target) -> None:
        """Guard a playwright BrowserContext or Page."""
        target.on("request", lambda request: self.requests.append(request.url))
        target.route("**/*", self._route)

    def attach_page(self, page) -> None:
        # WebSockets bypass routing, so check where they go separately.
        page.on("websocket", lambda ws: None if is_local(ws.url) else self.blocked.append(ws.url))

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def outside(self) -> list[str]:
        return self.blocked + [url for url in self.requests if not is_local(url)]
