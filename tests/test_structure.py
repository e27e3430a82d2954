"""The package's structure holds: the kernel<->browser protocol is declared the same on both sides,
and the layers import downhill (``co_widget.testing`` runs in anyone's CI with no widget stack)."""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from pathlib import Path

from co_widget import _protocol

PROTOCOL_JS = Path(__file__).resolve().parents[1] / "js" / "src" / "protocol.js"
TYPEDEF = re.compile(r"/\*\*\s*@typedef\s+\{object\}\s+(\w+)(.*?)\*/", re.S)
PROPERTY = re.compile(r"@property\s+\{(.*?)\}\s+(\[?)(\w+)\]?")
UNION = re.compile(r"@typedef\s+\{([\w\s|]+)\}\s+(KernelMsg|ViewMsg)\b")


def js_messages() -> dict[str, dict[str, tuple[str, bool]]]:
    """``{typedef name: {field: (JSDoc type, required)}}`` from protocol.js."""
    source = PROTOCOL_JS.read_text(encoding="utf-8")
    return {
        name: {field: (kind, not optional) for kind, optional, field in PROPERTY.findall(body)}
        for name, body in TYPEDEF.findall(source)
    }


def js_unions() -> dict[str, set[str]]:
    source = PROTOCOL_JS.read_text(encoding="utf-8")
    return {union: {n.strip() for n in names.split("|")} for names, union in UNION.findall(source)}


def py_messages() -> dict[str, dict[str, tuple[str, bool]]]:
    messages = {}
    for union in (_protocol.KernelMsg, _protocol.ViewMsg):
        for cls in typing.get_args(union):
            hints = typing.get_type_hints(cls)
            kind = typing.get_args(hints["type"])[0]
            messages[cls.__name__] = {
                field: (f'"{kind}"' if field == "type" else "", field in cls.__required_keys__)
                for field in hints
            }
    return messages


def test_every_message_is_declared_alike_in_python_and_js():
    js, py = js_messages(), py_messages()
    assert set(py) <= set(js), f"missing in protocol.js: {sorted(set(py) - set(js))}"
    for name, fields in py.items():
        js_fields = js[name]
        assert set(js_fields) == set(fields), f"{name}: fields differ"
        for field, (kind, required) in fields.items():
            assert js_fields[field][1] == required, f"{name}.{field}: optional on one side only"
            if field == "type":
                assert js_fields[field][0] == kind, f"{name}.type: {js_fields[field][0]} != {kind}"


def test_the_unions_hold_the_same_messages():
    unions = js_unions()
    for union in ("KernelMsg", "ViewMsg"):
        py = {cls.__name__ for cls in typing.get_args(getattr(_protocol, union))}
        assert unions[union] == py, f"{union}: protocol.js and _protocol.py list different messages"


def test_the_stream_kinds_are_written_once_per_side():
    source = PROTOCOL_JS.read_text(encoding="utf-8")
    kinds = re.search(r"export const STREAM_KEYS = .*?\[(.*?)\]", source, re.S)
    assert kinds is not None
    assert tuple(re.findall(r'"(\w+)"', kinds.group(1))) == _protocol.STREAM_KINDS


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
    for module in package.glob("*.py"):
        if module.name == "__init__.py":
            continue
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*from \. import|^\s*import co_widget\b", source, re.M), module
