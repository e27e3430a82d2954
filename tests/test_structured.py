"""Structured output: the schema sent for a pydantic model or a JSON schema, the features Cohere
rejects, and ``reply.parsed`` on success and failure (replies from FakeCohere over sockets)."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from co_widget import Chat, UnauthorizedError
from co_widget.request.structured import resolve_response_format, schema_problems
from co_widget.testing import Error

SLOW = 10.0


class Drink(BaseModel):
    name: str
    year: int


class Menu(BaseModel):
    drinks: list[Drink]
    note: str | None = None


def test_pydantic_model_sends_its_own_json_schema_and_parses(fake):
    fake.add('{"name": "Coca-Cola", "year": 1886}')
    chat = Chat(base_url=fake.url)
    reply = chat.send("Extract the drink and the year", response_format=Drink)
    assert reply.parsed == Drink(name="Coca-Cola", year=1886)
    assert fake.requests[-1].json["response_format"] == {
        "type": "json_object",
        "json_schema": Drink.model_json_schema(),
    }
    # The turn is marked as JSON, so the views show it as highlighted JSON.
    assert chat.messages[-1]["_co"]["format"] == "json"


def test_chat_level_model_applies_to_every_send_and_nested_models_pass(fake):
    fake.add('{"drinks": [{"name": "Tea", "year": 1}], "note": null}', "not json")
    chat = Chat(base_url=fake.url, response_format=Menu)
    assert chat.send("menu").parsed == Menu(drinks=[Drink(name="Tea", year=1)])
    schema = fake.requests[-1].json["response_format"]["json_schema"]
    assert schema == Menu.model_json_schema() and "$defs" in schema
    failed = chat.send("again")
    with pytest.raises(ValueError):
        failed.parsed  # noqa: B018
    assert failed.text == "not json"  # the text is kept


def test_parsed_raises_validation_error_when_the_json_does_not_match(fake):
    fake.add('{"name": "Pepsi"}')
    reply = Chat(base_url=fake.url).send("x", response_format=Drink)
    with pytest.raises(ValidationError, match="year"):
        reply.parsed  # noqa: B018


def test_json_schema_dict_gives_a_dict_and_a_plain_chat_has_no_parsed(fake):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fake.add('{"n": 3}', "plain")
    chat = Chat(base_url=fake.url)
    assert chat.send("count", response_format=schema).parsed == {"n": 3}
    assert fake.requests[-1].json["response_format"] == {
        "type": "json_object",
        "json_schema": schema,
    }
    plain = chat.send("hi")
    with pytest.raises(ValueError, match="needs response_format"):
        plain.parsed  # noqa: B018
    assert "response_format" not in fake.requests[-1].json  # per call only
    assert "format" not in chat.messages[-1]["_co"]


def test_response_format_dict_as_the_api_takes_it(fake):
    fake.add('{"a": [1]}')
    reply = Chat(base_url=fake.url, response_format={"type": "json_object"}).send("json please")
    assert reply.parsed == {"a": [1]}


def test_parsed_raises_the_api_error(fake):
    fake.add(Error(401, "invalid api token"))
    reply = Chat(base_url=fake.url).send("x", response_format=Drink)
    with pytest.raises(UnauthorizedError):
        reply.parsed  # noqa: B018


class Limited(BaseModel):
    age: Annotated[int, Field(ge=0, le=150)]
    code: Annotated[str, Field(max_length=3)]
    tags: Annotated[list[str], Field(min_length=1)]


class AllOptional(BaseModel):
    nickname: str | None = None


def test_rejected_schema_features_are_listed_together():
    with pytest.raises(ValueError) as info:
        resolve_response_format(Limited)
    message = str(info.value)
    for expected in (
        "$.properties.age: numeric limit 'minimum'",
        "$.properties.age: numeric limit 'maximum'",
        "$.properties.code: length limit 'maxLength'",
        "$.properties.tags: length limit 'minItems'",
        "docs.cohere.com/docs/structured-outputs",
    ):
        assert expected in message
    with pytest.raises(ValueError, match="at least one required field"):
        resolve_response_format(AllOptional)


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "array", "items": {"type": "string"}}, "top level must be an object"),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, "required field"),
        (
            {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
            },
            "$.properties.a: 'oneOf'",
        ),
        (
            {"type": "object", "required": ["a"], "properties": {"a": {"not": {"type": "null"}}}},
            "'not' is not supported",
        ),
        (
            {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"$ref": "#/$defs/X"}},
                "$defs": {"X": {"allOf": [{"type": "object"}]}},
            },
            "$.$defs.X: 'allOf'",
        ),
    ],
)
def test_schema_problems(schema, problem):
    assert any(problem in found for found in schema_problems(schema)), schema_problems(schema)
    with pytest.raises(ValueError, match="Cohere rejects"):
        resolve_response_format({"type": "json_object", "json_schema": schema})


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["string", "integer"])))
def test_flat_objects_with_all_fields_required_pass(fields):
    schema = {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in fields.items()},
        "required": sorted(fields) or ["a"],
    }
    assert schema_problems(schema) == []


def test_bad_response_format_type_is_a_type_error():
    with pytest.raises(TypeError, match="pydantic model class, a JSON schema dict"):
        Chat(response_format="json")
    with pytest.raises(TypeError, match="pydantic model class"):
        Chat(response_format=Drink(name="x", year=1))
