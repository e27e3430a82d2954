"""Servers on 127.0.0.1 that misbehave below HTTP, where FakeCohere (a real HTTP server) cannot:
a connect that never completes, a TLS handshake that never gets an answer, a raw response."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def hanging_connect() -> Iterator[str]:
    """A base URL whose TCP connect hangs: a listener with a full accept queue drops new SYNs,
    so the client retransmits them until its connect timeout."""
    with socket.socket() as server, socket.socket() as filler:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        filler.connect(("127.0.0.1", port))  # takes the one place in the queue
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def silent_tls() -> Iterator[str]:
    """An https:// base URL whose server accepts the connection and never says a word, so the
    client's TLS handshake waits for a ServerHello that never comes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    accepted.append(server.accept()[0])

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield f"https://127.0.0.1:{server.getsockname()[1]}"
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
