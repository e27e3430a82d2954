"""The one boundary: every value that enters a turn from outside passes here first.

Outside means: what the model streams (tool calls and their arguments, citations and their
sources), what a Python tool function returns or raises, documents, images, and the files and
histories a chat loads. Inside means: the chat's ``messages`` (the history), the synced trait
the views draw, the requests and the saved file. Each function below either makes its value
safe or refuses it with a ValueError that names the path of the bad part, so a new producer of
content cannot reopen "one hostile value breaks every later send, save or view".

Safe means what ``wire/json_values`` checks: plain JSON values only, valid UTF-8 (no lone
surrogates), at most ``MAX_DEPTH`` levels deep; plus a size cap for what tools return and
receive, and the shapes the history, the views and the transcript read (citations, calls).

Repairable things are repaired (a lone surrogate becomes U+FFFD, NaN becomes null, a tool call
without an id gets one, a generator is read once); the rest is refused: a tool's refused result
becomes an error result the model sees, a model's refused citation is skipped with a warning,
and a refused file or history raises.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import uuid
import warnings
from collections.abc import Iterator
from typing import Any, NamedTuple

from pydantic_core import to_jsonable_python

from ..wire.json_values import (
    MAX_DEPTH,
    check_json,
    deep_path,
    non_negative_number,
    repair_json,
    repair_surrogates,
)
from .documents import normalize_documents
from .tool_schema import tool_content

__all__ = [
    "ARGUMENTS_PREVIEW",
    "MAX_ITEMS",
    "MAX_TOOL_RESULT",
    "Arguments",
    "DecompressionBomb",
    "arguments_text",
    "check_citations",
    "check_max_tool_result",
    "citation_problem",
    "documents",
    "error_text",
    "forward_compatible",
    "is_count",
    "materialise",
    "model_citation",
    "model_usage",
    "new_call_id",
    "open_image",
    "parse_json_text",
    "preview",
    "safe_link",
    "safe_markdown_links",
    "tool_arguments",
    "tool_result",
]

MAX_TOOL_RESULT = 1 << 20  # bytes of one tool result, or of one call's arguments (UTF-8 JSON)
MAX_ITEMS = 10_000  # items read from a generator (or other iterator) a tool returns
ARGUMENTS_PREVIEW = 2_000  # characters of a call's arguments on its card (the widget's copy)
_ERROR_CHARS = 2_000  # characters of a tool's exception text kept for the model and the card
_NOTE = "co_widget_note"  # the only key of the arguments kept in place of refused ones


# --- tools -------------------------------------------------------------------------------------


def check_max_tool_result(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise ValueError(
            f"max_tool_result must be an integer number of bytes >= 1024, got {value!r}."
        )
    return value


def new_call_id() -> str:
    """An id for a tool call the model sent without one (its tool message needs one)."""
    return f"call_{uuid.uuid4().hex[:16]}"


def error_text(error: BaseException) -> str:
    """``"Type: message"`` for an exception a tool raised, even when its ``str()`` raises;
    repaired and capped, since it goes to the model, the card and the history."""
    try:
        message = str(error)
    except Exception:
        message = "(its message could not be read)"
    return _capped(repair_surrogates(f"{type(error).__name__}: {message}"), _ERROR_CHARS)


def materialise(value: Any) -> Any:
    """A generator (or any one-shot iterator) a tool returns, read once into a list of at most
    ``MAX_ITEMS`` items, so the model and the card see the same result."""
    if isinstance(value, Iterator):
        items = list(itertools.islice(value, MAX_ITEMS + 1))
        if len(items) > MAX_ITEMS:
            return [*items[:MAX_ITEMS], f"… (more than {MAX_ITEMS} items; the rest were not read)"]
        return items
    return value


def tool_result(value: Any, max_bytes: int = MAX_TOOL_RESULT) -> list[dict[str, Any]]:
    """The ``content`` of the tool message for what a function returned: plain JSON, repaired,
    at most ``max_bytes`` (past it, a truncated text with a note). Raises ValueError naming the
    path for a value that cannot be made safe (binary bytes, a value that contains itself, an
    object whose conversion raises, nesting deeper than ``MAX_DEPTH``)."""
    data = _jsonable(value)
    where = deep_path(data, "result")
    if where is not None:
        raise ValueError(f"{where} is nested more than {MAX_DEPTH} levels deep.")
    content = tool_content(repair_json(data))
    check_json(content, "result")  # what the history will hold: a plain JSON value, for sure
    size = _json_size(content)
    if size <= max_bytes:
        return content
    note = (
        f"\n… [truncated by co_widget: the result was {size} bytes, over the cap of "
        f"{max_bytes} bytes (Chat(max_tool_result=...))]"
    )
    text = "\n".join(
        block["text"] if block["type"] == "text" else json.dumps(block["document"]["data"])
        for block in content
    )
    return [{"type": "text", "text": _utf8_prefix(text, max_bytes - len(note.encode())) + note}]


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(
                f"result is {len(value)} bytes of binary data, not UTF-8 text; return a str "
                "(or base64 text for binary data)."
            ) from None
    try:
        return to_jsonable_python(value, fallback=_text_of)
    except UnicodeDecodeError:
        raise ValueError(
            "result holds bytes that are not UTF-8 text; return str (or base64 text) instead."
        ) from None
    except ValueError as error:
        if "Circular reference" in str(error):
            raise ValueError(
                "result contains itself (a circular reference), so it cannot be sent as JSON."
            ) from None
        raise ValueError(f"result cannot be sent as JSON ({error_text(error)}).") from None
    except Exception as error:  # a __str__ or a serializer that raises, RecursionError, ...
        raise ValueError(f"result cannot be sent as JSON ({error_text(error)}).") from None


def _text_of(item: Any) -> str:
    return str(item)  # what an object with no JSON form becomes (it may raise: see _jsonable)


class Arguments(NamedTuple):
    """A call's arguments from the model: ``value`` (the decoded JSON, repaired; the raw text,
    capped, when it is not JSON) and ``problem`` (why the call must not run, or None)."""

    value: Any
    problem: str | None


def tool_arguments(raw: str | None, max_bytes: int = MAX_TOOL_RESULT) -> Arguments:
    """The model's ``arguments`` string for a call, checked. ``""``, ``"null"`` and None are no
    arguments. Invalid JSON is not a problem here: the tool's own parser reports it."""
    text = (raw or "").strip()
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return Arguments(
            preview(text),
            f"the arguments are {size} bytes, over the cap of {max_bytes} bytes "
            "(Chat(max_tool_result=...))",
        )
    if text in ("", "null"):
        return Arguments({}, None)
    try:
        value = json.loads(text)
    except RecursionError:
        return Arguments(preview(text), f"the arguments are nested more than {MAX_DEPTH} deep")
    except ValueError:
        return Arguments(preview(repair_surrogates(text)), None)
    where = deep_path(value, "arguments")
    if where is not None:
        return Arguments(preview(text), f"{where} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict) and set(value) == {_NOTE}:  # refused before: still refused
        return Arguments(value, str(value[_NOTE]))
    return Arguments(repair_json(value), None)


def arguments_text(text: str, max_bytes: int = MAX_TOOL_RESULT) -> str:
    """A call's ``arguments`` as the history keeps them: as the model wrote them, unless they
    were refused (too large, too deep), then a short JSON object saying so: the history, the
    trait and the file never carry them, and the tool message tells the model why."""
    problem = tool_arguments(text, max_bytes).problem
    if problem is None:
        return text
    return json.dumps({_NOTE: f"not kept: {problem}"})


def preview(value: Any, chars: int = ARGUMENTS_PREVIEW) -> Any:
    """A bounded copy for the views: ``value`` itself when its JSON is short, else the start of
    its JSON text (or of the text itself) with an ellipsis."""
    if isinstance(value, str):
        return _capped(value, chars)
    text = json.dumps(value, ensure_ascii=False)
    return value if len(text) <= chars else _capped(text, chars)


def _capped(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _utf8_prefix(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[: max(0, max_bytes)].decode("utf-8", "ignore")


# --- documents ---------------------------------------------------------------------------------


def documents(value: Any, argument: str = "documents") -> list[dict[str, Any]]:
    """``documents=`` (the chat's or a turn's) as Cohere documents with plain JSON data: nesting
    is bounded before the conversion walks it (a dict that contains itself is refused too), and
    the result is checked (NaN in the user's own dict is refused: it should say what it means).
    """
    where = deep_path(value, argument)
    if where is not None:
        raise ValueError(
            f"{where} is nested more than {MAX_DEPTH} levels deep (or contains itself)."
        )
    checked = normalize_documents(value, argument)
    check_json(checked, argument)
    return checked


# --- usage ---------------------------------------------------------------------------------------


def model_usage(raw: Any) -> dict[str, Any] | None:
    """message-end's usage as the ``_co`` record keeps it: Cohere's shape (groups of counts, or a
    count such as ``cached_tokens``) with only finite, non-negative numbers; anything else in it
    is dropped, so a hostile usage cannot turn a good reply into an error."""
    if not isinstance(raw, dict):
        return None
    usage: dict[str, Any] = {}
    for key, value in raw.items():
        if is_count(value):
            usage[str(key)] = value
        elif isinstance(value, dict):
            usage[str(key)] = {str(k): v for k, v in value.items() if is_count(v)}
    return repair_json(usage)  # type: ignore[no-any-return]


is_count = non_negative_number  # a token count as Cohere's usage holds it


# --- citations ---------------------------------------------------------------------------------


def citation_problem(citation: Any) -> str | None:
    """What is wrong with the shape of a citation object, or None. The views, the transcript
    and ``reply.citations`` read these fields."""
    if not isinstance(citation, dict):
        return f"must be an object, got {type(citation).__name__}"
    for key in ("start", "end", "content_index"):
        value = citation.get(key)
        if value is not None and (not _is_index(value)):
            return f"{key!r} must be a non-negative integer or null, got {value!r:.40}"
    for key in ("text", "type"):
        if not isinstance(citation.get(key) or "", str):
            return f"{key!r} must be a string"
    sources = citation.get("sources")
    if sources is None:
        return None
    if not isinstance(sources, list):
        return f"'sources' must be a list of source objects, got {type(sources).__name__}"
    for j, source in enumerate(sources):
        if not isinstance(source, dict):
            return f"'sources'[{j}] must be an object, got {type(source).__name__}"
        if not isinstance(source.get("id") or "", (str, int)) or isinstance(source.get("id"), bool):
            return f"'sources'[{j}]['id'] must be a string"
        if not isinstance(source.get("type") or "", str):
            return f"'sources'[{j}]['type'] must be a string"
        for key in ("document", "tool_output"):
            if not isinstance(source.get(key) or {}, dict):
                return f"'sources'[{j}][{key!r}] must be an object"
    return None


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def model_citation(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A citation event's object, repaired, or ``(None, why)`` when its shape is refused (the
    reply skips it with a warning and keeps everything else)."""
    where = deep_path(raw, "citation")
    if where is not None:
        return None, f"{where} is nested more than {MAX_DEPTH} levels deep"
    citation = repair_json(raw)
    problem = citation_problem(citation)
    return (None, problem) if problem else (citation, None)


def check_citations(citations: Any, path: str) -> None:
    """ValueError naming the path unless ``citations`` (of the message at ``path``) is a list of
    well-shaped citations."""
    if not isinstance(citations, list):
        raise ValueError(f"{path}: 'citations' must be a list of citation objects.")
    for j, citation in enumerate(citations):
        problem = citation_problem(citation)
        if problem:
            raise ValueError(f"{path}['citations'][{j}]: {problem}.")


# --- images ------------------------------------------------------------------------------------


class DecompressionBomb(ValueError):
    """An image with more pixels than Pillow's limit, refused before it is decoded."""


def open_image(data: bytes, where: str, *, upright: bool = False) -> Any:
    """Open image bytes with Pillow, refusing a decompression bomb before it is decoded (more
    pixels than Pillow's ``Image.MAX_IMAGE_PIXELS``), and loaded. ``upright``: apply its EXIF
    orientation first (a re-encoded image loses the tag, and a portrait photo would reach the
    model sideways)."""
    from PIL import Image, ImageOps

    limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        image = None
    if image is None or (limit and image.size[0] * image.size[1] > limit):
        size = "" if image is None else f" ({image.size[0]}x{image.size[1]})"
        raise DecompressionBomb(
            f"{where} has more pixels{size} than Pillow's limit of {limit} "
            "(PIL.Image.MAX_IMAGE_PIXELS): refused before decoding, as a possible "
            "decompression bomb. Scale it down first."
        )
    image.load()
    return ImageOps.exif_transpose(image) if upright else image


# --- files and histories -----------------------------------------------------------------------


def parse_json_text(text: str, what: str) -> Any:
    """``json.loads`` whose every failure (depth included) is a ValueError naming ``what``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply to be read.") from None


def forward_compatible(messages: Any, allowed: dict[str, set[str]], path: str = "messages") -> Any:
    """A loaded file's messages without the keys this version does not know (written by a newer
    one), with one warning naming them; the conversation still opens."""
    if not isinstance(messages, list):
        return messages
    dropped: set[str] = set()
    kept = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        known = allowed.get(role) if isinstance(role, str) else None
        if known is None:
            kept.append(message)
            continue
        extra = {key for key in message if key not in known}
        dropped |= {str(key) for key in extra}
        kept.append({key: value for key, value in message.items() if key not in extra})
    if dropped:
        warnings.warn(
            f"Ignored unknown message keys {sorted(dropped)} in {path} (written by a newer "
            "co_widget?).",
            stacklevel=4,
        )
    return kept


# --- links written into Markdown -----------------------------------------------------------------

_SAFE_SCHEME = re.compile(r"(?i)(?:https?|mailto):")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:", re.IGNORECASE)
# Where Markdown (and the HTML it allows) takes a URL: [text](url), <url>, [ref]: url, and
# href= / src= attributes. Group "url" is the destination as written.
_LINK_TARGETS = re.compile(
    r"""(?P<lead>\]\(\s*<?|<(?=[a-z][a-z0-9+.\-]*:)|^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?"""
    r"""|\b(?:href|src|action|formaction|xlink:href)\s*=\s*["']?)(?P<url>[^\s)>"'<]*)""",
    re.IGNORECASE | re.MULTILINE,
)


def safe_link(url: Any) -> str | None:
    """``url`` if it is an http(s) or mailto link, else None (a transcript writes no other)."""
    return url if isinstance(url, str) and _SAFE_SCHEME.match(url.strip()) else None


def safe_markdown_links(text: str) -> str:
    """``text`` with every link destination whose scheme is not http(s) or mailto (after the
    entity decoding and the control characters Markdown readers ignore) replaced by ``#``:
    a transcript of model output writes no ``javascript:``, ``data:`` or ``file:`` link.
    Relative links (no scheme) stay."""

    def fix(match: re.Match[str]) -> str:
        url = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(match["url"]))
        if _SCHEME.match(url) and not _SAFE_SCHEME.match(url):
            return match["lead"] + "#"
        return match[0]

    return _LINK_TARGETS.sub(fix, text)
