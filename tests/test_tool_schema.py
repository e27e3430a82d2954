"""Tools from Python functions: the schema table, docstrings, the TypeErrors at Chat(...),
argument checks, and the content of tool messages."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Annotated, Literal, Optional

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

from co_widget.request.tool_schema import ToolArgumentsError, build_toolset, tool_content


class Unit(enum.Enum):
    C = "C"
    F = "F"


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


class Address(TypedDict):
    street: str


@dataclasses.dataclass
class Row:
    id: int


def params_of(function) -> dict:
    return build_toolset([function]).specs[0]["function"]["parameters"]


def f_str(city: str): ...
def f_int(n: int = 3): ...
def f_float(x: float): ...
def f_bool(flag: bool = False): ...
def f_literal(unit: Literal["C", "F"] = "C"): ...
def f_enum(unit: Unit): ...
def f_list(tags: list[str]): ...
def f_dict(scores: dict[str, float]): ...
def f_optional(note: Optional[str] = None): ...  # noqa: UP045 - the spelling under test
def f_union_none(note: str | None = None): ...
def f_model(point: Point): ...
def f_typeddict(address: Address): ...
def f_dataclass(row: Row): ...
def f_annotated(n: Annotated[int, pydantic.Field(description="How many.", ge=1)]): ...
def f_none(): ...


SCHEMAS = [
    (f_str, {"city": {"type": "string"}}, ["city"], None),
    (f_int, {"n": {"type": "integer", "default": 3}}, [], None),
    (f_float, {"x": {"type": "number"}}, ["x"], None),
    (f_bool, {"flag": {"type": "boolean", "default": False}}, [], None),
    (f_literal, {"unit": {"type": "string", "enum": ["C", "F"], "default": "C"}}, [], None),
    (f_enum, {"unit": {"$ref": "#/$defs/Unit"}}, ["unit"], "Unit"),
    (f_list, {"tags": {"type": "array", "items": {"type": "string"}}}, ["tags"], None),
    (
        f_dict,
        {"scores": {"type": "object", "additionalProperties": {"type": "number"}}},
        ["scores"],
        None,
    ),
    (
        f_optional,
        {"note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}},
        [],
        None,
    ),
    (
        f_union_none,
        {"note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}},
        [],
        None,
    ),
    (f_model, {"point": {"$ref": "#/$defs/Point"}}, ["point"], "Point"),
    (f_typeddict, {"address": {"$ref": "#/$defs/Address"}}, ["address"], "Address"),
    (f_dataclass, {"row": {"$ref": "#/$defs/Row"}}, ["row"], "Row"),
    (
        f_annotated,
        {"n": {"type": "integer", "minimum": 1, "description": "How many."}},
        ["n"],
        None,
    ),
    (f_none, {}, [], None),
]


@pytest.mark.parametrize(
    ("function", "properties", "required", "definition"),
    SCHEMAS,
    ids=[row[0].__name__ for row in SCHEMAS],
)
def test_schema_table(function, properties, required, definition):
    schema = params_of(function)
    assert schema["type"] == "object"
    assert schema["properties"] == properties
    assert schema["required"] == required
    assert schema["additionalProperties"] is False
    assert "title" not in schema
    if definition:
        assert definition in schema["$defs"]


def test_nested_definitions_are_full_schemas():
    assert params_of(f_enum)["$defs"]["Unit"]["enum"] == ["C", "F"]
    point = params_of(f_model)["$defs"]["Point"]
    assert point["properties"] == {"x": {"type": "integer"}, "y": {"type": "integer", "default": 0}}
    assert point["required"] == ["x"]
    assert params_of(f_typeddict)["$defs"]["Address"]["required"] == ["street"]


def google(city: str, unit: Literal["C", "F"] = "C") -> dict:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Paris".
        unit: Temperature unit.
    """


def numpy(city: str, unit: Literal["C", "F"] = "C") -> dict:
    """Current weather for a city.

    Parameters
    ----------
    city : str
        The city name, e.g. "Paris".
    unit : str
        Temperature unit.
    """


