"""Front-end modules a view loads on demand from its kernel (never from the network).

The base bundle (``static/widget.js``) is sent with every chat and stored in every notebook that
saves widget state, so what most chats never use lives in its own module: KaTeX (math) and the
code highlighter. A view asks with ``{"type": "asset", "name": ...}`` and gets the module's code
as the one binary buffer of an ``asset`` message (see ``session/view_actions``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["ASSET_NAMES", "asset_code"]

_STATIC = Path(__file__).parent.parent / "static"
ASSET_NAMES = ("katex", "highlight")


@cache
def asset_code(name: str) -> bytes:
    """The bundled ES module ``name`` (read once per kernel)."""
    if name not in ASSET_NAMES:
        raise ValueError(f"Unknown front-end asset {name!r}: expected one of {ASSET_NAMES}.")
    return (_STATIC / f"{name}.js").read_bytes()
