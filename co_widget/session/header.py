"""The widget's header: the model picker, the thinking toggle, and the cost and context gauges.

The kernel decides what the header shows and keeps it in two synced traits of the chat:
``request/models`` (the picker's choices) and ``session/header`` (the deprecation notice, whether
the model reasons, the thinking setting, the running cost and the context fill). They are rewritten
when the model, the conversation or Cohere's model list change. A view's change comes back as a
``settings`` message (see ``session/protocol``) and applies from the next turn.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..request.models import catalog as model_catalog
from ..request.models import (
    deprecation_note,
    load_cached,
    model_info,
    on_refresh,
    refresh_in_background,
)
from ..request.models import warn_if_deprecated as warn_deprecated
from ..request.params import check_model, validate_params
from ..request.pricing import context_tokens, cost_of, price_of

if TYPE_CHECKING:
    from .widget import Chat

__all__ = ["Header", "chat_cost"]


class Header:
    def __init__(self, chat: Chat, endpoint: Callable[[], tuple[str, str]]) -> None:
        self._chat = weakref.ref(chat)  # Cohere's list may arrive after the chat is gone
        self._endpoint = endpoint
        try:
            self._base_url = endpoint()[0]
        except (TypeError, ValueError):  # a bad $CO_API_URL: the first send says so
            self._base_url = ""
            return
        method = weakref.WeakMethod(self._refreshed)

        def refreshed() -> bool:
            alive = method()
            if alive is not None:
                alive()
            return alive is not None

        on_refresh(self._base_url, refreshed)
        load_cached(self._base_url)

    def view_opened(self) -> None:
        """A view rendered: read Cohere's list for the picker (once per kernel)."""
        try:
            base_url, key = self._endpoint()
        except (TypeError, ValueError):
            return
        if base_url == self._base_url:
            refresh_in_background(base_url, key)

    def warn_if_deprecated(self, model: str) -> None:
        warn_deprecated(model_info(self._base_url, model), stacklevel=3)

    def _refreshed(self) -> None:
        chat = self._chat()
        if chat is not None:
            with chat._runner.lock:  # from the reading thread: trait writes take the chat's lock
                self.update(chat)

    def update(self, chat: Chat) -> None:
        """Rewrite ``request/models`` and ``session/header`` from the chat's state."""
        info = model_info(self._base_url, chat.model)
        choices = [
            {"name": m.name, "reasoning": m.reasoning, "deprecated": m.deprecated}
            for m in sorted(model_catalog(self._base_url).values(), key=lambda m: m.name)
            if not m.deprecated or m.name == chat.model
        ]
        if not any(c["name"] == chat.model for c in choices):  # an unknown model passes through
            choices.insert(0, {"name": chat.model, "reasoning": False, "deprecated": False})
        if chat._models != choices:
            chat._models = choices
        billed = chat.usage.get("billed_units", {})
        chat._header = {
            "notice": deprecation_note(info),
            "reasoning": bool(info and info.reasoning),
            "thinking": chat._params.get("thinking"),
            "cost": chat.cost,
            "tokens": int(sum(billed.values())),
            "context_used": chat.context_used,
            "context_length": info.context_length if info else None,
        }

    def apply(self, chat: Chat, settings: dict[str, Any]) -> None:
        """A view's ``settings`` message: ``model`` and/or ``thinking`` (None: the model's
        default). Raises ValueError for a bad value; nothing changes then."""
        model = settings.get("model", chat.model)
        check_model(model)
        params = dict(chat._params)
        if "thinking" in settings:
            params["thinking"] = settings["thinking"]
        params = validate_params(params)
        with chat.hold_trait_notifications():
            chat._params = params
            chat.model = model  # its observer updates the header
        self.update(chat)


def chat_cost(messages: list[dict[str, Any]], model: str, prices: dict[str, Any]) -> float | None:
    """The conversation's cost: each reply's billed tokens at its model's price; None when a
    reply's model has no price (or, before any reply, the chat's model has none)."""
    total, priced = 0.0, price_of(model, prices) is not None
    for message in messages:
        meta = message.get("_co") or {}
        if message.get("role") != "assistant" or not meta.get("usage"):
            continue
        cost = cost_of(meta["usage"], meta.get("model", model), prices)
        if cost is None:
            return None
        total, priced = total + cost, True
    return total if priced else None


def context_used(chat: Chat) -> int:
    return context_tokens(chat.messages, chat.system)