def rest(city: str, unit: Literal["C", "F"] = "C") -> dict:
    """Current weather for a city.

    :param city: The city name, e.g. "Paris".
    :param unit: Temperature unit.
    """


@pytest.mark.parametrize("function", [google, numpy, rest], ids=["google", "numpy", "rest"])
def test_descriptions_from_each_docstring_style(function):
    spec = build_toolset([function]).specs[0]
    assert spec["type"] == "function"
    assert spec["function"]["name"] == function.__name__
    assert spec["function"]["description"] == "Current weather for a city."
    properties = spec["function"]["parameters"]["properties"]
    assert properties["city"]["description"] == 'The city name, e.g. "Paris".'
    assert properties["unit"]["description"] == "Temperature unit."


def test_the_long_description_is_kept_and_annotated_wins_over_the_docstring():
    def lookup(n: Annotated[int, pydantic.Field(description="From the hint.")] = 1):
        """Find rows.

        Searches the sales table by row count.

        Args:
            n: From the docstring.
        """

    function = build_toolset([lookup]).specs[0]["function"]
    assert function["description"] == "Find rows.\n\nSearches the sales table by row count."
    assert function["parameters"]["properties"]["n"]["description"] == "From the hint."


def test_no_docstring_no_description():
    assert "description" not in build_toolset([f_str]).specs[0]["function"]


def test_raw_dicts_pass_through_and_are_not_run():
    raw = {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}
    toolset = build_toolset([google, raw])
    assert toolset.specs[1] is raw
    assert list(toolset.functions) == ["google"]


def test_async_functions_are_tools():
    async def fetch(url: str) -> str:
        """Fetch a page."""

    tool = build_toolset([fetch]).functions["fetch"]
    assert tool.is_async


def star_args(*cities: str): ...
def star_kwargs(**options: str): ...
def no_hint(city, unit: str = "C"): ...


@pytest.mark.parametrize(
    ("tools", "names"),
    [
        ([star_args], ["'star_args'", "'cities'", "*args"]),
        ([star_kwargs], ["'star_kwargs'", "'options'", "*args and **kwargs"]),
        ([no_hint], ["'no_hint'", "'city'", "no type hint"]),
        ([lambda city: city], ["'<lambda>'", "valid tool name"]),
        ([google, google], ["'google'", "unique"]),
        (
            [google, {"type": "function", "function": {"name": "google", "parameters": {}}}],
            ["'google'", "unique"],
        ),
        ([3], ["tools[0]", "int"]),
        (google, ["list", "tools=[fn]"]),
    ],
    ids=["args", "kwargs", "no-hint", "lambda", "duplicate", "duplicate-raw", "not-a-tool", "bare"],
)
def test_unsupported_tools_raise_type_error_naming_function_and_parameter(tools, names):
    with pytest.raises(TypeError) as caught:
        build_toolset(tools)
    for name in names:
        assert name in str(caught.value)


def test_a_type_without_json_schema_names_the_parameter():
    def bad(when: datetime.tzinfo): ...

    with pytest.raises(TypeError, match=r"Tool 'bad', parameter 'when'.*cannot be described"):
        build_toolset([bad])


def test_parameter_names_pydantic_reserves_still_work():
    def odd(json: str, schema: int = 0, model_config: bool = False) -> None: ...

    tool = build_toolset([odd]).functions["odd"]
    assert set(tool.spec["function"]["parameters"]["properties"]) == {
        "json",
        "schema",
        "model_config",
    }
    assert tool.parse_arguments('{"json": "x", "model_config": true}') == {
        "json": "x",
        "model_config": True,
    }


# --- arguments ------------------------------------------------------------------------------


def weather(
    city: str, unit: Unit = Unit.C, point: Point | None = None, row: Row | None = None
) -> None: ...


@pytest.fixture
def tool():
    return build_toolset([weather]).functions["weather"]


def test_arguments_are_validated_and_converted(tool):
    arguments = tool.parse_arguments(
        '{"city": "Paris", "unit": "F", "point": {"x": 1}, "row": {"id": 2}}'
    )
    assert arguments == {"city": "Paris", "unit": Unit.F, "point": Point(x=1), "row": Row(id=2)}


