"""Documents in: strings, dicts, files and DataFrames become Cohere documents, chunked and with
stable ids; chat-wide and per-turn documents reach the request, and a turn keeps its own across
regenerate(), editing, save() and load()."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from co_widget import Chat
from co_widget.request.documents import CHUNK_WORDS, chunk_text, normalize_documents
from co_widget.session.kernel_store import SOURCE_BYTES
from co_widget.testing import FakeCohere

WORD = "lorem"


def words(n: int, word: str = WORD) -> str:
    return " ".join([word] * n)


# --- what documents accepts --------------------------------------------------------------------


def test_a_string_is_one_text_document_with_an_id_from_its_content():
    [doc] = normalize_documents("Coca-Cola was invented in 1886.")
    assert doc["data"] == {"text": "Coca-Cola was invented in 1886."}
    assert doc["id"].startswith("doc-")
    assert normalize_documents(["Coca-Cola was invented in 1886."])[0]["id"] == doc["id"]


def test_a_dict_keeps_its_id_and_puts_every_other_field_in_data():
    docs = normalize_documents(
        [
            {"id": "a1", "title": "T", "text": "body", "year": 1886},
            {"title": "no id", "tags": ["x"]},
            {"id": "cohere", "data": {"text": "already in Cohere's shape"}},
        ]
    )
    assert docs[0] == {"id": "a1", "data": {"title": "T", "text": "body", "year": 1886}}
    assert docs[1]["data"] == {"title": "no id", "tags": ["x"]}
    assert docs[1]["id"].startswith("doc-")
    assert docs[2] == {"id": "cohere", "data": {"text": "already in Cohere's shape"}}


def test_a_path_is_read_as_utf8_and_titled_with_the_file_name(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Über\n\nCafé ☕ and 東京.", encoding="utf-8")
    table = tmp_path / "prices.csv"
    table.write_text("item,price\ncola,1.5\n", encoding="utf-8")
    docs = normalize_documents([notes, table])
    assert docs[0] == {
        "id": "notes.md",
        "data": {"title": "notes.md", "text": "# Über\n\nCafé ☕ and 東京."},
    }
    assert docs[1]["data"] == {"title": "prices.csv", "text": "item,price\ncola,1.5"}


def test_a_dataframe_gives_one_json_safe_document_per_row_with_ids_from_the_index():
    frame = pd.DataFrame(
        {
            "brand": ["Coca-Cola", "Pepsi", None],
            "founded": pd.to_datetime(["1886-05-08", "1893-08-28", None]),
            "score": [1.5, math.nan, 3.0],
            "units": np.array([10, 20, 30], dtype=np.int64),
            "flag": np.array([True, False, True]),
        },
        index=["coke", "pepsi", 7],
    )
    docs = normalize_documents(frame)
    assert [doc["id"] for doc in docs] == ["row:coke", "row:pepsi", "row:7"]
    assert docs[0]["data"] == {
        "brand": "Coca-Cola",
        "founded": "1886-05-08T00:00:00",
        "score": 1.5,
        "units": 10,
        "flag": True,
    }
    assert docs[1]["data"]["score"] is None  # NaN
    assert docs[2]["data"]["brand"] is None and docs[2]["data"]["founded"] is None  # None, NaT
    assert type(docs[0]["data"]["units"]) is int and type(docs[0]["data"]["flag"]) is bool
    json.dumps(docs, allow_nan=False)  # plain JSON all through
    # Ids depend on the labels, not the order: the same row keeps its id in another selection.
    assert normalize_documents(frame.iloc[[1]])[0]["id"] == "row:pepsi"


def test_two_frames_with_the_same_labels_get_distinct_ids():
    frame = pd.DataFrame({"a": [1, 2]})
    ids = [doc["id"] for doc in normalize_documents([frame, frame.assign(a=[3, 4])])]
    assert ids == ["row:0", "row:1", "row:0~2", "row:1~2"]


def test_pandas_is_imported_only_when_a_dataframe_is_given():
    code = (
        "import sys; from co_widget import Chat; "
        "from co_widget.request.documents import normalize_documents; "
        "normalize_documents(['text', {'title': 't'}]); "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (42, TypeError, r"documents\[0\] must be a str, a dict, a pathlib.Path"),
        ("   ", ValueError, "empty string"),
        (Path("/no/such/file.txt"), ValueError, "no file at"),
        ({"id": "x"}, ValueError, "no fields besides 'id'"),
        ({"id": ["x"], "text": "t"}, TypeError, r"\['id'\] must be a non-empty string"),
        ({"text": object()}, TypeError, "holds a object, which is not JSON"),
    ],
)
def test_bad_documents_say_which_and_how_to_fix(value, error, message):
    with pytest.raises(error, match=message):
        normalize_documents([value])


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    blob = tmp_path / "image.png"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        normalize_documents(blob)


# --- chunking ------------------------------------------------------------------------------------


def test_a_long_text_is_chunked_at_paragraphs_keeping_the_title(tmp_path):
    paragraphs = [words(120, f"p{i}") for i in range(5)]  # 600 words in 5 paragraphs
    report = tmp_path / "report.txt"
    report.write_text("\n\n".join(paragraphs), encoding="utf-8")
    docs = normalize_documents(report)
    assert [doc["id"] for doc in docs] == ["report.txt#1", "report.txt#2", "report.txt#3"]
    assert [doc["data"]["chunk"] for doc in docs] == [1, 2, 3]
    assert all(doc["data"]["title"] == "report.txt" for doc in docs)
    # Whole paragraphs: 2 + 2 + 1 of 120 words, never a paragraph cut in two.
    assert [doc["data"]["text"] for doc in docs] == [
        "\n\n".join(paragraphs[0:2]),
        "\n\n".join(paragraphs[2:4]),
        paragraphs[4],
    ]


def test_a_paragraph_longer_than_a_chunk_is_cut_at_lines_then_words():
    lines = "\n".join(words(100, f"l{i}") for i in range(4))  # one 400-word paragraph
    assert [len(chunk.split()) for chunk in chunk_text(lines)] == [300, 100]
    assert [len(chunk.split()) for chunk in chunk_text(words(700))] == [300, 300, 100]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=4),
        min_size=1,
        max_size=8,
    )
)
def test_chunks_keep_every_word_in_order_and_stay_under_the_limit(shape):
    # shape: paragraphs of lines of n words, each word numbered so order is checkable.
    counter = iter(range(10**6))
    text = "\n\n".join(
        "\n".join(" ".join(f"w{next(counter)}" for _ in range(n)) for n in paragraph)
        for paragraph in shape
    )
    chunks = chunk_text(text)
    assert " ".join(chunks).split() == text.split()
    assert all(len(chunk.split()) <= CHUNK_WORDS for chunk in chunks)
    if len(text.split()) <= CHUNK_WORDS:
        assert chunks == [text]


# --- documents in requests, kept with their turn ------------------------------------------------


def sent_ids(fake: FakeCohere) -> list[str]:
    return [doc["id"] for doc in fake.requests[-1].json.get("documents", [])]


def test_chat_documents_go_with_every_request_and_turn_documents_with_their_turn(fake):
    chat = Chat(base_url=fake.url, api_key="k", documents=["chat-wide fact"])
    chat.send("first", documents={"id": "t1", "text": "turn one fact"}).wait(10)
    assert sent_ids(fake) == [normalize_documents("chat-wide fact")[0]["id"], "t1"]
    chat.send("second").wait(10)
    assert sent_ids(fake) == [normalize_documents("chat-wide fact")[0]["id"]]
    # The history the API sees has no widget metadata; the turn keeps its documents in _co.
    assert all("_co" not in message for message in fake.requests[-1].json["messages"])
    # The turn's documents stay in the kernel: the trait (every view, the saved notebook) holds
    # their number, and saving writes them in full.
    assert chat.messages[0]["_co"]["attached"]["documents"] == 1
    saved = chat._store.full(chat.messages)
    assert saved[0]["_co"]["documents"] == [{"id": "t1", "data": {"text": "turn one fact"}}]


def test_regenerate_edit_save_and_load_resend_the_turns_documents(fake, tmp_path):
    chat = Chat(base_url=fake.url, api_key="k")
    chat.send("when?", documents=[{"id": "d1", "text": "Invented in 1886."}]).wait(10)
    assert sent_ids(fake) == ["d1"]
    chat.regenerate().wait(10)
    assert sent_ids(fake) == ["d1"]
    chat._edit(0, "when exactly?").wait(10)
    assert sent_ids(fake) == ["d1"]
    assert fake.requests[-1].json["messages"][-1]["content"] == "when exactly?"

    path = tmp_path / "chat.json"
    chat.save(path)
    loaded = Chat.load(path, base_url=fake.url, api_key="k")
    loaded.regenerate().wait(10)
    assert sent_ids(fake) == ["d1"]
    assert loaded.history == chat.history


def test_citation_modes_are_sent_upper_case_and_checked():
    assert Chat(citation_options={"mode": "accurate"})._params["citation_options"] == {
        "mode": "ACCURATE"
    }
    with pytest.raises(ValueError, match=r"citation_options\['mode'\] must be one of"):
        Chat(citation_options={"mode": "sometimes"})


def test_documents_and_response_format_cannot_be_combined():
    with pytest.raises(ValueError, match="response_format cannot be combined"):
        Chat(documents=["x"], response_format={"type": "json_object"})


def test_timestamps_in_a_dict_document_become_iso_strings():
    [doc] = normalize_documents({"id": "e", "when": dt.datetime(2026, 11, 30, 12, 0)})
    assert doc["data"] == {"when": "2026-11-30T12:00:00"}


def test_a_turns_documents_and_long_sources_stay_in_the_kernel(comms, fake):
    rows = [
        {"id": f"row:{i}", "sku": f"SKU-{i:05}", "notes": "long text " * 300} for i in range(400)
    ]
    chat = Chat(base_url=fake.url, api_key="k")
    recorder = next(r for r in comms if r.comm_id == chat.model_id)
    mark = len(recorder.messages)
    chat.send("Which SKU?", documents=rows).wait(10)  # the fake quotes (and cites) them
    turn_bytes = sum(m.nbytes for m in recorder.messages[mark:])
    # The request carried every row; the views got their number, and each cited source cut to
    # SOURCE_BYTES.
    assert len(fake.requests[-1].json["documents"]) == 400
    user, answer = chat.messages
    assert user["_co"]["attached"]["documents"] == 400
    assert answer["citations"] and all(
        len(json.dumps(source, ensure_ascii=False).encode()) <= SOURCE_BYTES
        for citation in answer["citations"]
        for source in citation["sources"]
    )
    assert turn_bytes < len(json.dumps(rows)) / 10
    # A later turn sends them again (regenerate), and saving, history and Markdown have all.
    chat.regenerate().wait(10)
    assert len(fake.requests[-1].json["documents"]) == 400
    full = chat._store.full(chat.messages)
    assert len(full[0]["_co"]["documents"]) == 400
    assert full[1]["citations"] == chat._store.full([chat.messages[1]])[0]["citations"]
    assert "long text long text" in chat.to_markdown()
    # Undo forgets them.
    chat.undo()
    assert chat._store._kept == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=2000),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=12), json_values, max_size=8), id_=st.text(max_size=40)
)
def test_a_cited_source_in_the_trait_fits_its_bound_and_keeps_its_name(data, id_):
    from co_widget.session.kernel_store import _bounded_source

    source = {"type": "document", "id": id_, "document": {"id": id_, **data}}
    bounded = _bounded_source(source)
    size = len(json.dumps(bounded, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if len(json.dumps(source, ensure_ascii=False).encode("utf-8", "surrogatepass")) <= SOURCE_BYTES:
        assert bounded == source
    else:
        assert size <= SOURCE_BYTES
        assert (bounded["type"], bounded["id"]) == ("document", id_)
