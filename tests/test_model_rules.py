"""The model-rule table: combinations Cohere rejects are refused before any request, with the
rule and its docs page named; unknown models pass unchecked."""

from __future__ import annotations

import pytest

from co_widget import Chat
from co_widget.request.model_rules import MODELS, capabilities, check_request
from co_widget.testing import FakeCohere

SLOW = 10.0
TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}


def body(model="command-a-03-2025", images=False, **params):
    content = [{"type": "text", "text": "hi"}, *([IMAGE] if images else [])]
    return {"model": model, "messages": [{"role": "user", "content": content}], **params}


def test_table_lookup_exact_names_and_longest_prefix():
    assert capabilities("command-a-vision-07-2025") is MODELS["command-a-vision-*"]
    assert capabilities("command-r7b-arabic-02-2025") is MODELS["command-r7b-*"]
    assert capabilities("command-r") is MODELS["command-r"]
    assert capabilities("command-r-plus-08-2024").safety_off
    assert capabilities("command-z-2030") is None


@pytest.mark.parametrize(
    ("request_body", "rule", "docs"),
    [
        (body(response_format={"type": "json_object"}, tools=[TOOL]), "response_format with tools",
         "structured-outputs"),
        (body(response_format={"type": "text"}, documents=["d"]), "response_format with tools",
         "structured-outputs"),
        (body(images=True), "images need a vision model", "image-inputs"),
        (body("command-r-plus", images=True), "images need a vision model", "image-inputs"),
        (body("command-a-vision-07-2025", images=True, tools=[TOOL]), "no tools with images",
         "command-a-vision"),
        (body(safety_mode="OFF"), "safety_mode OFF", "safety-modes"),
        (body("command-r7b-12-2024", safety_mode="OFF"), "safety_mode OFF", "safety-modes"),
    ],
)  # fmt: skip
def test_rejected_combinations_name_the_rule_and_the_docs(request_body, rule, docs):
    with pytest.raises(ValueError, match=f"rule: {rule}") as info:
        check_request(request_body)
    assert f"docs.cohere.com/docs/{docs}" in str(info.value)


@pytest.mark.parametrize(
    "request_body",
    [
        body("command-a-vision-07-2025", images=True),
        body("command-a-vision-07-2025", tools=[TOOL]),  # tools without images are fine
        body("command-r-plus-08-2024", safety_mode="OFF"),
        body("some-future-model", images=True, tools=[TOOL], safety_mode="OFF"),  # unchecked
        body(tools=[TOOL], strict_tools=True),
    ],
)
def test_allowed_combinations_pass(request_body):
    check_request(request_body)


def test_strict_tools_needs_required_parameters_and_at_most_200_fields():
    loose = {"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}
    with pytest.raises(ValueError, match="'t' has none"):
        check_request(body(tools=[loose], strict_tools=True))
    check_request(body(tools=[loose]))  # without strict_tools it is fine
    wide = [
        {
            "type": "function",
            "function": {
                "name": f"t{i}",
                "parameters": {
                    "type": "object",
                    "properties": {f"p{j}": {"type": "string"} for j in range(41)},
                    "required": ["p0"],
                },
            },
        }
        for i in range(5)
    ]
    with pytest.raises(ValueError, match="at most 200 parameters in all; these have 205"):
        check_request(body(tools=wide, strict_tools=True))
    check_request(body(tools=wide[:4], strict_tools=True))


def test_chat_checks_at_construction_and_per_send_before_any_request():
    with pytest.raises(ValueError, match="safety_mode OFF"):
        Chat(model="command-a-03-2025", safety_mode="OFF")
    with FakeCohere() as fake:
        chat = Chat(model="command-a-03-2025", base_url=fake.url, documents=["a fact"])
        with pytest.raises(ValueError, match="response_format with tools or documents"):
            chat.send("x", response_format={"type": "json_object"})
        with pytest.raises(ValueError, match="images need a vision model"):
            chat.send("x", images=["https://example.com/a.png"])
        assert fake.requests == [] and chat.messages == []
        # Still usable: FakeCohere answers a request with documents by quoting them.
        assert chat.ask("still fine", timeout=SLOW).endswith("\n- a fact")


def test_the_widget_offers_attachments_only_where_images_may_go():
    assert Chat(model="command-a-vision-07-2025")._accepts_images is True
    assert Chat(model="some-future-model")._accepts_images is True  # unknown: not checked
    chat = Chat(model="command-a-03-2025")
    assert chat._accepts_images is False
    chat.model = "command-a-vision-07-2025"
    assert chat._accepts_images is True
