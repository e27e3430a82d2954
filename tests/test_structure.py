"""The package's structure holds: the kernel<->browser protocol is declared the same on both sides
(co_widget/session/protocol.py as TypedDicts, js/src/state/protocol.js as JSDoc typedefs that tsc
checks the front end against: the same messages in each direction, with the same fields, optional
fields and types, and the stream kinds written once per side), and the layers import downhill
(``co_widget.testing`` runs in anyone's CI with no widget stack)."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import typing
from pathlib import Path

import typing_extensions

from co_widget.session import protocol as _protocol

PROTOCOL_JS = Path(__file__).resolve().parents[1] / "js" / "src" / "state" / "protocol.js"

TYPEDEF = re.compile(r"/\*\*\s*@typedef \{object\} (\w+)((?:\s*\*\s*@property [^\n]*)+)")
PROPERTY = re.compile(r"@property \{(.*?)\} (\[?)(\w+)\]?\s*(?:\n|\*/)")
UNION = re.compile(r"@typedef \{([\w\s|]+)\} (KernelMsg|ViewMsg)")


def js_typedefs(path: Path = PROTOCOL_JS) -> dict[str, dict[str, tuple[str, bool]]]:
    """{typedef: {field: (type, optional)}} from protocol.js (or another module's ``path``)."""
    text = path.read_text(encoding="utf-8")
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
    """How protocol.js writes the type of a field annotated ``annotation`` in session/protocol.py. A
    nested TypedDict is written by name: protocol.js declares it as a typedef of its own."""
    origin = typing.get_origin(annotation)
    simple = {int: "number", float: "number", str: "string", bool: "boolean", type(None): "null"}
    if annotation in simple:
        return simple[annotation]
    if annotation is typing.Any:
        return "any"
    if origin is typing.Literal:
        return " | ".join(f'"{value}"' for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(js_type(arg) for arg in typing.get_args(annotation))
    if annotation is dict or origin is dict:
        return "object"
    if origin is list:
        return f"{js_type(typing.get_args(annotation)[0])}[]"
    if typing.is_typeddict(annotation):
        return annotation.__name__
    raise AssertionError(f"no JSDoc spelling for {annotation!r}")


def fields(cls) -> dict[str, tuple[str, bool]]:
    """{field: (JSDoc type, optional)} of a TypedDict. NotRequired is read from the hints: with
    postponed annotations, Python < 3.12 leaves it out of __optional_keys__."""
    found = {}
    for field, hint in typing.get_type_hints(cls, include_extras=True).items():
        optional = typing.get_origin(hint) is typing_extensions.NotRequired
        found[field] = (js_type(typing.get_args(hint)[0] if optional else hint), optional)
    return found


def py_messages(union) -> dict[str, dict[str, tuple[str, bool]]]:
    return {cls.__name__: fields(cls) for cls in typing.get_args(union)}


def test_every_message_has_the_same_fields_and_types_on_both_sides():
    js = js_typedefs()
    for union in ("KernelMsg", "ViewMsg"):
        python = py_messages(getattr(_protocol, union))
        assert js_unions()[union] == list(python), union
        for name, declared in python.items():
            assert js[name] == declared, name
    # The parts messages are made of, declared once on each side too.
    for part in (
        _protocol.Partial,
        _protocol.ToolCard,
        _protocol.ImageMeta,
        _protocol.RetrievedItem,
        _protocol.MapRecent,
    ):
        assert js[part.__name__] == fields(part), part.__name__


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


def test_testing_loads_no_widget_stack():
    code = (
        "import sys, co_widget.testing\n"
        "heavy = {'anywidget', 'ipywidgets', 'traitlets'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "import co_widget; co_widget.Chat; assert 'anywidget' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_module_imports_the_package_face():
    # The face imports the modules lazily; a module importing it back would close a cycle.
    package = Path(_protocol.__file__).parent
    for module in package.rglob("*.py"):
        if module == package / "__init__.py":
            continue
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*from \. import|^\s*import co_widget\b", source, re.M), module
