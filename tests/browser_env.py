"""Where the browser tests and benchmarks find Debian's Chromium, and how they start it.

Never a downloaded browser: playwright drives the system's /usr/bin/chromium. The flags keep it
headless as root, and quiet: without the background-networking ones Chromium keeps dialling
Google's hosts, which this machine's closed network refuses.
"""

from pathlib import Path

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
