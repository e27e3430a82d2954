"""Generation parameters and the request body of ``POST /v2/chat``.

Only the documented v2 fields are accepted, with the documented ranges (Cohere's OpenAPI spec for
``/v2/chat``), so a typo or an out-of-range value fails here with a ValueError instead of an HTTP
400 after a round trip. ``None`` means "unset": such fields are omitted, because the API documents
no ``null`` values and Cohere's SDK never sends them.

Note ``p``: its documented range is [0.01, 0.99]. The original example request sends ``"p": 0``,
which is therefore rejected here (leave ``p`` unset for the default 0.75).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..wire.json_values import check_json, check_text
from .boundary import documents as checked_documents
from .messages import validate_messages

__all__ = ["build_chat_body", "check_model", "check_system", "validate_params"]

_NUMBER_RANGES = {  # name: (low, high), inclusive
    "temperature": (0.0, 1.0),
    "p": (0.01, 0.99),
    "frequency_penalty": (0.0, 1.0),
    "presence_penalty": (0.0, 1.0),
}
_INT_RANGES = {  # name: (low, high), inclusive; None = unbounded
    "k": (0, 500),
    "max_tokens": (1, None),
    "seed": (0, 2**64 - 1),
    "priority": (0, 999),
}
_ENUMS = {
    "safety_mode": ("CONTEXTUAL", "STRICT", "OFF"),
    "tool_choice": ("REQUIRED", "NONE"),
}
_BOOLS = ("strict_tools", "logprobs")
_OBJECTS = ("thinking", "response_format", "citation_options", "tools", "documents")
_STRINGS = ("stop_sequences",)
KNOWN_PARAMS = tuple(
    sorted([*_NUMBER_RANGES, *_INT_RANGES, *_ENUMS, *_BOOLS, *_OBJECTS, *_STRINGS])
)

# Names people bring from v1, other SDKs or the raw request; each gets a pointed fix.
_RENAMED = {
    "stream": "co_widget always streams; drop it",
    "model": "pass model= on its own",
    "messages": "pass the history as messages= (or chat.history)",
    "system": "pass system= on its own",
    "preamble": "v2 calls it the system message: pass system=",
    "chat_history": "v2 takes the whole history as messages",
    "message": "v2 takes the whole history as messages",
    "top_p": "Cohere calls it p",
    "top_k": "Cohere calls it k",
    "max_new_tokens": "Cohere calls it max_tokens",
    "stop": "Cohere calls it stop_sequences",
}
_TOOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CITATION_MODES = ("ENABLED", "DISABLED", "FAST", "ACCURATE", "OFF")


def validate_params(params: dict[str, Any]) -> dict[str, Any]:
    """Check generation parameters; return a copy without the ``None`` (unset) values.

    Raises ValueError for an unknown name (listing the known ones) or a value outside the
    documented range, e.g. ``p`` must lie in [0.01, 0.99], so ``p=0`` is rejected.
    """
    result = {name: value for name, value in params.items() if value is not None}
    for name, value in result.items():
        if name in _NUMBER_RANGES:
            low, high = _NUMBER_RANGES[name]
            if not _is_number(value) or not low <= value <= high:
                raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}.")
        elif name in _INT_RANGES:
            least, most = _INT_RANGES[name]
            if not _is_int(value) or value < least or (most is not None and value > most):
                bounds = f">= {least}" if most is None else f"in [{least}, {most}]"
                raise ValueError(f"{name} must be an integer {bounds}, got {value!r}.")
        elif name in _ENUMS:
            if value not in _ENUMS[name]:
                raise ValueError(f"{name} must be one of {_ENUMS[name]}, got {value!r}.")
        elif name in _BOOLS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}.")
        elif name == "stop_sequences":
            _check_stop_sequences(value)
        elif name == "documents":  # files and DataFrames become JSON documents first
            result[name] = checked_documents(value)
        elif name in _OBJECTS:
            check_json(value, name)  # sent as JSON with every request: fail now, not then
            result[name] = _CHECK_OBJECT[name](value)
        else:
            fix = _RENAMED.get(name)
            raise ValueError(
                f"Unknown parameter {name!r}{f' ({fix})' if fix else ''}. "
                f"Known parameters: {', '.join(KNOWN_PARAMS)}."
            )
    if result.get("tool_choice") == "REQUIRED" and not result.get("tools"):
        raise ValueError("tool_choice='REQUIRED' needs tools=[...].")
    return copy.deepcopy(result)


def build_chat_body(
    model: str, messages: list[dict[str, Any]], system: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """The JSON body of a streamed ``POST /v2/chat``.

    ``messages`` is validated (and normalised) with :func:`validate_messages`; the widget's
    ``_co`` metadata is stripped; ``system`` (if any) becomes the first message.
    """
    check_model(model)
    check_system(system)
    history = validate_messages(messages)
    for message in history:
        message.pop("_co", None)
    if system:
        history.insert(0, {"role": "system", "content": system})
    return {"stream": True, "model": model, "messages": history, **validate_params(params)}


def check_model(model: Any) -> None:
    if not isinstance(model, str) or not model.strip():
        raise ValueError(
            f"model must be a Cohere model name such as 'command-a-03-2025', got {model!r}."
        )
    check_text(model, "model")


def check_system(system: Any) -> None:
    if system is not None and not isinstance(system, str):
        raise ValueError(f"system must be a string or None, got {type(system).__name__}.")
    if system:
        check_text(system, "system")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_stop_sequences(value: Any) -> None:
    if (
        not isinstance(value, (list, tuple))
        or len(value) > 5
        or not all(isinstance(s, str) and s for s in value)
    ):
        raise ValueError(
            f"stop_sequences must be a list of at most 5 non-empty strings, got {value!r}."
        )


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


def _check_option_object(
    name: str, value: Any, fields: dict[str, tuple[Any, ...] | type]
) -> dict[str, Any]:
    """A small options object: known keys only, each either an enum (tuple) or a type."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict with keys {sorted(fields)}, got {value!r}.")
    value = _drop_none(value)
    for key, item in value.items():
        allowed = fields.get(key)
        if allowed is None:
            raise ValueError(f"{name} has unknown key {key!r}; known keys: {sorted(fields)}.")
        ok = item in allowed if isinstance(allowed, tuple) else isinstance(item, allowed)
        if not ok:
            what = f"one of {allowed}" if isinstance(allowed, tuple) else allowed.__name__
            raise ValueError(f"{name}[{key!r}] must be {what}, got {item!r}.")
    checked: dict[str, Any] = value
    return checked


