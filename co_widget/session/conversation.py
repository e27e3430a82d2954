"""The conversation as data: the chat's ``messages``, the history view of it, and the saved file.

``Chat.messages`` (the synced trait, saved with the notebook) holds Cohere v2 messages; each
reply the widget streamed also carries a ``"_co"`` record: ``status`` ("complete", "stopped",
"interrupted" or "error"), ``finish_reason``, ``usage``, ``error`` (the error's ``to_dict()``)
and ``warnings``. Rules:

* A failed turn stays visible: the user message is kept and followed by an assistant turn with
  ``_co.status == "error"`` and ``content: ""`` (nothing arrived) or with the partial output
  (``"interrupted"``: the stream broke, or the model ended with finish_reason ERROR/TIMEOUT).
* A stopped turn (``"stopped"``) keeps what arrived. A kept partial reply is an ordinary, valid
  assistant message; only tool calls cut off mid-arguments are left out.
* ``chat.history`` is ``messages`` without ``_co`` and without widget turns that hold nothing
  (no content, no tool calls): always valid for ``cohere.ClientV2().chat(messages=...)``.
"""

from __future__ import annotations

import copy
import glob
import json
import os
import stat
import time
import warnings
from pathlib import Path
from typing import Any

from .._files import replace_atomically
from ..request.boundary import forward_compatible, parse_json_text
from ..request.messages import MESSAGE_KEYS, validate_messages
from ..request.params import validate_params
from ..turn.parts import record_problem

__all__ = [
    "FILE_FORMAT",
    "FILE_VERSION",
    "dump_chat",
    "history_view",
    "load_chat",
    "read_chat_file",
    "regenerate_base",
    "undo_exchanges",
    "usage_totals",
    "validate_history",
    "write_chat_file",
]

FILE_FORMAT = "co_widget.chat"
FILE_VERSION = 1
_FILE_KEYS = {"format", "version", "model", "system", "params", "messages"}

Message = dict[str, Any]


def history_view(messages: list[Message]) -> list[Message]:
    """A deep copy for the API: ``_co`` stripped, empty widget turns dropped."""
    return [
        {key: copy.deepcopy(value) for key, value in message.items() if key != "_co"}
        for message in messages
        if not _is_empty_turn(message)
    ]


def _is_empty_turn(message: Message) -> bool:
    # Only the widget's own turns (with _co) are dropped: a history the user set is theirs.
    return (
        "_co" in message
        and message.get("role") == "assistant"
        and not message.get("content")
        and not message.get("tool_calls")
    )


