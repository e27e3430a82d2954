"""``python -m co_widget.demo``: the demo notebooks, fresh, in JupyterLab.

Copies the demo notebooks into a new scratch folder (or ``--dir PATH``) and starts JupyterLab
there, so playing with a demo (JupyterLab autosaves it) never edits the copies the project's tests
run, and every run starts from the notebooks as shipped. Arguments it does not know go to
``jupyter lab`` as they are (``--no-browser``, ``--port 8899``...); ``--allow-root`` is added
when run as root, which JupyterLab otherwise refuses.

The notebooks come with the package (a wheel ships them as ``co_widget/_demo_notebooks``, see
pyproject.toml); in a source checkout they are the repository's ``notebooks/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["copy_notebooks", "lab_command", "main", "notebooks_dir"]

PACKAGED = Path(__file__).parent / "_demo_notebooks"
CHECKOUT = Path(__file__).resolve().parent.parent / "notebooks"
FIRST = "01_quickstart.ipynb"  # the notebook JupyterLab opens


def notebooks_dir() -> Path:
    """Where the demo notebooks are: in the installed package, else in the source checkout."""
    for folder in (PACKAGED, CHECKOUT):
        if any(folder.glob("*.ipynb")):
            return folder
    raise FileNotFoundError(
        f"No demo notebooks found in {PACKAGED} or {CHECKOUT}: reinstall co_widget "
        "(pip install --force-reinstall co_widget), or run this from a full source checkout."
    )


def copy_notebooks(target: Path | None = None) -> Path:
    """Copy the demo notebooks into ``target`` (made if missing; default: a new temporary
    folder) and return the folder. Never overwrites: a notebook of the same name already in
    ``target`` (your edits, perhaps) raises FileExistsError."""
    sources = sorted(notebooks_dir().glob("*.ipynb"))
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="co_widget-demo-"))
    # Absolute: JupyterLab starts inside the folder, where a relative path would mean another.
    target = target.expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    taken = [source.name for source in sources if (target / source.name).exists()]
    if taken:
        raise FileExistsError(
            f"{target} already holds {', '.join(taken)}: choose an empty folder with --dir, "
            "or leave --dir out for a new temporary one."
        )
    for source in sources:
        shutil.copyfile(source, target / source.name)
    return target


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)  # POSIX only
    return geteuid is not None and geteuid() == 0


def lab_command(folder: Path, extra: Sequence[str] = (), root: bool | None = None) -> list[str]:
    """The command that starts JupyterLab in ``folder`` on the first demo, with ``extra``
    arguments; ``--allow-root`` is added when ``root`` (default: running as root)."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if (_is_root() if root is None else root) and "--allow-root" not in extra:
        command.append("--allow-root")
    return [*command, *extra, str(folder / FIRST)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m co_widget.demo",
        description="Copy co_widget's demo notebooks into a scratch folder and open them in "
        "JupyterLab. Other arguments go to `jupyter lab` (e.g. --no-browser, --port 8899).",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        help="the folder to copy the notebooks into (made if missing; default: a new temporary "
        "folder)",
    )
    parser.add_argument(
        "--copy-only",
        action="store_true",
        help="copy the notebooks and print the folder, without starting JupyterLab",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="copy the notebooks and print the JupyterLab command instead of running it",
    )
    options, extra = parser.parse_known_args(argv)
    try:
        folder = copy_notebooks(options.dir)
    except (FileExistsError, FileNotFoundError) as error:
        parser.exit(2, f"co_widget.demo: {error}\n")
    if options.copy_only:
        print(folder)
        return 0
    command = lab_command(folder, extra)
    if options.dry_run:
        print(shlex.join(command))
        return 0
    if importlib.util.find_spec("jupyterlab") is None:
        parser.exit(
            1,
            "co_widget.demo: JupyterLab is not installed: pip install 'co_widget[demo]' "
            f"(the notebooks are in {folder}).\n",
        )
    print(
        f"The demo notebooks are in {folder} (a copy: your edits stay there; run this again "
        "for fresh ones). Starting JupyterLab, Ctrl+C stops it.",
        flush=True,
    )
    try:
        return subprocess.run(command, cwd=folder, check=False).returncode
    except KeyboardInterrupt:  # JupyterLab got the Ctrl+C too and shuts itself down
        return 130


if __name__ == "__main__":
    sys.exit(main())