def _check_thinking(value: Any) -> dict[str, Any]:
    thinking = _check_option_object(
        "thinking", value, {"type": ("enabled", "disabled"), "token_budget": int}
    )
    if "type" not in thinking:
        if "token_budget" not in thinking:
            raise ValueError("thinking needs 'type': 'enabled' or 'disabled'.")
        # Cohere's own docs example gives only a budget; the API requires the type.
        thinking["type"] = "enabled"
    budget = thinking.get("token_budget")
    if budget is not None and (isinstance(budget, bool) or budget < 1):
        raise ValueError(f"thinking['token_budget'] must be an integer >= 1, got {budget!r}.")
    return thinking


def _check_response_format(value: Any) -> dict[str, Any]:
    fields: dict[str, tuple[Any, ...] | type] = {
        "type": ("text", "json_object"),
        "json_schema": dict,
    }
    checked = _check_option_object("response_format", value, fields)
    if "type" not in checked:
        raise ValueError("response_format needs 'type': 'text' or 'json_object'.")
    if "json_schema" in checked and checked["type"] != "json_object":
        raise ValueError("response_format['json_schema'] needs 'type': 'json_object'.")
    return checked


def _check_citation_options(value: Any) -> dict[str, Any]:
    # Cohere's docs write the modes in lower case, its schema's enum in upper case: accept both,
    # send upper case.
    if isinstance(value, dict) and isinstance(value.get("mode"), str):
        value = {**value, "mode": value["mode"].upper()}
    return _check_option_object("citation_options", value, {"mode": _CITATION_MODES})


def _check_tools(value: Any) -> list[Any]:
    shape = (
        "{'type': 'function', 'function': {'name': str, 'description'?: str, "
        "'parameters': {JSON schema}}}"
    )
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"tools must be a list of {shape}.")
    for j, tool in enumerate(value):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(function, dict)
            or tool.get("type") != "function"
            or not isinstance(function.get("parameters"), dict)
        ):
            raise ValueError(f"tools[{j}] must look like {shape}, got {tool!r}.")
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise ValueError(
                f"tools[{j}] name {name!r} must use only letters, digits and '_', "
                "and not start with a digit."
            )
    return list(value)


_CHECK_OBJECT = {
    "thinking": _check_thinking,
    "response_format": _check_response_format,
    "citation_options": _check_citation_options,
    "tools": _check_tools,
}
