"""chat.map on a Dask LocalCluster of 2 worker processes, against FakeCohere in this process."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from co_widget import Chat
from co_widget.testing import FakeCohere

distributed = pytest.importorskip("distributed")

KEY = "sk-dask-secret-456"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def test_each_row_once_in_order(client, tmp_path):
    import co_widget

    # The workers run this checkout's code (multiprocessing hands them our sys.path).
    assert set(client.run(lambda: __import__("co_widget").__file__).values()) == {
        co_widget.__file__
    }
    with FakeCohere(api_key=KEY) as fake:
        chat = Chat(base_url=fake.url, api_key=KEY)
        rows = [f"dask row {i}" for i in range(100)]
        executor = client.get_executor()
        out = chat.map(rows, "{}", concurrency=8, executor=executor, progress=False)
    assert [r["text"] for r in out] == rows
    asked = sorted(r.json["messages"][-1]["content"] for r in fake.requests)
    assert asked == sorted(rows)  # each row sent exactly once, with the key (else a 401)


def test_a_worker_killed_mid_run_loses_no_finished_row(client, tmp_path):
    path = tmp_path / "out.jsonl"
    with FakeCohere(latency=0.05) as fake:
        chat = Chat(base_url=fake.url)
        rows = [f"row {i}" for i in range(120)]
        pids = list(client.run(os.getpid).values())
        executor = client.get_executor()
        handle = chat.map(
            rows, "{}", concurrency=8, executor=executor, wait=False, progress=False, file=path
        )
        while handle.progress["done"] < 20:
            time.sleep(0.01)
        os.kill(pids[0], signal.SIGKILL)  # the nanny starts a new worker; Dask reschedules
        killed_at = [json.loads(line)["text"] for line in path.read_text().splitlines()]
        out = handle.results(timeout=120)
    done = [r["text"] for r in out if r["status"] == "done"]
    assert set(killed_at) <= set(done)  # every row finished before the kill is kept
    assert [r["text"] for r in out] == rows
    texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]
    assert sorted(texts) == sorted(rows)  # each row recorded exactly once
