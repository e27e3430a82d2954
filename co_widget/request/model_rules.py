"""Combinations Cohere answers with a 400, rejected before any request.

Each rule's ValueError names the rule and the page of Cohere's docs that states it. Rules that
depend on the model read :data:`MODELS`, the one table of what co_widget knows about models; a
model not in it passes those rules unchecked, so a new model never breaks the package. To add a
model, add a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MODELS", "Capabilities", "capabilities", "check_request"]


@dataclass(frozen=True)
class Capabilities:
    vision: bool  # takes image_url blocks
    tools_with_images: bool = True  # takes tools in a request that holds images
    safety_off: bool = False  # takes safety_mode="OFF"
    # co_widget's cap on an image's longer side for this model: high detail splits images into
    # 512 px tiles, and bigger sides only cost upload bytes. None: no cap.
    max_image_side: int | None = None
    reasoning: bool = False  # takes thinking= (the header offers its toggle)
    # Tokens of context, when known; Cohere's /v1/models value replaces it (see ``request/models``).
    context_length: int | None = None
    deprecated: str | None = None  # the date Cohere deprecated it, ISO format
    replacement: str | None = None  # what to use instead of a deprecated model


def _deprecated_alias(replacement: str, context_length: int | None = None) -> Capabilities:
    """An alias Cohere deprecated on 2025-09-15 (its /v1/models says is_deprecated)."""
    return Capabilities(
        vision=False,
        safety_off=True,
        context_length=context_length,
        deprecated="2025-09-15",
        replacement=replacement,
    )


# Keys are model names, or name prefixes ending in "*"; the longest match wins.
# Sources: docs.cohere.com "Command A Vision" and "Image Inputs" (vision, no tools with
# images), "Safety Modes" (OFF only before Command R7B), the models overview (context lengths,
# reasoning, the aliases deprecated on 2025-09-15).
MODELS: dict[str, Capabilities] = {
    "command-a-plus-05-2026": Capabilities(
        vision=True, reasoning=True, context_length=128_000, max_image_side=2048
    ),
    "command-a-vision-*": Capabilities(
        vision=True, tools_with_images=False, max_image_side=2048, context_length=128_000
    ),
    "command-a-03-2025": Capabilities(vision=False, context_length=256_000),
    "command-a-reasoning-*": Capabilities(vision=False, reasoning=True, context_length=256_000),
    "command-a-translate-*": Capabilities(vision=False),
    "north-mini-code-1-0": Capabilities(vision=False),
    "command-r7b-*": Capabilities(vision=False, context_length=128_000),
    "command-r-08-2024": Capabilities(vision=False, safety_off=True, context_length=128_000),
    "command-r-plus-08-2024": Capabilities(vision=False, safety_off=True, context_length=128_000),
    "command-r": _deprecated_alias("command-r-08-2024", 128_000),
    "command-r-plus": _deprecated_alias("command-r-plus-08-2024", 128_000),
    "command": _deprecated_alias("command-a-03-2025"),
    "command-light": _deprecated_alias("command-r7b-12-2024"),
}

_DOCS = {
    "structured": "https://docs.cohere.com/docs/structured-outputs",
    "vision": "https://docs.cohere.com/docs/command-a-vision",
    "images": "https://docs.cohere.com/docs/image-inputs",
    "strict_tools": "https://docs.cohere.com/docs/tool-use-parameter-types",
    "safety": "https://docs.cohere.com/docs/safety-modes",
}
# Cohere's limit on the parameters of all tools together under strict_tools.
MAX_STRICT_FIELDS = 200


def capabilities(model: str) -> Capabilities | None:
    """What co_widget knows about ``model``; None for a model not in :data:`MODELS`."""
    if model in MODELS:
        return MODELS[model]
    prefixes = [key[:-1] for key in MODELS if key.endswith("*") and model.startswith(key[:-1])]
    return MODELS[max(prefixes, key=len) + "*"] if prefixes else None


def _rule(name: str, text: str, docs: str) -> ValueError:
    return ValueError(f"{text} [rule: {name}; see {_DOCS[docs]}]")


def check_request(body: dict[str, Any]) -> None:
    """Raise ValueError for a request body Cohere would reject (see the module docstring)."""
    model = body.get("model", "")
    caps = capabilities(model)
    images = any(
        isinstance(block, dict) and block.get("type") == "image_url"
        for message in body.get("messages", [])
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for block in message["content"]
    )
    tools = body.get("tools")
    if body.get("response_format") is not None and (tools or body.get("documents")):
        raise _rule(
            "response_format with tools or documents",
            "response_format cannot be combined with tools or documents: send them in "
            "separate requests.",
            "structured",
        )
    if images and caps is not None and not caps.vision:
        raise _rule(
            "images need a vision model",
            f"{model} does not take images; use a vision model such as "
            "'command-a-vision-07-2025', or send without images.",
            "images",
        )
    if images and tools and caps is not None and not caps.tools_with_images:
        raise _rule(
            "no tools with images on this model",
            f"{model} does not take tools in a request that holds images: remove the tools, "
            "or the images.",
            "vision",
        )
    if body.get("strict_tools") and tools:
        _check_strict_tools(tools)
    if body.get("safety_mode") == "OFF" and caps is not None and not caps.safety_off:
        raise _rule(
            "safety_mode OFF",
            f"{model} accepts safety_mode 'CONTEXTUAL' or 'STRICT' only, not 'OFF'.",
            "safety",
        )


def _check_strict_tools(tools: list[dict[str, Any]]) -> None:
    fields = 0
    for tool in tools:
        parameters = tool["function"]["parameters"]
        fields += _count_fields(parameters)
        if not parameters.get("required"):
            raise _rule(
                "strict_tools needs required parameters",
                f"with strict_tools, every tool needs at least one required parameter; "
                f"{tool['function']['name']!r} has none.",
                "strict_tools",
            )
    if fields > MAX_STRICT_FIELDS:
        raise _rule(
            "strict_tools field limit",
            f"with strict_tools, the tools may have at most {MAX_STRICT_FIELDS} parameters in "
            f"all; these have {fields}.",
            "strict_tools",
        )


def _count_fields(schema: Any) -> int:
    """The properties of a JSON schema, nested objects' included."""
    if isinstance(schema, list):
        return sum(_count_fields(item) for item in schema)
    if not isinstance(schema, dict):
        return 0
    properties = schema.get("properties")
    own = len(properties) if isinstance(properties, dict) else 0
    return own + sum(_count_fields(value) for value in schema.values())
