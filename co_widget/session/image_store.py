"""Full images stay in the kernel; the synced ``messages`` trait holds thumbnails.

The trait is what the notebook saves and what goes to every view, so a 5 MB photo must not sit in
it. Each ``data:`` image in a user message that is bigger than ``INLINE_BYTES`` is replaced there
by a thumbnail (at most ``THUMBNAIL_BYTES``), and the full data URL is kept in an
:class:`ImageStore` under an id written in the message's ``_co`` record
(``{"images": {"<content index>": "<id>"}}``). ``chat.history``, the requests, ``save()`` and
autosaved files swap the full data back in (:meth:`ImageStore.full`).

A message whose id is no longer in the store (the trait copied into another kernel) keeps its
thumbnail: still a valid image, only smaller.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
from typing import Any

from ..request.images import decode_data_url, pillow
from ..turn.parts import with_record, without_record_keys

__all__ = ["INLINE_BYTES", "THUMBNAIL_BYTES", "ImageStore", "thumbnail"]

# Images up to this size stay in the trait as they are: a thumbnail would save little.
INLINE_BYTES = 16 * 1024
THUMBNAIL_BYTES = 64 * 1024
THUMBNAIL_SIDE = 256

Message = dict[str, Any]


def thumbnail(url: str) -> str:
    """A data URL of at most THUMBNAIL_BYTES showing the image of data URL ``url``."""
    decoded = decode_data_url(url)
    if decoded is None:
        raise ValueError("Not a base64 data:image URL.")
    Image = pillow()
    image = Image.open(io.BytesIO(decoded[1]))
    image.seek(0)
    alpha = "A" in image.getbands() or "transparency" in image.info
    image = image.convert("RGBA" if alpha else "RGB")
    side = THUMBNAIL_SIDE
    while True:
        small = image.copy()
        small.thumbnail((side, side))
        buffer = io.BytesIO()
        small.save(buffer, format="PNG" if alpha else "JPEG", quality=80, optimize=True)
        mime = "image/png" if alpha else "image/jpeg"
        result = f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"
        if len(result) <= THUMBNAIL_BYTES or side <= 16:
            return result
        side //= 2


class ImageStore:
    """The full data URLs of the images whose thumbnails are in the trait, by id."""

    def __init__(self) -> None:
        self._full: dict[str, str] = {}

    def slim(self, messages: list[Message]) -> list[Message]:
        """A copy of ``messages`` for the trait: big data: images of user messages replaced by
        thumbnails, their full data kept here. Already slim messages pass unchanged."""
        return [self._slim_message(message) for message in messages]

    def _slim_message(self, message: Message) -> Message:
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list):
            return message
        message = copy.deepcopy(message)
        ids = dict((message.get("_co") or {}).get("images") or {})
        for j, block in enumerate(message["content"]):
            url = _data_url(block)
            # An image with an id is a thumbnail already (its full data is here, or lost).
            if url is None or len(url) <= INLINE_BYTES or str(j) in ids:
                continue
            key = hashlib.sha256(url.encode()).hexdigest()[:24]
            self._full[key] = url
            block["image_url"]["url"] = thumbnail(url)
            ids[str(j)] = key
        return with_record(message, {"images": ids}) if ids else message

    def full(self, messages: list[Message]) -> list[Message]:
        """A deep copy of ``messages`` with the full images swapped back in (and the image ids
        dropped from ``_co``): for the API, ``history`` and saved files."""
        result = copy.deepcopy(messages)
        for message in result:
            co = message.get("_co")
            ids = co.get("images") if isinstance(co, dict) else None
            if not ids or not isinstance(co, dict):
                continue
            for j, key in ids.items():
                full = self._full.get(key)
                if full is not None:
                    message["content"][int(j)]["image_url"]["url"] = full
            without_record_keys(message, "images")
        return result

    def keep_only(self, messages: list[Message]) -> None:
        """Forget the images no message of ``messages`` refers to (after undo, clear, ...)."""
        used = {
            key
            for message in messages
            for key in ((message.get("_co") or {}).get("images") or {}).values()
        }
        self._full = {key: url for key, url in self._full.items() if key in used}


def _data_url(block: Any) -> str | None:
    if isinstance(block, dict) and block.get("type") == "image_url":
        url = block["image_url"]["url"]
        if isinstance(url, str) and url.startswith("data:"):
            return url
    return None