def test_left_out_parameters_keep_the_functions_defaults(tool):
    assert tool.parse_arguments('{"city": "Paris"}') == {"city": "Paris"}


@pytest.mark.parametrize("raw", ["", "null", None, "  "])
def test_empty_and_null_arguments_mean_none(raw):
    tool = build_toolset([f_none]).functions["f_none"]
    assert tool.parse_arguments(raw) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"city": 3}', "city: Input should be a valid string"),
        ("{}", "city: Field required"),
        ('{"city": "P", "unit": "K"}', "unit: Input should be 'C' or 'F'"),
        ('{"city": "P", "zone": 1}', "zone: Extra inputs are not permitted"),
        ('{"city": "P"', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ("", "city: Field required"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tool, raw, message):
    with pytest.raises(ToolArgumentsError) as caught:
        tool.parse_arguments(raw)
    assert message in str(caught.value)


def test_positional_only_parameters_are_passed_positionally():
    def power(base: int, exp: int = 2, /) -> int:
        return base**exp

    tool = build_toolset([power]).functions["power"]
    assert tool.call(tool.parse_arguments('{"base": 3, "exp": 3}')) == 27
    assert tool.call(tool.parse_arguments('{"base": 3}')) == 9


# No deadline: a busy machine must not fail a test about correctness.
@settings(deadline=None)
@given(
    st.fixed_dictionaries(
        {"city": st.text()},
        optional={"unit": st.sampled_from(["C", "F"]), "point": st.builds(dict, x=st.integers())},
    )
)
def test_any_valid_arguments_round_trip(arguments):
    tool = build_toolset([weather]).functions["weather"]
    parsed = tool.parse_arguments(json.dumps(arguments))
    assert set(parsed) == set(arguments)
    assert parsed["city"] == arguments["city"]
    if "unit" in arguments:
        assert parsed["unit"] is Unit(arguments["unit"])
    if "point" in arguments:
        assert parsed["point"] == Point(x=arguments["point"]["x"])


# --- results --------------------------------------------------------------------------------


def document(data):
    return {"type": "document", "document": {"data": data}}


@pytest.mark.parametrize(
    ("result", "content"),
    [
        ({"temp_c": 21}, [document({"temp_c": 21})]),
        ([{"a": 1}, {"a": 2}], [document({"a": 1}), document({"a": 2})]),
        ("sunny", [{"type": "text", "text": "sunny"}]),
        (21.5, [{"type": "text", "text": "21.5"}]),
        (None, [{"type": "text", "text": "null"}]),
        ([1, "a"], [{"type": "text", "text": '[1, "a"]'}]),
        ([], [{"type": "text", "text": "[]"}]),
        (Row(id=4), [document({"id": 4})]),
        (Point(x=1), [document({"x": 1, "y": 0})]),
        ({"day": datetime.date(2026, 11, 30)}, [document({"day": "2026-11-30"})]),
        (Unit.C, [{"type": "text", "text": "C"}]),
    ],
    ids=lambda value: type(value).__name__,
)
def test_results_become_tool_content(result, content):
    assert tool_content(result) == content


def test_what_json_cannot_hold_becomes_its_str():
    class Opaque:
        def __str__(self) -> str:
            return "<opaque thing>"

    assert tool_content(Opaque()) == [{"type": "text", "text": "<opaque thing>"}]


@pytest.mark.sdk
def test_tool_messages_fit_the_sdks_types():
    cohere = pytest.importorskip("cohere")
    for result in ({"a": 1}, [{"a": 1}, {"b": [1, 2]}], "text", 3, Row(id=1)):
        message = {"role": "tool", "tool_call_id": "t1", "content": tool_content(result)}
        parsed = pydantic.TypeAdapter(cohere.ChatMessageV2).validate_python(message)
        assert parsed.role == "tool"
    spec = build_toolset([google]).specs[0]
    assert pydantic.TypeAdapter(cohere.ToolV2).validate_python(spec).function.name == "google"
