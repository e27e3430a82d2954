"""What reading Cohere's model list costs a chat: ``Chat(...)`` plus its first view opening
(which starts the read) against an endpoint that answers, one that refuses (offline) and one
whose TCP connect hangs (a black hole), side by side with the same for a chat whose endpoint was
read already (the reference: no read at all). Also how long until the picker has the list.

Budget: the read never slows ``Chat(...)`` or the view noticeably (no network wait in either).

    python benchmarks/model_list.py
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator

from co_widget import Chat
from co_widget.request import models as models_module
from co_widget.testing import FakeCohere
from tests.support.hostile_servers import hanging_connect


def open_view(chat: Chat) -> None:
    """What a view's first message does in the kernel (it also starts the read)."""
    content = {"type": "snapshot"}
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def new_kernel() -> None:
    """Forget the list, in memory and on disk: the first read ever."""
    models_module._listed.clear()
    models_module._started.clear()
    for path in models_module.cache_dir().glob("*.json"):
        path.unlink()


@contextlib.contextmanager
def refused() -> Iterator[str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"  # nothing listens there any more


@contextlib.contextmanager
def answering() -> Iterator[str]:
    with FakeCohere() as fake:
        yield fake.url


@contextlib.contextmanager
def black_hole() -> Iterator[str]:
    with hanging_connect() as (url, _):
        yield url


def timed_ms(url: str) -> float:
    start = time.perf_counter()
    open_view(Chat(base_url=url, api_key="bench"))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    os.environ["CO_WIDGET_CACHE_DIR"] = tempfile.mkdtemp(prefix="co_widget-bench-")
    print(f"Chat(...) + first view, median of {args.rounds} (ms): first chat of the endpoint")
    print("(starts the read) vs a later chat (reference: the read already ran)")
    for name, endpoint in (
        ("answers", answering),
        ("refused", refused),
        ("black hole", black_hole),
    ):
        with endpoint() as url:
            first, later = [], []
            for _ in range(args.rounds):
                new_kernel()
                first.append(timed_ms(url))
                later.append(timed_ms(url))
        print(
            f"  {name:<11} {statistics.median(first):6.1f} ms vs {statistics.median(later):6.1f} ms"
        )
    with FakeCohere() as fake:
        waits = []
        for _ in range(args.rounds):
            new_kernel()
            chat = Chat(base_url=fake.url)
            start = time.perf_counter()
            open_view(chat)
            while not any(m["name"] == "command-a-reasoning-08-2025" for m in chat._models):
                time.sleep(0.0005)
            waits.append((time.perf_counter() - start) * 1000)
    print(f"the picker has Cohere's list after: median {statistics.median(waits):.1f} ms")


if __name__ == "__main__":
    main()
