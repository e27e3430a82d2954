"""What co_widget 0.1.0 saved renders as 0.1.0 rendered it, in JupyterLab and Notebook 7: a
notebook's saved widget state (opened with no cell run), and chat files opened with
``Chat.load``. Each view is read back as a fingerprint (every message's text, cited spans, tool
card statuses and images) and compared with the one 0.1.0 drew, kept in
tests/fixtures/saved_0_1_0/rendered.json. ``CO_WIDGET_RECORD_RENDER=1`` rewrites that file: only
for a deliberate change of how a saved turn is drawn (new wording, say), named in its commit;
never to make a lost citation, card or image pass."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY_ENV

pytestmark = pytest.mark.browser

SAVED = Path(__file__).parents[1] / "fixtures" / "saved_0_1_0"
RENDERED = SAVED / "rendered.json"
FILES = ["failures", "grounded", "images", "json", "text", "tools"]

FINGERPRINT = """(root) => [...root.querySelectorAll('.co-msg')].map((el) => ({
    role: el.classList.contains('co-user') ? 'user' : 'assistant',
    text: (el.querySelector('.co-bubble')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
    cites: [...el.querySelectorAll('.co-md .co-cite')].map((c) => [c.dataset.cite, c.textContent]),
    cards: [...el.querySelectorAll('.co-tool-card .co-tool-status')].map((s) => s.textContent),
    images: el.querySelectorAll('img').length,
}))"""


def fingerprints(notebook, count: int) -> list:
    views = notebook.page.locator(".co-widget")
    # Notebook 7 restores saved widget views once its kernel is up: slow on a loaded machine.
    expect(views).to_have_count(count, timeout=120_000)
    # Drawn once the messages are in: every view shows at least one message.
    for i in range(count):
        expect(views.nth(i).locator(".co-msg").first).to_be_visible()
    return [views.nth(i).evaluate(FINGERPRINT) for i in range(count)]


def check(kind: str, app: str, got: list) -> None:
    recorded = json.loads(RENDERED.read_text("utf-8")) if RENDERED.exists() else {}
    if os.environ.get("CO_WIDGET_RECORD_RENDER") == "1":
        recorded[kind] = got
        RENDERED.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert got == recorded[kind], f"{kind} renders differently in {app} than in 0.1.0"


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_saved_widget_state_renders_as_in_0_1_0(server, notebook, app):
    name = f"saved-0-1-0-{app}.ipynb"
    shutil.copy(SAVED / "widget_state.ipynb", server.root / name)
    # Trusted, as the user's own notebook is (JupyterLab signs what it saves): an untrusted
    # notebook's widget outputs are not rendered.
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", str(server.root / name)],
        env=server.env,
        check=True,
        capture_output=True,
    )
    notebook.open(name, app=app)  # no cell runs: the views come from the saved state
    got = fingerprints(notebook, 2)
    # Three citations in the first reply, two in the second (the chat's document, the memo).
    assert len({(i, cite) for i, m in enumerate(got[0]) for cite, _ in m["cites"]}) == 5
    statuses = [status.split()[0] for m in got[1] for status in m["cards"]]
    assert statuses == ["done", "done", "error", "denied"]
    check("widget_state", app, got)


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_saved_chat_files_render_as_in_0_1_0(server, notebook, app):
    for kind in FILES:
        shutil.copy(SAVED / f"{kind}.chat.json", server.root / f"{kind}.chat.json")
    key = f"os.environ[{API_KEY_ENV!r}]"
    cells = [f"Chat.load('{kind}.chat.json', base_url=fake.url, api_key={key})" for kind in FILES]
    notebook.start(f"saved-files-0-1-0-{app}.ipynb", *cells, app=app)
    check("chat_files", app, fingerprints(notebook, len(FILES)))
