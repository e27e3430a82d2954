"""The API key never leaves the kernel, even with a server that echoes it back on purpose: not in
an error (nor anything reachable from it), the synced state, a saved file, or a comm message.
And nothing on the machine (``~/.netrc``, ``user:pass@``) can replace the key that is sent."""

from __future__ import annotations

import contextlib
import json
import warnings
from typing import Any

import pytest

from co_widget import Chat, CohereConnectionError, GenerationError
from co_widget.testing import Error, Stream, text_events
from co_widget.wire.client import CohereClient, InsecureKeyWarning
from tests.support.comm_recorder import recording_comms
from tests.support.hostile_servers import raw_http

KEY = "sk-CANARY-0123456789abcdef"
SLOW = 5.0


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc of the machine's


def reachable(root: Any, limit: int = 5000) -> list[Any]:
    """Everything reachable from ``root`` through attributes, items, args and the exception chain
    (what a debugger or a verbose traceback could print)."""
    seen: set[int] = set()
    found: list[Any] = []
    stack = [root]
    while stack and len(found) < limit:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (int, float, bool, type)):
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, (str, bytes)):
            continue
        if isinstance(obj, BaseException):
            stack += [obj.__cause__, obj.__context__, *obj.args]
        if isinstance(obj, dict) or hasattr(obj, "items"):
            with contextlib.suppress(Exception):
                stack += [item for pair in obj.items() for item in pair]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack += list(obj)
        for name in getattr(obj, "__dict__", {}) or {}:
            stack.append(getattr(obj, name, None))
        for name in getattr(type(obj), "__slots__", ()):
            stack.append(getattr(obj, name, None))
    return found


def assert_no_key(root: Any) -> None:
    for obj in reachable(root):
        text = obj.decode("latin-1") if isinstance(obj, bytes) else obj
        if isinstance(text, str):
            assert KEY not in text, f"the key is reachable: {text[:120]!r}"


def escaped(text: str) -> str:
    """``text`` with every character JSON-escaped as \\uXXXX."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


ECHOES = {
    "json-escaped body": Error(
        401, "", body='{"id": "r1", "message": "bad token ' + escaped(KEY) + '"}'
    ),
    "plain body": Error(400, "", body={"message": f"invalid api token {KEY}", "id": KEY}),
    "x-request-id header": Error(500, "", body="oops", headers={"x-request-id": KEY}),
    "in-band error": Stream(text_events("partial", error=f"failed for key {KEY}")),
    "malformed record": Stream([*text_events("a")[:3], f"data: {{{KEY}\n\n".encode()]),
    "unknown event type": Stream([*text_events("a")[:3], {"type": f"x-{KEY}"}]),
}


@pytest.mark.parametrize("echo", list(ECHOES.values()), ids=list(ECHOES))
def test_an_echoed_key_reaches_no_error_state_file_or_comm(echo, fake, tmp_path):
    fake.add(echo)
    with recording_comms() as comms:
        chat = Chat(api_key=KEY, base_url=fake.url, max_retries=0)
        reply = chat.send("hi").wait(SLOW)
        chat.save(tmp_path / "chat.json")
        chat.close()
    assert reply.error is not None or reply.warnings
    assert_no_key(reply.error)
    assert_no_key(reply.warnings)
    assert KEY not in json.dumps(chat.messages)
    assert KEY not in (tmp_path / "chat.json").read_text(encoding="utf-8")
    for recorder in comms:
        for message in recorder.messages:
            assert KEY not in json.dumps(message.data)
    assert "<redacted>" in json.dumps(chat.messages)


def test_a_redirect_location_holding_the_key_is_redacted():
    response = (
        f"HTTP/1.1 302 Found\r\nLocation: https://evil.example/?k={KEY}\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    with raw_http(response) as url:
        chat = Chat(api_key=KEY, base_url=url, max_retries=0)
        reply = chat.send("hi").wait(SLOW)
    assert "redirected" in str(reply.error)
    assert_no_key(reply.error)
    assert KEY not in json.dumps(chat.messages)


def test_no_request_object_holding_the_key_stays_on_a_connection_error():
    chat = Chat(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=0)  # discard port: refused
    error = chat.send("hi").wait(SLOW).error
    assert isinstance(error, CohereConnectionError)
    assert error.__cause__ is None and error.__context__ is None
    assert_no_key(error)


def test_netrc_cannot_replace_the_bearer_key(fake, tmp_path):
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password hunter2\n")
    (tmp_path / ".netrc").chmod(0o600)
    fake.add("ok", "ok")
    Chat(api_key=KEY, base_url=fake.url).ask("hi", timeout=SLOW)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {KEY}"
    Chat(base_url=fake.url).ask("no key", timeout=SLOW)
    assert "Authorization" not in fake.requests[-1].headers


def test_user_and_password_in_base_url_are_refused():
    with pytest.raises(ValueError, match="user:password@"):
        Chat(api_key=KEY, base_url="https://someone:hunter2@api.cohere.com")


def test_plain_http_to_another_host_warns_once_and_loopback_does_not():
    with pytest.warns(InsecureKeyWarning, match="plain http:// to api.example"):
        client = CohereClient(api_key=KEY, base_url="http://api.example")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.chat_stream({"model": "m"})  # prepared, never sent: once is enough
        CohereClient(api_key=KEY, base_url="http://127.0.0.1:9")
        CohereClient(api_key=KEY, base_url="http://localhost:9")
        CohereClient(base_url="http://api.example")  # no key to leak


def test_in_band_error_is_redacted_on_the_reply(fake):
    fake.add(Stream(text_events("x", error=f"key {KEY} rejected")))
    reply = Chat(api_key=KEY, base_url=fake.url).send("hi").wait(SLOW)
    assert isinstance(reply.error, GenerationError)
    assert str(reply.error).startswith("key <redacted> rejected")
