"""Python functions as Cohere v2 tools: the schema from the signature, the call from the model.

``build_toolset(tools)`` turns ``Chat(tools=[...])`` into what is sent (``ToolSet.specs``, the
v2 ``{"type": "function", "function": {...}}`` dicts) and what is run (``ToolSet.functions``):

* a raw v2 tool dict passes through unchanged; co_widget never runs it (the reply ends at
  ``TOOL_CALL`` and the user answers by hand, as before tools could be functions);
* a callable (plain or ``async def``) gets a schema built by pydantic from its type hints, and
  descriptions from its docstring (Google, NumPy or reST, read by docstring-parser). An
  ``Annotated[..., Field(description=...)]`` description wins over the docstring's.

Anything that cannot become a tool raises TypeError at ``Chat(...)``, naming the function and the
parameter, so a bad tool never reaches a request.

``Tool.parse_arguments`` checks the model's JSON arguments against the same pydantic model (the
function is never called with arguments that do not fit), and ``tool_content`` turns what the
function returned into the ``content`` of its ``role: "tool"`` message.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

import docstring_parser
import pydantic
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticSerializationError, to_jsonable_python

__all__ = ["Tool", "ToolArgumentsError", "ToolSet", "build_toolset", "tool_content"]

# Cohere's rule for tool names (its 400 says: letters, digits and underscores, no leading digit).
_TOOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the model may send for "no arguments": real streams send "", "null", or no delta at all.
_NO_ARGUMENTS = ("", "null")


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the tool: bad JSON, or a schema violation."""


