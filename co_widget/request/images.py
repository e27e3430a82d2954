"""Images for a user message: what ``send(images=[...])`` accepts, turned into ``image_url`` blocks.

Sources: a path (``str`` or ``Path``), ``bytes``, a ``PIL.Image.Image``, a matplotlib ``Figure``
(PNG at the figure's own dpi), or an ``http(s)://`` URL (sent as it is; co_widget never fetches
it). Local images become ``data:`` URLs in one of the formats Cohere takes (PNG, JPEG, WEBP,
non-animated GIF); anything else Pillow reads is converted to PNG.

Cohere's limits are enforced here, before any request: at most 20 images and 20 MB per request
(``image-inputs`` in Cohere's docs). An image too big for its share of the 20 MB, or larger than the
model's maximum side (see ``request/model_rules``), is downscaled and re-encoded; each such change
is returned as a note for the caller to warn about.

Pillow (and matplotlib, for figures) are optional extras (``pip install 'co_widget[images]'``),
imported only when an image needs them.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .boundary import DecompressionBomb, open_image

__all__ = [
    "DETAILS",
    "MAX_IMAGES",
    "MAX_REQUEST_BYTES",
    "decode_data_url",
    "image_blocks",
    "pillow",
]

MAX_IMAGES = 20
# Counted as the data: URLs' length, which is what the request carries.
MAX_REQUEST_BYTES = 20 * 1024 * 1024
DETAILS = ("auto", "low", "high")
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
_DATA_URL = re.compile(r"data:(image/[\w.+-]+);base64,(.*)", re.S)
# Each step of shrinking an image scales its sides by this much.
_SHRINK = 0.75
_SOURCES = "a path (str or Path), bytes, a PIL image, a matplotlib Figure or an http(s):// URL"


def pillow() -> Any:
    """``PIL.Image``, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Sending images needs Pillow: pip install 'co_widget[images]' (or pip install pillow)."
        ) from error
    return Image


@dataclass
class _Local:
    """A local image, ready to send: its bytes in a format Cohere takes."""

    data: bytes
    format: str  # a key of _MIME
    size: tuple[int, int]

    @property
    def url(self) -> str:
        return f"data:{_MIME[self.format]};base64,{base64.b64encode(self.data).decode()}"


def image_blocks(
    sources: Any,
    *,
    detail: str | None = None,
    history: Sequence[dict[str, Any]] = (),
    max_side: int | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """``image_url`` blocks for ``sources``, and notes on the images that had to be shrunk.

    ``history`` is the rest of the request (its images count against the limits), ``max_side``
    the model's largest image side. Raises ValueError/TypeError naming ``images[i]`` and the
    fix; nothing changes on failure.
    """
    earlier = [
        block["image_url"]["url"]
        for message in history
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "image_url"
    ]
    already = len(earlier)
    budget = MAX_REQUEST_BYTES - sum(len(url) for url in earlier)
    if not isinstance(sources, (list, tuple)):
        raise TypeError(f"images must be a list of images ({_SOURCES}).")
    if already + len(sources) > MAX_IMAGES:
        raise ValueError(
            f"Cohere takes at most {MAX_IMAGES} images per request; this one would hold "
            f"{already + len(sources)}. Send fewer images (or undo earlier turns that have some)."
        )
    if detail is not None and detail not in DETAILS:
        raise ValueError(f"detail must be one of {DETAILS}, got {detail!r}.")
    loaded = [_load(source, i) for i, source in enumerate(sources)]
    local = [image for image in loaded if isinstance(image, _Local)]
    notes = []
    if local:
        share = budget // len(local)
        if share <= 0:
            raise ValueError(
                "The conversation's images already fill Cohere's 20 MB per request; "
                "undo earlier turns with images, or clear the chat, to send more."
            )
        for i, image in enumerate(loaded):
            if isinstance(image, _Local):
                note = _fit(image, share, max_side)
                if note:
                    notes.append(f"images[{i}] {note}")
    blocks = []
    for image in loaded:
        url = image.url if isinstance(image, _Local) else image
        block: dict[str, Any] = {"url": url}
        if detail is not None:
            block["detail"] = detail
        blocks.append({"type": "image_url", "image_url": block})
    return blocks, notes


def _load(source: Any, i: int) -> _Local | str:
    """One source as a _Local image, or its URL (a str) for an http(s) URL."""
    if isinstance(source, str) and re.match(r"https?://", source, re.I):
        return source
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as file:
                data = file.read()
        except OSError as error:
            raise ValueError(f"images[{i}]: cannot read {os.fspath(source)!r}: {error}") from None
        return _from_bytes(data, i)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(source), i)
    module = type(source).__module__
    if module.startswith("PIL.") and hasattr(source, "save"):
        return _from_pil(source)
    if module.startswith("matplotlib.") and hasattr(source, "savefig"):
        buffer = io.BytesIO()
        # dpi="figure": the figure's own dpi, whatever rcParams["savefig.dpi"] says.
        source.savefig(buffer, format="png", dpi="figure")
        return _from_bytes(buffer.getvalue(), i)
    raise TypeError(f"images[{i}] must be {_SOURCES}; got {type(source).__name__}.")


