"""``python -m co_widget.demo``: fresh copies of the demo notebooks in a scratch folder, and the
JupyterLab command that opens them (``--allow-root`` as root). The notebooks under ``notebooks/``
are only read, never run or changed; JupyterLab runs once, briefly, in a temporary folder."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from co_widget import demo

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SLOW = 60.0  # "it did not hang": never a timing assertion


def run_demo(*args: str, **options) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's co_widget
    return subprocess.run(
        [sys.executable, "-m", "co_widget.demo", *args],
        capture_output=True,
        text=True,
        timeout=SLOW,
        env=env,
        check=False,
        **options,
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.ipynb"))
    }


@pytest.fixture
def originals():
    """The repository's notebooks, as they were: checked unchanged after the test."""
    before = digests(NOTEBOOKS)
    yield before
    assert digests(NOTEBOOKS) == before


def test_copy_only_copies_every_demo_into_the_folder_given(tmp_path, originals):
    target = tmp_path / "scratch" / "demos"  # made, parents too
    done = run_demo("--copy-only", "--dir", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    assert digests(target) == originals
    assert "01_quickstart.ipynb" in originals and len(originals) >= 7


def test_copy_only_without_dir_makes_a_new_folder_each_time(originals):
    folders = []
    try:
        for _ in range(2):
            done = run_demo("--copy-only")
            assert done.returncode == 0, done.stderr
            folders.append(Path(done.stdout.strip()))
        assert folders[0] != folders[1]
        for folder in folders:
            assert folder.name.startswith("co_widget-demo-")
            assert digests(folder) == originals
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_holding_a_demo_is_never_overwritten(tmp_path, originals):
    edited = tmp_path / "02_history.ipynb"
    edited.write_text("my edits", encoding="utf-8")
    done = run_demo("--copy-only", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert "already holds 02_history.ipynb" in done.stderr
    assert "choose an empty folder" in done.stderr
    assert edited.read_text(encoding="utf-8") == "my edits"
    assert [path.name for path in tmp_path.iterdir()] == ["02_history.ipynb"]


def test_a_relative_dir_is_made_absolute(tmp_path, originals):
    done = run_demo("--dry-run", "--dir", "demos", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"--ServerApp.root_dir={tmp_path.resolve() / 'demos'}" in done.stdout.split()
    assert digests(tmp_path / "demos") == originals


@pytest.mark.parametrize("root", [True, False])
def test_the_command_adds_allow_root_only_as_root(tmp_path, root):
    command = demo.lab_command(tmp_path, ["--no-browser", "--port", "8899"], root=root)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert ("--allow-root" in command) is root
    assert command[-4:] == ["--no-browser", "--port", "8899", str(tmp_path / "01_quickstart.ipynb")]
    # Given already, it is not repeated.
    assert demo.lab_command(tmp_path, ["--allow-root"], root=True).count("--allow-root") == 1


def test_dry_run_prints_the_command_for_this_user(tmp_path, originals):
    done = run_demo("--dry-run", "--dir", str(tmp_path), "--no-browser")
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split()
    assert printed[1:3] == ["-m", "jupyterlab"]
    assert "--no-browser" in printed
    assert ("--allow-root" in printed) is (os.geteuid() == 0)
    assert digests(tmp_path) == originals  # copied, as for a real start


def test_the_packaged_notebooks_come_first(tmp_path, monkeypatch):
    (tmp_path / "01_quickstart.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(demo, "PACKAGED", tmp_path)
    assert demo.notebooks_dir() == tmp_path
    monkeypatch.setattr(demo, "PACKAGED", tmp_path / "missing")
    assert demo.notebooks_dir() == NOTEBOOKS  # a source checkout
    monkeypatch.setattr(demo, "CHECKOUT", tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="reinstall co_widget"):
        demo.notebooks_dir()


def test_the_wheel_ships_the_notebooks_where_the_demo_looks():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert REPO / shipped["notebooks"] == demo.PACKAGED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_jupyterlab_starts_in_the_scratch_folder(tmp_path, originals):
    """The real command, briefly: JupyterLab serves the copied quickstart (as root too, where
    it would refuse to start without --allow-root), then is stopped."""
    config = tmp_path / "config"
    config.mkdir()
    # No language-server scan at start, no update checks: nothing the test needs.
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_lsp": False}}}),
        encoding="utf-8",
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    folder = tmp_path / "demos"
    command = [
        sys.executable, "-m", "co_widget.demo", "--dir", str(folder), "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--LabApp.news_url=",
    ]  # fmt: skip
    log = (tmp_path / "lab.log").open("w")
    # A session of its own: the demo and the JupyterLab it starts are stopped together.
    proc = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/01_quickstart.ipynb?content=0"
        deadline = time.monotonic() + SLOW
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()
            try:
                answer = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()
                time.sleep(0.2)
        assert answer.status_code == 200
        assert answer.json()["path"] == "01_quickstart.ipynb"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(SLOW)
        log.close()
    printed = (tmp_path / "lab.log").read_text()
    assert f"The demo notebooks are in {folder}" in printed
    assert digests(folder) == originals
