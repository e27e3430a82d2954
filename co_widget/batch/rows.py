"""The rows of ``chat.map`` and their requests: what a row is, how the template renders it, the
request body it becomes (from the chat's system, history, documents, tools and parameters),
and the key that recognises a row already done in the results file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..request.documents import with_turn_documents
from ..request.model_rules import check_request
from ..request.params import build_chat_body, validate_params
from ..request.structured import ResponseFormat, resolve_response_format
from ..session.conversation import history_view, validate_history

if TYPE_CHECKING:
    from ..session.widget import Chat
    from .journal import Journal

__all__ = ["RowPlan", "Rows", "Template", "build_request", "render", "request_key", "rows_of"]

Template = str | Callable[[Any], "str | dict[str, Any]"]
# What a callable template's dict may hold besides the generation parameters.
_SEND_KEYS = ("text", "documents", "history", "images", "detail", "response_format")


@dataclass(frozen=True)
class Rows:
    """The input as a sequence of rows; ``labels`` is a DataFrame's index (else None)."""

    items: Sequence[Any]
    labels: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def label(self, position: int) -> Any:
        return position if self.labels is None else self.labels[position]


def rows_of(rows: Any) -> Rows:
    """A pandas DataFrame (one dict per row, keyed by column), a list of dicts or a list of
    strings (or other values)."""
    if _is_dataframe(rows):
        return Rows(rows.to_dict("records"), list(rows.index))
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Sequence):
        raise TypeError(
            "rows must be a pandas DataFrame, a list of dicts or a list of strings, "
            f"not {type(rows).__name__}."
        )
    return Rows(rows)


def _is_dataframe(value: Any) -> bool:
    # pandas is an optional extra: recognise a DataFrame without importing it.
    return type(value).__name__ == "DataFrame" and hasattr(value, "to_dict")


def render(template: Template, row: Any, label: Any) -> dict[str, Any]:
    """The send arguments for one row: ``{"text": ..., ...}``. A str template is
    ``template.format(**row)`` for a dict row, and ``template.format(row, text=row)`` for any
    other (so ``"{}"`` and ``"{text}"`` both work for a list of strings). Raises ValueError naming
    the row when it cannot be rendered."""
    if isinstance(template, str):
        try:
            if isinstance(row, dict):
                return {"text": template.format(**row)}
            return {"text": template.format(row, text=row)}
        except (KeyError, IndexError) as exc:
            fields = ", ".join(map(str, row)) if isinstance(row, dict) else "text"
            raise ValueError(
                f"The template needs field {exc.args[0]!r}, which row {label!r} does not "
                f"have (its fields: {fields})."
            ) from None
    made = template(row)
    if isinstance(made, str):
        return {"text": made}
    if isinstance(made, dict) and isinstance(made.get("text"), str):
        return dict(made)
    raise TypeError(
        f"The template function must return a str or a dict with a 'text' str (and other send "
        f"arguments: {', '.join(_SEND_KEYS[1:])}, or parameters); for row {label!r} it "
        f"returned {type(made).__name__}."
    )


def build_request(
    chat: Chat,
    send: dict[str, Any],
    response_format: ResponseFormat | None,
    priority: int,
) -> tuple[dict[str, Any], ResponseFormat | None]:
    """The request body for one row's send arguments, and the format to parse its reply with.

    The row is its own conversation: the chat's history (or the row's ``history``), then the
    row's user message, with the chat's system, documents (plus the row's), tools and
    parameters. Raises ValueError or TypeError as ``chat.send`` would."""
    from ..session.widget import _user_turn  # not at import time: _widget imports _map

    send = dict(send)
    text = send.pop("text")
    history = send.pop("history", None)
    documents = send.pop("documents", None)
    images = send.pop("images", None)
    detail = send.pop("detail", None)
    fmt = response_format or chat._format
    if send.get("response_format") is not None:
        fmt = resolve_response_format(send["response_format"])
    send.pop("response_format", None)
    send.setdefault("priority", priority)
    params = validate_params(
        {**chat._params, **({"response_format": fmt.body} if fmt else {}), **send}
    )
    base = chat._store.full(chat.messages) if history is None else validate_history(history)
    user, _ = _user_turn(chat.model, text, images, detail, documents, lambda: history_view(base))
    messages = [*base, user]
    body = build_chat_body(
        chat.model,
        history_view(messages),
        chat.system or None,
        with_turn_documents(params, messages),
    )
    check_request(body)
    return body, fmt


def request_key(row: Any, body: dict[str, Any]) -> str:
    """A hash of the row and its request: the same row asked the same way has the same key."""
    data = json.dumps({"row": row, "request": body}, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


@dataclass
class RowPlan:
    """A map's fixed inputs, checked before anything starts."""

    chat: Chat
    rows: Rows
    template: Template
    fmt: ResponseFormat | None
    concurrency: int
    priority: int
    journal: Journal | None

    def prepare(
        self, position: int, seen: Counter[str]
    ) -> tuple[str, dict[str, Any], ResponseFormat | None]:
        """The row's key, request body and reply format; raises ValueError/TypeError for a row
        that cannot be rendered. A row repeated in the input gets its own key per repeat."""
        row = self.rows.items[position]
        send = render(self.template, row, self.rows.label(position))
        body, fmt = build_request(self.chat, send, self.fmt, self.priority)
        key = request_key(row, body)
        seen[key] += 1
        return (key if seen[key] == 1 else f"{key}#{seen[key]}"), body, fmt
