"""Structured output: ``response_format=`` as a pydantic model class or a JSON schema, and
``reply.parsed``.

Accepted forms (on ``Chat(...)`` and on ``send()``):

* a pydantic model class: its schema comes from pydantic's own ``model_json_schema()``, and
  ``reply.parsed`` is the validated instance;
* a JSON schema dict (``{"type": "object", ...}``): ``reply.parsed`` is the parsed dict;
* a v2 ``response_format`` dict, as the API takes it: ``{"type": "json_object", "json_schema"?:
  {...}}`` or ``{"type": "text"}``.

Cohere's structured outputs reject some JSON schema features with a 400 (the "Structured
Outputs" page of Cohere's docs); they are found here first and listed in one ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .boundary import parse_json_text

__all__ = ["ResponseFormat", "resolve_response_format", "schema_problems"]

DOCS = "https://docs.cohere.com/docs/structured-outputs"
_COMBINATORS = ("allOf", "oneOf", "not")
_NUMERIC_LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_LENGTH_LIMITS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
# Keywords whose value is one schema, a list of schemas, or a name -> schema mapping.
_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")


@dataclass(frozen=True)
class ResponseFormat:
    """What to send as ``response_format``, and how to read the reply back."""

    body: dict[str, Any]
    model: Any = None  # the pydantic model class, if one was given

    @property
    def is_json(self) -> bool:
        return self.body.get("type") == "json_object"

    def parse(self, text: str) -> Any:
        """The reply's text as the model instance (or a dict); ValueError if it does not fit
        (pydantic's ValidationError and json's JSONDecodeError are ValueErrors)."""
        if not self.is_json:
            raise ValueError(
                "reply.parsed needs a JSON response_format: send(..., response_format=Model)."
            )
        if self.model is not None:
            return self.model.model_validate_json(text)
        return parse_json_text(text, "The reply's JSON")


def resolve_response_format(value: Any) -> ResponseFormat | None:
    """``value`` (a pydantic model class, a JSON schema dict, a response_format dict or None)
    as a ResponseFormat. Raises TypeError for other types, ValueError for rejected schemas."""
    if value is None:
        return None
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        schema = value.model_json_schema()
        _check_schema(schema)
        return ResponseFormat({"type": "json_object", "json_schema": schema}, value)
    if not isinstance(value, dict):
        raise TypeError(
            "response_format must be a pydantic model class, a JSON schema dict, or "
            f"{{'type': 'json_object', 'json_schema': {{...}}}}; got {type(value).__name__}."
        )
    if value.get("type") in ("text", "json_object"):
        schema = value.get("json_schema")
        if isinstance(schema, dict):
            _check_schema(schema)
        return ResponseFormat(dict(value))
    _check_schema(value)
    return ResponseFormat({"type": "json_object", "json_schema": value})


def _check_schema(schema: dict[str, Any]) -> None:
    problems = schema_problems(schema)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ValueError(
            f"response_format: Cohere rejects these JSON schema features ({DOCS}):\n{listed}\n"
            "Remove them (check limits on the parsed value in Python instead)."
        )


def schema_problems(schema: Any) -> list[str]:
    """Every feature of ``schema`` that Cohere's structured outputs reject, with its path."""
    problems = []
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problems.append("the top level must be an object ('type': 'object')")
    _walk(schema, "$", problems)
    return problems


def _walk(node: Any, path: str, problems: list[str]) -> None:
    if not isinstance(node, dict):
        return
    for keyword in _COMBINATORS:
        if keyword in node:
            problems.append(f"{path}: '{keyword}' is not supported")
    for keyword in _NUMERIC_LIMITS:
        if keyword in node:
            problems.append(f"{path}: numeric limit '{keyword}' is not supported")
    for keyword in _LENGTH_LIMITS:
        if keyword in node:
            problems.append(f"{path}: length limit '{keyword}' is not supported")
    if (node.get("type") == "object" or "properties" in node) and not node.get("required"):
        problems.append(f"{path}: an object needs at least one required field ('required')")
    for keyword in _SUBSCHEMA:
        _walk(node.get(keyword), f"{path}.{keyword}", problems)
    for keyword in _SUBSCHEMA_LISTS:
        for i, item in enumerate(node.get(keyword) or []):
            _walk(item, f"{path}.{keyword}[{i}]", problems)
    for keyword in _SUBSCHEMA_MAPS:
        mapping = node.get(keyword)
        if isinstance(mapping, dict):
            for name, item in mapping.items():
                _walk(item, f"{path}.{keyword}.{name}", problems)