class _Schema(GenerateJsonSchema):
    """pydantic's JSON schema without the generated titles ("City", "Unit"...): they only
    repeat the property names, and the model reads every token of the tool list."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@dataclasses.dataclass(frozen=True, eq=False)
class Tool:
    """One callable tool: its name, its v2 spec, and how to call it."""

    name: str
    function: Callable[..., Any]
    spec: dict[str, Any]
    is_async: bool
    _model: type[pydantic.BaseModel] = dataclasses.field(repr=False)
    _params: dict[str, inspect.Parameter] = dataclasses.field(repr=False)

    def parse_arguments(self, raw: str | None) -> dict[str, Any]:
        """The keyword arguments for the function, from the model's JSON ``arguments``.

        ``""``, ``"null"`` and None (no argument events at all) mean no arguments. Values are
        validated and converted by pydantic (an Enum member, a model instance...). Parameters
        the model left out are left out here too, so the function's own defaults apply.
        Raises ToolArgumentsError with the validation message.
        """
        text = (raw or "").strip()
        if text in _NO_ARGUMENTS:
            data: Any = {}
        else:
            try:
                data = json.loads(text)
            except ValueError as error:
                raise ToolArgumentsError(f"the arguments are not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise ToolArgumentsError(
                f"the arguments must be a JSON object, got {type(data).__name__}"
            )
        try:
            validated = self._model.model_validate(data)
        except pydantic.ValidationError as error:
            raise ToolArgumentsError(_validation_message(error)) from None
        return {
            self._params[field].name: getattr(validated, field)
            for field in validated.model_fields_set
        }

    def call(self, arguments: dict[str, Any]) -> Any:
        """Call the function (positional-only parameters positionally). An ``async def``
        function returns its coroutine: the caller runs it on an event loop of its own."""
        args = [
            arguments.pop(p.name)
            for p in self._params.values()
            if p.kind is inspect.Parameter.POSITIONAL_ONLY and p.name in arguments
        ]
        return self.function(*args, **arguments)


@dataclasses.dataclass(frozen=True)
class ToolSet:
    """``specs``: the tool list sent with every request; ``functions``: the tools co_widget runs,
    by name (raw dict tools are in ``specs`` only)."""

    specs: list[dict[str, Any]]
    functions: dict[str, Tool]


def build_toolset(tools: Any) -> ToolSet:
    """Check ``Chat(tools=...)`` and build the tool list; TypeError for anything unsupported."""
    if tools is None:
        return ToolSet([], {})
    if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Sequence):
        raise TypeError(
            "tools must be a list of functions and/or v2 tool dicts, "
            f"got {type(tools).__name__}: wrap a single tool in a list, tools=[fn]."
        )
    specs: list[dict[str, Any]] = []
    functions: dict[str, Tool] = {}
    for position, tool in enumerate(tools):
        if isinstance(tool, dict):
            spec = tool
        elif callable(tool):
            built = _build_tool(tool)
            functions[built.name] = built
            spec = built.spec
        else:
            raise TypeError(
                f"tools[{position}] must be a function or a v2 tool dict "
                f"{{'type': 'function', 'function': {{...}}}}, got {type(tool).__name__}."
            )
        name = (spec.get("function") or {}).get("name") if isinstance(spec, dict) else None
        if any((s.get("function") or {}).get("name") == name for s in specs):
            raise TypeError(
                f"tools[{position}]: two tools are named {name!r}; tool names must be unique "
                "(rename one function, or wrap it in a def with another name)."
            )
        specs.append(spec)
    return ToolSet(specs, functions)


def _build_tool(function: Callable[..., Any]) -> Tool:
    name = getattr(function, "__name__", None)
    label = repr(name) if name else repr(function)
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise TypeError(
            f"Tool {label} has no valid tool name: a tool name uses only letters, digits and "
            "'_' and does not start with a digit. Wrap it in a named def."
        )
    try:
        signature = inspect.signature(function)
        hints = typing.get_type_hints(function, include_extras=True)
    except (TypeError, ValueError, NameError) as error:
        raise TypeError(
            f"Tool {label}: cannot read its signature and type hints ({error})."
        ) from None
    docs = docstring_parser.parse(inspect.getdoc(function) or "")
    doc_params = {param.arg_name: param.description for param in docs.params}

    fields: dict[str, Any] = {}
    params: dict[str, inspect.Parameter] = {}
    for position, param in enumerate(signature.parameters.values()):
        where = f"Tool {label}, parameter {param.name!r}"
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise TypeError(
                f"{where}: *args and **kwargs cannot be described to the model; "
                "name each parameter, with a type hint."
            )
        if param.name not in hints:
            raise TypeError(f"{where} has no type hint; add one, e.g. {param.name}: str.")
        # Field names of our own, the real name as alias: a parameter may be called "json",
        # "schema" or "_x", which pydantic does not allow as field names.
        field = f"p{position}"
        params[field] = param
        fields[field] = (hints[param.name], _field_info(param, hints[param.name], doc_params))
    model = _arguments_model(name, label, fields, params)
    try:
        schema = model.model_json_schema(schema_generator=_Schema)
    except pydantic.PydanticUserError as error:
        raise TypeError(f"Tool {label}: its parameters have no JSON schema ({error}).") from None
    schema.pop("title", None)
    schema.setdefault("required", [])
    description = (docs.description or "").strip()
    function_spec = {"name": name, "parameters": schema}
    if description:
        function_spec = {"name": name, "description": description, "parameters": schema}
    return Tool(
        name=name,
        function=function,
        spec={"type": "function", "function": function_spec},
        is_async=inspect.iscoroutinefunction(function),
        _model=model,
        _params=params,
    )


def _field_info(
    param: inspect.Parameter, hint: Any, doc_params: dict[str, str | None]
) -> pydantic.fields.FieldInfo:
    described = typing.get_origin(hint) is typing.Annotated and any(
        isinstance(meta, pydantic.fields.FieldInfo) and meta.description
        for meta in typing.get_args(hint)[1:]
    )
    default = ... if param.default is inspect.Parameter.empty else param.default
    description = None if described else doc_params.get(param.name)
    field: pydantic.fields.FieldInfo
    if description:
        field = pydantic.Field(default, alias=param.name, description=description.strip())
    else:  # no description=None here: an explicit None would override the Annotated Field's
        field = pydantic.Field(default, alias=param.name)
    return field


def _arguments_model(
    name: str, label: str, fields: dict[str, Any], params: dict[str, inspect.Parameter]
) -> type[pydantic.BaseModel]:
    config = pydantic.ConfigDict(extra="forbid", validate_by_alias=True, validate_by_name=False)
    try:
        return pydantic.create_model(name, __config__=config, **fields)
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError) as error:
        # Name the parameter: pydantic's message names the type, not where it came from.
        for field, (hint, info) in fields.items():
            try:
                pydantic.create_model("Probe", __config__=config, x=(hint, info))
            except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError) as why:
                reason = str(why).split("\n", 1)[0]
                raise TypeError(
                    f"Tool {label}, parameter {params[field].name!r}: type {hint!r} cannot be "
                    "described as JSON; use str, int, float, bool, Literal, an Enum, list, "
                    "dict[str, ...], a pydantic model, a TypedDict or a dataclass "
                    f"(pydantic: {reason})"
                ) from None
        raise TypeError(f"Tool {label}: {error}") from None


def _validation_message(error: pydantic.ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def tool_content(result: Any) -> list[dict[str, Any]]:
    """The ``content`` of a tool message for what a function returned.

    A dict is one document; a list of dicts is one document per item (so a citation can point
    at one row); a str is text; anything else is JSON text, or ``str()`` where JSON fails.
    Objects that pydantic can turn into plain data (models, dataclasses, dates) are converted
    first, so a dataclass instance is a document too. A document's ``data`` is always a dict:
    the type of the SDK's ``Document.data``.
    """
    if isinstance(result, str):
        return [{"type": "text", "text": result}]
    try:
        data = to_jsonable_python(result)
    except PydanticSerializationError:
        return [{"type": "text", "text": str(result)}]
    if isinstance(data, dict):
        return [_document(data)]
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        return [_document(item) for item in data]
    if isinstance(data, str):
        return [{"type": "text", "text": data}]
    return [{"type": "text", "text": json.dumps(data, ensure_ascii=False)}]


def _document(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "document", "document": {"data": data}}
