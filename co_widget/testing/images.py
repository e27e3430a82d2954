"""FakeCohere's default answer to a message with images: what it received, so offline demos of
images show something true about them (count, formats, pixel sizes)."""

from __future__ import annotations

import io
from typing import Any

from ..request.images import decode_data_url

__all__ = ["describe_images"]


def describe_images(request_json: dict[str, Any]) -> str | None:
    """A sentence about the images of the last user message; None if it has none."""
    users = [m for m in request_json.get("messages") or [] if isinstance(m, dict)]
    users = [m for m in users if m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    if not isinstance(content, list):
        return None
    urls = [
        block["image_url"].get("url", "")
        for block in content
        if isinstance(block, dict)
        and block.get("type") == "image_url"
        and isinstance(block.get("image_url"), dict)
    ]
    if not urls:
        return None
    parts = [_describe(url) for url in urls]
    noun = "image" if len(urls) == 1 else "images"
    return f"I received {len(urls)} {noun}: " + "; ".join(parts) + "."


def _describe(url: str) -> str:
    decoded = decode_data_url(url)
    if decoded is None:
        return f"a link to {url} (not fetched)" if url.startswith("http") else "an unreadable URL"
    mime, data = decoded
    try:
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except Exception:  # no Pillow, or not an image: say what is certain
        return f"{mime.split('/')[1].upper()}, {len(data)} bytes"
    return f"{image.format} {width}x{height} px"
