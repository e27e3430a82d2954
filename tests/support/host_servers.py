"""marimo and Voilà servers for the browser tests, run for real on 127.0.0.1 from a scratch folder.

Both get the showcase chat (tests/support/hosts.py SHOWCASE) as a module next to their notebook,
so the notebook itself only displays it. Their kernels import co_widget from this checkout.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import requests

from .hosts import REPO, SHOWCASE

# A marimo notebook: the chat, shown through marimo's anywidget wrapper.
MARIMO_NOTEBOOK = """\
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    from showcase import chat

    mo.ui.anywidget(chat)
    return


if __name__ == "__main__":
    app.run()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # marimo's user config (theme) and Jupyter's dirs live in the scratch folder.
        "XDG_CONFIG_HOME": str(home / "config"),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    for name in ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def _serve(argv: list[str], cwd: Path, env: dict[str, str], url: str) -> Iterator[str]:
    log = cwd / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[2]} exited early:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=2).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[2]} did not answer in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _scratch(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "showcase.py").write_text(SHOWCASE, encoding="utf-8")


@contextlib.contextmanager
def marimo_server(folder: Path, *, mode: str, theme: str) -> Iterator[str]:
    """`marimo edit` or `marimo run` (mode) of a notebook showing the chat, in marimo's `theme`
    ("light" or "dark"); yields the page URL."""
    _scratch(folder)
    (folder / "chat_app.py").write_text(MARIMO_NOTEBOOK, encoding="utf-8")
    config = folder / "config" / "marimo"
    config.mkdir(parents=True, exist_ok=True)
    (config / "marimo.toml").write_text(
        f'[display]\ntheme = "{theme}"\n\n[runtime]\nauto_instantiate = true\n'
        '[server]\nbrowser = "default"\n',
        encoding="utf-8",
    )
    port = _free_port()
    argv = [sys.executable, "-m", "marimo", mode, "chat_app.py", "--headless", "--no-token"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    if mode == "edit":
        argv.append("--skip-update-check")
    with _serve(argv, folder, _env(folder), f"http://127.0.0.1:{port}/") as url:
        yield url


@contextlib.contextmanager
def voila_server(folder: Path, *, theme: str) -> Iterator[str]:
    """Voilà rendering a notebook that shows the chat, with `theme` ("light" or "dark")."""
    _scratch(folder)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell("from showcase import chat\n\nchat")]
    nbformat.write(nb, folder / "chat.ipynb")
    # A kernelspec that runs this python, as the Jupyter tests do.
    kernels = folder / "jupyter-data" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    env = {**_env(folder), "JUPYTER_DATA_DIR": str(folder / "jupyter-data")}
    env.pop("JUPYTER_PATH", None)
    port = _free_port()
    argv = [sys.executable, "-m", "voila", "chat.ipynb", "--no-browser", f"--port={port}"]
    argv += ["--Voila.ip=127.0.0.1", f"--theme={theme}", "--ServerApp.allow_root=True"]
    with _serve(argv, folder, env, f"http://127.0.0.1:{port}/") as url:
        yield url
