"""Servers on 127.0.0.1 that misbehave below HTTP, where FakeCohere (a real HTTP server) cannot:
a connect that never completes, a TLS handshake that never gets an answer, a raw response."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# A hostile server yields its base URL and a wait(): it returns once a client is stuck in the
# phase the server makes hang, so a test can act on a client that is really blocked there.
Hostile = Iterator[tuple[str, Callable[[], None]]]
_SYN_SENT = "02"  # the TCP state in /proc/net/tcp


def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no client got {what} in {timeout:g} s")
        time.sleep(0.01)


def _syn_sent_to(port: int) -> bool:
    """Is a socket of this machine sending SYNs to 127.0.0.1:port (a connect that hangs)?"""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    target = f"0100007F:{port:04X}"
    return any(row.split()[2] == target and row.split()[3] == _SYN_SENT for row in rows)


@contextlib.contextmanager
def hanging_connect() -> Hostile:
    """A base URL whose TCP connect hangs: a listener with a full accept queue drops new SYNs,
    so the client retransmits them until its connect timeout."""
    with socket.socket() as server, socket.socket() as filler:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        filler.connect(("127.0.0.1", port))  # takes the one place in the queue
        yield f"http://127.0.0.1:{port}", lambda: _until(lambda: _syn_sent_to(port), "a SYN out")


@contextlib.contextmanager
def silent_tls() -> Hostile:
    """An https:// base URL whose server reads the client's TLS hello and never answers, so the
    client's handshake waits for a ServerHello that never comes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.1)
        accepted: list[socket.socket] = []
        hello = threading.Event()
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    conn = server.accept()[0]
                    accepted.append(conn)
                    conn.settimeout(5)
                    if conn.recv(4096):  # the ClientHello: the client now waits for us
                        hello.set()

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            url = f"https://127.0.0.1:{server.getsockname()[1]}"
            yield url, lambda: _until(hello.is_set, "its TLS hello read")
        finally:
            stop.set()
            thread.join()
            for conn in accepted:
                conn.close()


@contextlib.contextmanager
def raw_http(response: bytes) -> Iterator[str]:
    """A base URL whose server reads one request and answers ``response`` verbatim."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(10)

        def answer() -> None:
            with contextlib.suppress(OSError):
                conn = server.accept()[0]
                with conn:
                    conn.recv(65536)
                    conn.sendall(response)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
        thread.join(10)
