"""The front end's pure modules (block splitting, the reply protocol) under node's test runner.

They hold the logic the browser tests only see from outside: where a growing markdown source may
be cut into stable blocks, and how a view follows seq numbers, gaps and snapshots.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[1] / "js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_unit_tests_pass():
    run = subprocess.run(
        ["node", "--test", "test/"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
