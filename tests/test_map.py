"""chat.map against a real FakeCohere: rows, templates, results, pacing, faults, resume, Stop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from co_widget import Chat
from co_widget.batch.progress import TerminalBar
from co_widget.batch.rate_limit import RateLimiter, per_minute
from co_widget.batch.task import Connection, RowTask, Secret
from co_widget.testing import Error, FakeCohere, Stream, text_events

KEY = "sk-map-secret-123"


def _echo_user(request):
    return request["messages"][-1]["content"]


@pytest.fixture
def fake():
    with FakeCohere() as server:
        yield server


def test_list_of_strings_each_row_its_own_conversation(fake):
    chat = Chat(base_url=fake.url, system="Be brief.", temperature=0.2)
    chat.history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    rows = [f"ticket {i}" for i in range(30)]
    results = chat.map(rows, "Classify: {text}", concurrency=4, progress=False)
    assert [r["text"] for r in results] == [f"Classify: ticket {i}" for i in range(30)]
    assert {r["status"] for r in results} == {"done"}
    assert all(r["usage"]["billed_units"]["input_tokens"] > 0 for r in results)
    assert len(fake.requests) == 30
    for request in fake.requests:
        body = request.json
        assert body["priority"] == 999 and body["temperature"] == 0.2
        assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert chat.history[-1] == {"role": "assistant", "content": "hello"}  # the chat is untouched


class Label(BaseModel):
    label: str
    urgent: bool


def test_dataframe_in_dataframe_out_with_structured_output(fake):
    def model(request):
        text = request["messages"][-1]["content"]
        if "broken" in text:
            return "not json"
        return json.dumps({"label": text.split()[-1], "urgent": "!" in text})

    fake.responder = model
    df = pd.DataFrame({"text": ["a bill", "a bug!", "broken"]}, index=["x", "y", "z"])
    chat = Chat(base_url=fake.url)
    out = chat.map(df, "Label: {text}", response_format=Label, progress=False)
    assert list(out.index) == ["x", "y", "z"]
    assert list(out.columns) == ["status", "text", "parsed", "error", "usage", "cost", "citations"]
    assert out.loc["x", "parsed"] == Label(label="bill", urgent=False)
    assert out.loc["y", "parsed"] == Label(label="bug!", urgent=True)
    assert out.loc["z", "status"] == "failed" and "ValidationError" in out.loc["z", "error"]
    assert fake.requests[0].json["response_format"]["type"] == "json_object"


def test_callable_template_with_own_history_documents_and_params(fake):
    chat = Chat(base_url=fake.url, system="S")
    chat.history = [{"role": "user", "content": "old"}, {"role": "assistant", "content": "turn"}]
    rows = [{"q": "When?", "doc": "Founded in 1886."}, {"q": "Where?", "doc": "Atlanta."}]
    out = chat.map(
        rows,
        lambda row: {"text": row["q"], "documents": [row["doc"]], "history": [], "seed": 7},
        progress=False,
    )
    for request in fake.requests:
        assert [m["role"] for m in request.json["messages"]] == ["system", "user"]
        assert request.json["seed"] == 7 and request.json["documents"]
    assert all(r["citations"] for r in out)
    cited = out[0]["citations"][0]
    assert out[0]["text"][cited["start"] : cited["end"]] == cited["text"]


def test_bad_template_raises_before_any_request_and_later_bad_rows_fail(fake):
    chat = Chat(base_url=fake.url)
    with pytest.raises(ValueError, match=r"needs field 'name'.*row 0"):
        chat.map([{"text": "x"}], "Hi {name}")
    assert fake.requests == []
    out = chat.map([{"name": "A"}, {"other": 1}, {"name": "C"}], "Hi {name}", progress=False)
    assert [r["status"] for r in out] == ["done", "failed", "done"]
    assert "needs field 'name'" in out[1]["error"]
    with pytest.raises(TypeError, match="rows must be"):
        chat.map("just a string", "{}")
    with pytest.raises(ValueError, match="concurrency"):
        chat.map(["a"], "{}", concurrency=0)
    with pytest.raises(ValueError, match="rate_limit"):
        chat.map(["a"], "{}", rate_limit="fast")


def test_failed_rows_are_recorded_never_fatal_and_429_is_retried(fake):
    fake.responder = lambda request: (
        Error(400, "invalid request: row refused")
        if "bad" in request["messages"][-1]["content"]
        else _echo_user(request)
    )
    fake.add(Error(429, "slow down", retry_after=0.05))
    chat = Chat(base_url=fake.url, api_key=KEY)
    out = chat.map(["ok 1", "bad 2", "ok 3"], "{}", concurrency=1, progress=False)
    assert [r["status"] for r in out] == ["done", "failed", "done"]
    assert out[0]["text"] == "ok 1"  # asked again after the 429
    assert out[1]["error"].startswith("BadRequestError: HTTP 400: invalid request")
    assert len(fake.requests) == 4
    assert KEY not in repr(out)


def test_dry_run_sends_nothing(fake, tmp_path):
    chat = Chat(base_url=fake.url, system="Sys")
    dry = chat.map([f"row {i}" for i in range(50)], "Say {text}", dry_run=True)
    assert fake.requests == []
    assert dry.rows == dry.requests == 50
    assert dry.prompts == ["Say row 0", "Say row 1", "Say row 2"]
    assert 50 * 4 < dry.input_tokens < 50 * 40
    assert "50 requests for 50 rows" in repr(dry)
    priced = Chat(base_url=fake.url, prices={"command-a-03-2025": {"input": 2.5, "output": 10}})
    dry = priced.map(["a b c d"] * 4, "{}", dry_run=True)
    assert dry.cost == pytest.approx(dry.input_tokens * 2.5 / 1e6)
    unpriced = Chat(base_url=fake.url, model="some-future-model")
    assert unpriced.map(["a"], "{}", dry_run=True).cost is None


def test_each_row_costs_its_billed_tokens_at_the_chats_price(fake):
    chat = Chat(base_url=fake.url, prices={"command-a-03-2025": {"input": 2.5, "output": 10}})
    out = chat.map(["one two three", "four"], "{}", progress=False)
    for row in out:
        billed = row["usage"]["billed_units"]
        expected = (billed["input_tokens"] * 2.5 + billed["output_tokens"] * 10) / 1e6
        assert row["cost"] == pytest.approx(expected) and row["cost"] > 0


def test_file_resume_skips_done_rows_and_retries_failed(fake, tmp_path):
    path = tmp_path / "out.jsonl"
    fake.add(Error(400, "no"))
    chat = Chat(base_url=fake.url)
    rows = [f"r{i}" for i in range(10)]
    first = chat.map(rows, "{}", concurrency=1, file=path, progress=False)
    assert [r["status"] for r in first].count("failed") == 1
    assert len(path.read_text().splitlines()) == 10
    assert chat.map(rows, "{}", file=path, dry_run=True).requests == 1
    before = len(fake.requests)
    second = chat.map(rows, "{}", file=path, progress=False)
    assert len(fake.requests) == before + 1  # only the failed row is asked again
    assert [r["text"] for r in second] == rows and {r["status"] for r in second} == {"done"}
    # A different request (another template) is another key: asked again.
    assert chat.map(rows, "Q: {}", file=path, dry_run=True).requests == 10


def test_a_line_cut_short_by_a_crash_is_skipped(fake, tmp_path):
    path = tmp_path / "out.jsonl"
    chat = Chat(base_url=fake.url)
    chat.map(["a", "b"], "{}", file=path, progress=False)
    path.write_text(path.read_text()[:-20])  # the last line cut mid-way
    out = chat.map(["a", "b", "c"], "{}", file=path, progress=False)
    assert [r["text"] for r in out] == ["a", "b", "c"]
    assert all(json.loads(line) for line in path.read_text().splitlines()[-2:])


def test_repeated_rows_are_each_done_once(fake, tmp_path):
    chat = Chat(base_url=fake.url)
    out = chat.map(["same", "same", "other"], "{}", file=tmp_path / "f.jsonl", progress=False)
    assert [r["text"] for r in out] == ["same", "same", "other"]
    keys = [json.loads(line)["key"] for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert len(set(keys)) == 3


def test_handle_progress_stop_and_await(tmp_path):
    path = tmp_path / "out.jsonl"
    with FakeCohere(latency=0.05) as fake:
        chat = Chat(base_url=fake.url)
        rows = [f"r{i}" for i in range(200)]
        handle = chat.map(rows, "{}", concurrency=4, file=path, wait=False, progress=False)
        while handle.progress["done"] < 8:
            time.sleep(0.01)
        handle.stop()
        out = handle.results(timeout=10)
        statuses = [r["status"] for r in out]
        assert statuses.count("done") >= 8 and "stopped" in statuses
        assert set(statuses) <= {"done", "stopped"}
        assert handle.progress["state"] == "stopped" and handle.done
        done_lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(done_lines) == statuses.count("done")  # stopped rows are not written
        assert chat._maps == {}

        async def again():
            return await chat.map(rows, "{}", concurrency=8, file=path, wait=False)

        resumed = asyncio.run(again())
        assert [r["text"] for r in resumed] == rows


def test_stop_cuts_streams_that_would_stall_for_a_minute():
    def stall(request):
        return Stream(text_events(_echo_user(request)), stall_after=2, stall_seconds=60)

    with FakeCohere(responder=stall) as fake:
        chat = Chat(base_url=fake.url)
        handle = chat.map(["a", "b", "c", "d"], "{}", concurrency=4, wait=False, progress=False)
        while len(fake.requests) < 4:
            time.sleep(0.01)
        handle.stop()
        out = handle.results(timeout=10)  # the streams were cut: nothing waited out the stall
    assert [r["status"] for r in out] == ["stopped"] * 4
    assert [r["text"] for r in out] == [None] * 4


def test_keyboard_interrupt_stops_and_keeps_finished_rows(tmp_path):
    path = tmp_path / "out.jsonl"
    with FakeCohere(latency=0.05) as fake:
        chat = Chat(base_url=fake.url)

        def interrupt_once_rows_are_saved():
            while not path.exists() or len(path.read_text().splitlines()) < 5:
                time.sleep(0.01)
            # A real SIGINT, as a kernel interrupt sends: it wakes the waiting main thread.
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt_once_rows_are_saved, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            chat.map([f"r{i}" for i in range(500)], "{}", concurrency=4, file=path)
        kept = path.read_text().splitlines()
        assert 0 < len(kept) < 500
        assert all(json.loads(line)["status"] == "done" for line in kept)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_row_lost_or_duplicated_under_random_faults(seed, tmp_path):
    """Random 429s, 503s and streams cut mid-way: every row ends done, once, with its text."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def flaky(request):
        text = _echo_user(request)
        with lock:
            roll = rng.random()
        if roll < 0.1:
            return Error(429, "slow down", retry_after=0.01)
        if roll < 0.2:
            return Error(503, "busy")
        if roll < 0.3:
            return Stream(text_events(text), drop_after=2)
        return text

    path = tmp_path / "out.jsonl"
    with FakeCohere(responder=flaky) as fake:
        chat = Chat(base_url=fake.url, max_retries=8)
        rows = [f"row {i} of seed {seed}" for i in range(300)]
        out = chat.map(rows, "{}", concurrency=16, file=path, progress=False)
    assert [r["text"] for r in out] == rows
    assert {r["status"] for r in out} == {"done"}
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["text"] for line in lines) == sorted(rows)  # one line per row
    assert len(fake.requests) > len(rows)  # faults were injected and retried