def undo_exchanges(messages: list[Message], n: int) -> list[Message]:
    """``messages`` without its last ``n`` exchanges (a user message and all after it)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}.")
    starts = [i for i, message in enumerate(messages) if message.get("role") == "user"]
    if n > len(starts):
        raise ValueError(
            f"Cannot undo {n} exchanges: the chat has {len(starts)}. "
            "Use chat.clear() to forget them all."
        )
    return messages[: starts[-n]]


def regenerate_base(messages: list[Message]) -> list[Message]:
    """``messages`` without its trailing assistant turns (and the tool steps the widget ran for
    them): what to ask again. Tool results the user added stay: asking again continues them."""
    end = len(messages)
    while end and (
        messages[end - 1].get("role") == "assistant"
        or (messages[end - 1].get("role") == "tool" and "_co" in messages[end - 1])
    ):
        end -= 1
    if not end:
        raise ValueError("Nothing to regenerate: send a message first.")
    return messages[:end]


def usage_totals(messages: list[Message]) -> dict[str, dict[str, int | float]]:
    """Token totals of the replies in ``messages``, in Cohere's usage shape.

    ``billed_units`` is what Cohere bills; ``tokens`` includes its prompt template. Replies
    undone or regenerated away no longer count.
    """
    totals: dict[str, dict[str, int | float]] = {
        "billed_units": {"input_tokens": 0, "output_tokens": 0},
        "tokens": {"input_tokens": 0, "output_tokens": 0},
    }
    for message in messages:
        usage = (message.get("_co") or {}).get("usage") or {}
        for group, counts in totals.items():
            for name in counts:
                # The API sends JSON numbers; Cohere's SDK types them as floats.
                counts[name] += (usage.get(group) or {}).get(name) or 0
    return totals


def dump_chat(
    model: str, system: str | None, params: dict[str, Any], messages: list[Message]
) -> dict[str, Any]:
    """The saved form of a chat (JSON-ready). Never holds connection settings or the key."""
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "model": model,
        "system": system,
        "params": copy.deepcopy(params),
        "messages": copy.deepcopy(messages),
    }


def load_chat(doc: Any) -> tuple[str, str | None, dict[str, Any], list[Message]]:
    """Check a saved chat; return ``(model, system, params, messages)``.

    Raises ValueError for a file that is not a co_widget chat, holds an invalid history, or
    has anything but generation parameters in ``params``.
    """
    try:
        return _load_chat(doc)
    except (TypeError, AttributeError, KeyError, RecursionError) as error:
        # The checks name the path of every problem they know; this is for the rest.
        raise ValueError(
            f"Saved chat is malformed ({type(error).__name__}: {error}); it cannot be opened."
        ) from None


def _load_chat(doc: Any) -> tuple[str, str | None, dict[str, Any], list[Message]]:
    """Check a saved chat; return ``(model, system, params, messages)``.

    Raises ValueError for a file that is not a co_widget chat, holds an invalid history, or
    has anything but generation parameters in ``params``.
    """

    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
        raise ValueError(f"Not a saved co_widget chat (no 'format': {FILE_FORMAT!r}).")
    if doc.get("version") != FILE_VERSION:
        raise ValueError(
            f"Saved chat has format version {doc.get('version')!r}; this co_widget reads "
            f"version {FILE_VERSION}. Upgrade co_widget to open it."
        )
    model, system, params = doc.get("model"), doc.get("system"), doc.get("params", {})
    if not isinstance(model, str):
        raise ValueError("Saved chat has no model name.")
    if system is not None and not isinstance(system, str):
        raise ValueError("Saved chat's 'system' must be a string or null.")
    if not isinstance(params, dict):
        raise ValueError("Saved chat's 'params' must be an object.")
    unknown = sorted(set(doc) - _FILE_KEYS)
    if unknown:  # a newer co_widget's additions: the conversation still opens
        warnings.warn(
            f"Ignored unknown keys {unknown} in a saved chat (written by a newer co_widget?).",
            stacklevel=3,
        )
    # Checked here, not only by Chat(): ``params`` become keyword arguments, so a shared file
    # with a "base_url" in them would send the reader's API key to the server it names.
    messages = forward_compatible(doc.get("messages", []), MESSAGE_KEYS)
    return model, system, validate_params(params), validate_history(messages)


def validate_history(messages: Any) -> list[Message]:
    """``validate_messages``, plus the widget's metadata (``_co``), whose fields the widget, the
    usage totals and the transcript read. Unknown ``_co`` fields are kept (newer versions)."""
    checked = validate_messages(messages)
    for i, message in enumerate(checked):
        problem = record_problem(message.get("_co", {}))
        if problem:
            raise ValueError(f"messages[{i}]['_co'] (co_widget's metadata): {problem}")
    return checked


def write_chat_file(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    """Write a saved chat atomically: encoded in full first, then written to a temporary file in
    the same folder and moved over ``path``. A failure leaves an existing file as it was.

    A symlink is written through (its target is replaced, the link stays); an existing file
    keeps its permission bits; temporary files that a killed save left behind are removed."""
    data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    _remove_stale_temporaries(target)
    replace_atomically(target, lambda file: file.write(data), mode=mode, durable=True)


# A save in progress takes milliseconds: a temporary file this old was left by a killed one.
STALE_TEMPORARY = 60.0


def _remove_stale_temporaries(target: Path) -> None:
    now = time.time()
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMPORARY:
                leftover.unlink()
        except OSError:
            pass  # gone meanwhile, or not ours to remove: the save goes on


def read_chat_file(path: str | os.PathLike[str]) -> Any:
    """The JSON of a saved chat; a UTF-8 byte-order mark (some editors add one) is accepted.
    Every failure to read it as JSON (nesting too deep included) is a ValueError."""
    return parse_json_text(Path(path).read_text(encoding="utf-8-sig"), f"{os.fspath(path)!r}")
