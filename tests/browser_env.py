"""Where the browser tests and benchmarks find Debian's Chromium, and how they start it.

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

REPO = Path(__file__).resolve().parents[1]
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