def _from_bytes(data: bytes, i: int) -> _Local:
    pillow()  # the ImportError that says how to install it
    try:
        image = open_image(data, f"images[{i}]")
    except DecompressionBomb:
        raise  # the boundary's message says what to do
    except Exception as error:
        raise ValueError(
            f"images[{i}] is not an image Pillow can read ({error}); "
            "give a PNG, JPEG, WEBP or GIF file, or any format Pillow opens."
        ) from None
    animated = getattr(image, "is_animated", False)
    if image.format in _MIME and not (image.format == "GIF" and animated):
        return _Local(data, image.format, image.size)
    # Other formats, and animated GIFs (their first frame), go as PNG.
    return _from_pil(image)


def _from_pil(image: Any) -> _Local:
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)  # PNG keeps no orientation tag: apply it now
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return _Local(buffer.getvalue(), "PNG", image.size)


def _fit(image: _Local, budget: int, max_side: int | None) -> str | None:
    """Shrink ``image`` in place until its data URL fits ``budget`` and its sides
    ``max_side``; return what was done (None if nothing)."""
    if len(image.url) <= budget and (max_side is None or max(image.size) <= max_side):
        return None
    # Upright first: the re-encoded image loses its EXIF orientation tag.
    original = open_image(image.data, "the image", upright=True)
    before = original.size
    width, height = before
    if max_side is not None and max(before) > max_side:
        scale = max_side / max(before)
        width, height = round(width * scale), round(height * scale)
    while True:
        _reencode(image, original, (max(1, width), max(1, height)))
        if len(image.url) <= budget or max(width, height) <= 1:
            break
        width, height = int(width * _SHRINK), int(height * _SHRINK)
    if len(image.url) > budget:
        raise ValueError(
            f"no room left for an image in Cohere's 20 MB per request ({budget} bytes): "
            "send fewer images, or undo earlier turns that have some."
        )
    if max_side is not None and max(before) > max_side:
        why = f"larger than the model's maximum side of {max_side} px"
    else:
        why = "too large for its share of Cohere's 20 MB per request"
    after = f"{image.size[0]}x{image.size[1]}"
    done = f"downscaled from {before[0]}x{before[1]} to {after} and re-encoded"
    if image.size == before:
        done = f"re-encoded at {after}"
    return f"was {why}: {done} as {image.format} ({len(image.data) // 1024} KB)."


def _reencode(image: _Local, original: Any, size: tuple[int, int]) -> None:
    """Resize ``original`` to ``size`` into ``image``: JPEG when opaque (far smaller for
    photos and plots), PNG when it has transparency."""
    resized = original.convert("RGBA" if _has_alpha(original) else "RGB").resize(
        size,
        resample=3,  # Image.Resampling.BICUBIC
    )
    buffer = io.BytesIO()
    if resized.mode == "RGBA":
        resized.save(buffer, format="PNG", optimize=True)
        image.format = "PNG"
    else:
        resized.save(buffer, format="JPEG", quality=85)
        image.format = "JPEG"
    image.data, image.size = buffer.getvalue(), resized.size


def _has_alpha(image: Any) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """``(mime, bytes)`` of a base64 ``data:image/...`` URL, None for anything else."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        return None
    try:
        return match.group(1), base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return None