def test_process_pool_executor_runs_picklable_tasks():
    with FakeCohere(api_key=KEY) as fake:
        chat = Chat(base_url=fake.url, api_key=KEY)
        with concurrent.futures.ProcessPoolExecutor(2) as pool:
            out = chat.map([f"p{i}" for i in range(12)], "{}", executor=pool, progress=False)
        assert [r["text"] for r in out] == [f"p{i}" for i in range(12)]


def test_the_key_never_shows_in_a_task_repr_or_pickle_text():
    secret = Secret(KEY)
    task = RowTask("run", 0, {"model": "m"}, Connection(None, secret, 1.0, 0, 1, None))
    assert KEY not in repr(task) and KEY not in str(task)
    assert pickle.loads(pickle.dumps(task)).connection.api_key.reveal() == KEY


def test_terminal_bar_when_no_widget(fake):
    out = io.StringIO()
    bar = TerminalBar(out)
    chat = Chat(base_url=fake.url)
    handle = chat.map(["a", "b", "c"], "{}", wait=False, progress=False)
    handle.results(timeout=5)
    bar.update(handle.progress, final=True)
    line = out.getvalue()
    assert line.startswith("\rmap 3/3 |") and "100%" in line and "0 failed" in line
    assert line.endswith("\n")


def test_limiter_halves_on_429_pauses_and_grows_back():
    limiter = RateLimiter(8)
    stop = threading.Event()
    assert limiter.acquire(stop)
    limiter.release(throttled=True, retry_after=0.2)
    assert limiter.limit == 4 and limiter.throttled == 1
    started = time.monotonic()
    assert limiter.acquire(stop)  # waits out the Retry-After
    assert time.monotonic() - started >= 0.15
    for _ in range(40):
        limiter.release()
        assert limiter.acquire(stop)
    assert limiter.limit == 8
    stop.set()
    limiter.in_flight = 8
    assert not limiter.acquire(stop)  # a Stop wins over waiting


