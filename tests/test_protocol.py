"""The two declarations of the kernel<->browser protocol agree: co_widget/_protocol.py (TypedDicts)
and js/src/protocol.js (JSDoc typedefs, checked against the front-end code by tsc): the same
messages in each direction, each with the same fields, the same optional fields and the same
types. And the stream kinds are written once per side, the same."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import typing_extensions

from co_widget import _protocol

PROTOCOL_JS = Path(__file__).resolve().parents[1] / "js" / "src" / "protocol.js"

TYPEDEF = re.compile(r"/\*\*\s*@typedef \{object\} (\w+)((?:\s*\*\s*@property [^\n]*)+)")
PROPERTY = re.compile(r"@property \{(.*?)\} (\[?)(\w+)\]?\s*(?:\n|\*/)")
UNION = re.compile(r"@typedef \{([\w\s|]+)\} (KernelMsg|ViewMsg)")


def js_typedefs() -> dict[str, dict[str, tuple[str, bool]]]:
    """{typedef: {field: (type, optional)}} from protocol.js."""
    text = PROTOCOL_JS.read_text(encoding="utf-8")
    found = {}
    for name, body in TYPEDEF.findall(text):
        fields = {
            field: (" ".join(kind.split()), bool(optional))
            for kind, optional, field in PROPERTY.findall(body + "\n")
        }
        found[name] = fields
    return found


def js_unions() -> dict[str, list[str]]:
    text = PROTOCOL_JS.read_text(encoding="utf-8")
    return {name: [m.strip() for m in members.split("|")] for members, name in UNION.findall(text)}


def js_type(annotation) -> str:
    """How protocol.js writes the type of a field annotated ``annotation`` in _protocol.py."""
    origin = typing.get_origin(annotation)
    if annotation is int:
        return "number"
    if annotation is str:
        return "string"
    if annotation is type(None):
        return "null"
    if origin is typing.Literal:
        return " | ".join(f'"{value}"' for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(js_type(arg) for arg in typing.get_args(annotation))
    if origin is dict:
        return "object"
    if origin is list:
        return f"{js_type(typing.get_args(annotation)[0])}[]"
    if typing.is_typeddict(annotation):
        hints = typing.get_type_hints(annotation)
        return "{" + ", ".join(f"{k}: {js_type(v)}" for k, v in hints.items()) + "}"
    raise AssertionError(f"no JSDoc spelling for {annotation!r}")


def py_messages(union) -> dict[str, dict[str, tuple[str, bool]]]:
    found = {}
    for cls in typing.get_args(union):
        fields = {}
        # NotRequired read from the hints: with postponed annotations, Python < 3.12 leaves it out
        # of __optional_keys__.
        for field, hint in typing.get_type_hints(cls, include_extras=True).items():
            optional = typing.get_origin(hint) is typing_extensions.NotRequired
            fields[field] = (js_type(typing.get_args(hint)[0] if optional else hint), optional)
        found[cls.__name__] = fields
    return found


def test_every_message_has_the_same_fields_and_types_on_both_sides():
    js = js_typedefs()
    for union in ("KernelMsg", "ViewMsg"):
        python = py_messages(getattr(_protocol, union))
        assert js_unions()[union] == list(python), union
        for name, fields in python.items():
            assert js[name] == fields, name


def test_typedef_names_follow_the_message_kind():
    # PascalCase(kind) + "Msg"; "View" first for a view message whose kind the kernel also sends.
    for union, prefix in (("KernelMsg", ""), ("ViewMsg", "View")):
        for cls in typing.get_args(getattr(_protocol, union)):
            (kind,) = typing.get_args(typing.get_type_hints(cls)["type"])
            base = "".join(part.capitalize() for part in kind.split("_")) + "Msg"
            assert cls.__name__ in (base, prefix + base), cls.__name__


def test_stream_kinds_are_the_same_on_both_sides():
    text = PROTOCOL_JS.read_text(encoding="utf-8")
    declared = re.search(r"STREAM_KEYS = /\*\* @type \{const\} \*/ \(\[(.*?)\]\)", text)
    assert declared is not None
    assert tuple(re.findall(r'"(\w+)"', declared.group(1))) == _protocol.STREAM_KINDS
