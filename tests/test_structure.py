"""The package's structure holds: the kernel<->browser protocol is declared the same on both sides
(co_widget/session/protocol.py as TypedDicts, js/src/state/protocol.js as JSDoc typedefs that tsc
checks the front end against: the same messages in each direction, with the same fields, optional
fields and types, and the stream kinds written once per side), and the layers import downhill
(``co_widget.testing`` runs in anyone's CI with no widget stack)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import types
import typing
from pathlib import Path

import typing_extensions

from co_widget.session import protocol as _protocol

PACKAGE = Path(_protocol.__file__).resolve().parents[1]
JS_SRC = PACKAGE.parent / "js" / "src"
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
    for module in PACKAGE.rglob("*.py"):
        if module == PACKAGE / "__init__.py":
            continue
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*from \. import|^\s*import co_widget\b", source, re.M), module


# What each folder may import: the layers of README's "How it works", downhill only.
PY_LAYERS = {
    "wire": set(),
    "request": {"wire"},
    "turn": {"request", "wire"},
    "retrieval": {"request", "wire"},
    "session": {"turn", "retrieval", "request", "wire"},
    "batch": {"session", "turn", "retrieval", "request", "wire"},
    "testing": {"request", "wire"},
}
# Chat.map hands over to batch/ when called (an import inside the method, never at load).
CALL_TIME = {("session", "batch")}


def python_imports():
    """(importing folder, imported folder, inside a function) for every relative import."""
    for module in PACKAGE.rglob("*.py"):
        rel = module.relative_to(PACKAGE)
        if len(rel.parts) < 2:
            continue  # the face, demo.py and the shared helpers at the top
        tree = ast.parse(module.read_text(encoding="utf-8"))
        in_function = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(fn)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = list(rel.parts[:-1])[: len(rel.parts) - node.level]
            target = base + (node.module.split(".") if node.module else [])
            if len(target) > 1:
                yield rel, rel.parts[0], target[0], id(node) in in_function


def test_python_folders_import_downhill():
    for rel, folder, target, at_call in python_imports():
        if target == folder or (at_call and (folder, target) in CALL_TIME):
            continue
        assert target in PY_LAYERS[folder], f"{rel} imports {target}/"


JS_LAYERS = {"state": set(), "render": {"state"}, "view": {"render", "state"}}


def test_js_folders_import_downhill():
    spec = re.compile(r"""(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}/[^"']+)["']""")
    for folder, allowed in JS_LAYERS.items():
        for module in (JS_SRC / folder).glob("*.js"):
            for target in spec.findall(module.read_text(encoding="utf-8")):
                resolved = (module.parent / target).resolve().relative_to(JS_SRC.resolve())
                other = resolved.parts[0]
                if other != folder and len(resolved.parts) > 1:
                    assert other in allowed, f"{module.name} imports {resolved}"