def test_rate_limit_presets():
    assert per_minute("trial") == 20 and per_minute("production") == 500
    assert per_minute(None) is None and per_minute(120) == 120.0
    limiter = RateLimiter(8, rate=600)  # one start every 0.1 s
    stop = threading.Event()
    started = time.monotonic()
    for _ in range(4):
        assert limiter.acquire(stop)
    assert time.monotonic() - started >= 0.25


def test_the_key_stays_out_of_the_file_reprs_progress_and_logs(tmp_path, caplog, capsys):
    path = tmp_path / "out.jsonl"
    with FakeCohere(api_key=KEY) as fake:
        fake.add(Error(401, f"invalid api token {KEY}"))  # a server that echoes the key back
        chat = Chat(base_url=fake.url, api_key=KEY)
        handle = chat.map(["a", "b", "c"], "{}", file=path, wait=False)
        out = handle.results(timeout=10)
        shown = [
            repr(handle),
            repr(handle.progress),
            repr(out),
            repr(chat.map(["a"], "{}", dry_run=True)),
            path.read_text(),
            caplog.text,
            *capsys.readouterr(),
        ]
    assert [r["status"] for r in out].count("failed") == 1
    assert "<redacted>" in "".join(r["error"] or "" for r in out)
    for text in shown:
        assert KEY not in text


