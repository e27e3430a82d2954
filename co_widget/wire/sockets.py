"""Cancellable connections for requests: a stream can be stopped from another thread in every
phase, connecting, in the TLS handshake, waiting for headers, or reading the body.

requests exposes no socket before the response exists. So the pools use a connection class that
hands each socket, as soon as it exists, to the watcher of the request the current thread is
making (:func:`watching`). The watcher keeps it, and :func:`shutdown` wakes whatever blocks on
it: closing a socket does not wake a thread blocked in ``recv`` on Linux, shutting it down does.

What no socket can interrupt, a TCP connect or DNS lookup blocked in the OS, is handled a level
up: the reply's runner stops waiting for the worker (see ``session/runner``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["TrackedConnection", "TrackingAdapter", "shutdown", "watching"]

Watcher = Callable[["TrackedConnection"], None]
_current = threading.local()


@contextlib.contextmanager
def watching(watch: Watcher) -> Iterator[None]:
    """While the body runs, connections this thread uses are passed to ``watch``."""
    _current.watch = watch
    try:
        yield
    finally:
        _current.watch = None


class TrackedConnection(urllib3.connection.HTTPConnection):
    # http.client drops ``.sock`` when a close-delimited response takes the socket over; this
    # keeps a handle so the socket can still be shut down.
    _co_sock: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        # The TCP socket, before any TLS handshake on it, registered now so that a stop during
        # the handshake can shut it down. Through a duplicate of its descriptor: wrapping the
        # socket for TLS takes the original object over and closes it, but a shutdown through
        # the duplicate still reaches the connection.
        sock = super()._new_conn()
        self._co_sock = sock.dup()
        _register(self)
        return sock

    def connect(self) -> None:
        try:
            super().connect()
        finally:
            if self._co_sock is not None:
                self._co_sock.close()  # the duplicate, or whatever was left from a failed try
        self._co_sock = self.sock  # the connected (for https, TLS-wrapped) socket itself
        # Again: a stop that found the duplicate closed in between is applied here.
        _register(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A pooled connection is reused without connect(): register it for this request too.
        _register(self)
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(TrackedConnection, urllib3.connection.HTTPSConnection):
    pass


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = TrackedConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_TRACKED_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class TrackingAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _TRACKED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # HTTP(S) proxies use the default pools; SOCKS proxies have their own: leave those.
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = _TRACKED_POOLS
        return manager


def _register(conn: TrackedConnection) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch(conn)


def shutdown(conn: TrackedConnection | None) -> None:
    """Wake every thread blocked on ``conn``'s socket (any thread; never raises)."""
    sock = conn._co_sock if conn is not None else None
    if sock is not None:
        # An OSError means already closed or never connected: nothing left to wake.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