def test_fake_cohere_answers_many_requests_side_by_side():
    """chat.map needs a FakeCohere that serves concurrent requests: 16 of them meet inside the
    responder at once (a barrier), each on a fresh connection, then wait out the latency."""
    barrier = threading.Barrier(16, timeout=10)

    def meet(request):
        barrier.wait()
        return _echo_user(request)

    with FakeCohere(responder=meet, latency=0.05) as fake:
        chat = Chat(base_url=fake.url)
        out = chat.map([f"r{i}" for i in range(32)], "{}", concurrency=16, progress=False)
    assert [r["text"] for r in out] == [f"r{i}" for i in range(32)]
    with pytest.raises(ValueError, match="latency"):
        FakeCohere(latency=-1)


def test_rows_with_images_on_a_vision_model(fake):
    from PIL import Image

    def png(colour):
        buffer = io.BytesIO()
        Image.new("RGB", (4, 3), colour).save(buffer, "PNG")
        return buffer.getvalue()

    chat = Chat(base_url=fake.url, model="command-a-vision-07-2025")
    out = chat.map(
        [png("red"), png("blue")],
        lambda image: {"text": "Describe", "images": [image], "detail": "low"},
        progress=False,
    )
    assert all("4x3" in r["text"] or "4×3" in r["text"] for r in out), out
    blocks = fake.requests[0].json["messages"][-1]["content"]
    assert blocks[0] == {"type": "text", "text": "Describe"}
    assert blocks[1]["image_url"]["detail"] == "low"


def test_no_key_for_cohere_fails_before_any_row(monkeypatch):
    from co_widget import CohereError

    for name in ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    chat = Chat()
    with pytest.raises(CohereError, match="No Cohere API key"):
        chat.map(["a", "b"], "{}")
    assert chat.map(["a", "b"], "{}", dry_run=True).requests == 2  # a dry run needs no key


def test_a_plain_terminal_gets_a_progress_bar_on_stderr(fake):
    script = (
        "import sys\n"
        "from co_widget import Chat\n"
        f"chat = Chat(base_url={fake.url!r})\n"
        "out = chat.map([f'r{i}' for i in range(40)], '{}', concurrency=4)\n"
        "print(sum(r['status'] == 'done' for r in out))\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,  # bytes: text mode would turn each "\r" into a newline
        timeout=60,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert done.stdout == b"40\n", done.stderr
    last = done.stderr.decode().split("\r")[-1]
    assert last.startswith("map 40/40 |") and "100%" in last and last.endswith("\n")


_FAULTS = {
    "429": Error(429, "slow down", retry_after=0),
    "503": Error(503, "busy"),
    "drop": Stream("cut short", drop_after=1),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).filter(str.strip),
        min_size=1,
        max_size=8,
    ),
    faults=st.lists(st.sampled_from(sorted(_FAULTS)), max_size=8),
)
def test_any_rows_under_any_faults_come_back_once_in_order(rows, faults):
    with FakeCohere() as fake:
        fake.add(*[_FAULTS[name] for name in faults])
        chat = Chat(base_url=fake.url, max_retries=len(faults))
        out = chat.map(rows, "{}", concurrency=4, progress=False)
    assert [r["text"] for r in out] == rows
    assert {r["status"] for r in out} == {"done"}
    assert len(fake.requests) == len(rows) + len(faults)  # each fault cost one request, once
