"""Documents for grounded answers: whatever the user passes, turned into Cohere's ``documents``.

Cohere takes ``documents`` as a list of ``{"id": str, "data": {...}}`` (or bare strings). People
have strings, dicts, files and DataFrames, so :func:`normalize_documents` accepts all of these:

* a ``str``: one document ``{"text": ...}``;
* a dict: its ``id`` (if any) is the id, every other field goes into ``data``; a dict already in
  Cohere's shape (``{"data": {...}, "id"?: str}``) is taken as it is;
* a ``pathlib.Path`` to a text, Markdown, CSV or JSON file: read as UTF-8, ``title`` = file name;
  a folder: its text, Markdown, CSV and JSON files, recursively, ``title`` = the path inside it;
* a pandas DataFrame: one document per row, ``data`` = the row as JSON-safe values, ``id`` derived
  from the row's index label (pandas is imported only when a DataFrame is given);
* a list (or tuple) of any of these.

Long texts (strings and files) are split into chunks of at most ``CHUNK_WORDS`` words, at paragraph
boundaries where possible, because Cohere advises documents under 300 words; each chunk keeps the
title and gets a ``chunk`` number. Ids are stable: derived from the content, the file name or the
row label, never from the position, so the same document keeps its id across turns and sessions.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

__all__ = [
    "CHUNK_WORDS",
    "chunk_text",
    "json_safe",
    "merge_documents",
    "normalize_documents",
    "turn_documents",
    "with_turn_documents",
]

CHUNK_WORDS = 300
# The files a folder contributes (others, e.g. images or notebooks, are skipped).
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".rst", ".csv", ".json", ".jsonl"})
_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")

Document = dict[str, Any]


def normalize_documents(value: Any, argument: str = "documents") -> list[Document]:
    """``value`` as Cohere documents (``{"id", "data"}`` dicts with unique ids).

    Raises TypeError for a value of the wrong kind and ValueError for an unreadable file or
    data that is not JSON, naming ``argument`` and the fix.
    """
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    documents: list[Document] = []
    for j, item in enumerate(items):
        where = f"{argument}[{j}]" if isinstance(value, (list, tuple)) else argument
        documents += _one(item, where)
    return _unique_ids(documents)


def merge_documents(*groups: list[Document]) -> list[Document]:
    """The documents of several groups (the chat's, the turn's), each id once."""
    seen: dict[str, Document] = {}
    merged = []
    for document in (doc for group in groups for doc in group):
        if seen.get(document["id"]) == document:
            continue  # the same document given twice (e.g. to the chat and to the turn)
        seen[document["id"]] = document
        merged.append(document)
    return _unique_ids(merged)


def _one(item: Any, where: str) -> list[Document]:
    if isinstance(item, str):
        if not item.strip():
            raise ValueError(f"{where} is an empty string; give the document some text.")
        return _text_documents(_digest_id(item), item, {})
    if isinstance(item, Path):
        return _file_documents(item, where)
    if isinstance(item, dict):
        return [_dict_document(item, where)]
    if _is_dataframe(item):
        return _dataframe_documents(item, where)
    if isinstance(item, (list, tuple)):
        return [doc for k, sub in enumerate(item) for doc in _one(sub, f"{where}[{k}]")]
    raise TypeError(
        f"{where} must be a str, a dict, a pathlib.Path, a pandas DataFrame or a list of "
        f"these, got {type(item).__name__}. (A file name as a str is taken as text: wrap it "
        "in pathlib.Path to read the file.)"
    )


def _text_documents(base_id: str, text: str, fields: dict[str, Any]) -> list[Document]:
    chunks = chunk_text(text)
    if len(chunks) == 1:
        return [{"id": base_id, "data": {**fields, "text": chunks[0]}}]
    return [
        {"id": f"{base_id}#{k}", "data": {**fields, "text": chunk, "chunk": k}}
        for k, chunk in enumerate(chunks, 1)
    ]


def _file_documents(path: Path, where: str, name: str | None = None) -> list[Document]:
    if name is None and path.is_dir():
        return _folder_documents(path, where)
    name = name or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{where}: no file at {str(path)!r}; check the path.") from None
    except UnicodeDecodeError:
        raise ValueError(
            f"{where}: {path.name!r} is not UTF-8 text; give a text, Markdown, CSV or JSON file."
        ) from None
    except OSError as error:
        raise ValueError(f"{where}: cannot read {str(path)!r} ({error.strerror}).") from None
    if not text.strip():
        raise ValueError(f"{where}: the file {path.name!r} is empty.")
    return _text_documents(name, text, {"title": name})


def _folder_documents(folder: Path, where: str) -> list[Document]:
    # Sorted, and titled by the path inside the folder: the same folder gives the same ids, and
    # two README.md in different subfolders stay apart. Hidden files and folders are skipped.
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in TEXT_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    if not files:
        raise ValueError(
            f"{where}: the folder {str(folder)!r} holds no text, Markdown, CSV or JSON files."
        )
    documents: list[Document] = []
    for path in files:
        if path.stat().st_size == 0:
            continue  # an empty file in a folder is no reason to refuse the folder
        documents += _file_documents(path, where, path.relative_to(folder).as_posix())
    return documents


def _dict_document(item: dict[str, Any], where: str) -> Document:
    if set(item) <= {"id", "data"} and isinstance(item.get("data"), dict):
        fields, doc_id = item["data"], item.get("id")  # already Cohere's shape
    else:
        fields = {key: value for key, value in item.items() if key != "id"}
        doc_id = item.get("id")
    if not fields:
        raise ValueError(f"{where} has no fields besides 'id'; give it some data, e.g. 'text'.")
    data = json_safe(fields, where)
    if doc_id is None:
        doc_id = _digest_id(json.dumps(data, sort_keys=True, ensure_ascii=False))
    elif not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool) or doc_id == "":
        raise TypeError(f"{where}['id'] must be a non-empty string, got {doc_id!r}.")
    return {"id": str(doc_id), "data": data}


def _is_dataframe(item: Any) -> bool:
    # Checked by name, so pandas is imported only when a DataFrame is actually given.
    kind = type(item)
    return kind.__name__ == "DataFrame" and kind.__module__.split(".")[0] == "pandas"


def _dataframe_documents(frame: Any, where: str) -> list[Document]:
    import pandas as pd  # only here: pandas is an optional extra

    if not frame.columns.is_unique:
        raise ValueError(f"{where}: the DataFrame's column names repeat; rename them first.")
    documents = []
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        fields = {str(column): value for column, value in zip(frame.columns, row, strict=True)}
        data = json_safe(fields, f"{where} row {label!r}", pd.isna)
        documents.append({"id": f"row:{_label(label)}", "data": data})
    return documents


def _label(label: Any) -> str:
    if isinstance(label, tuple):  # a MultiIndex
        return "/".join(_label(part) for part in label)
    safe = json_safe(label, "index label")
    return safe if isinstance(safe, str) else json.dumps(safe)


def json_safe(value: Any, where: str = "value", isna: Any = None) -> Any:
    """``value`` with only JSON types: numpy scalars become Python numbers, dates and timestamps
    ISO strings; with ``isna`` (pandas' test for missing values) NaN, NaT and NA become null.
    Raises TypeError naming ``where`` for anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # A DataFrame's NaN means "missing": null. Elsewhere it stays, and the JSON check
        # rejects it, since the user's own dict should say what it means.
        return None if isna is not None and not math.isfinite(value) else value
    if isinstance(value, dict):
        return {str(key): json_safe(item, where, isna) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item, where, isna) for item in value]
    if isna is not None and _scalar_isna(value, isna):
        return None  # NaT, pd.NA, numpy nan
    if isinstance(value, (_dt.date, _dt.time)) or hasattr(value, "isoformat"):
        return value.isoformat()  # datetime, date, pandas Timestamp
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return json_safe(value.tolist(), where, isna)
    if hasattr(value, "total_seconds"):  # timedelta
        return value.total_seconds()
    raise TypeError(
        f"{where} holds a {type(value).__name__}, which is not JSON; convert it to a str, "
        "number, bool, list or dict."
    )


def _scalar_isna(value: Any, isna: Any) -> bool:
    try:
        return bool(isna(value))
    except (TypeError, ValueError):  # an array: not a scalar missing value
        return False


def chunk_text(text: str, max_words: int = CHUNK_WORDS) -> list[str]:
    """``text`` in chunks of at most ``max_words`` words, cut at paragraph boundaries where
    possible, then at line ends, and only inside a line longer than ``max_words``."""
    text = text.strip()
    if len(_WORD.findall(text)) <= max_words:
        return [text]
    pieces: list[tuple[str, int]] = []  # (text, words): paragraphs, or parts of long ones
    for paragraph in _PARAGRAPH_BREAK.split(text):
        pieces += [(part, len(_WORD.findall(part))) for part in _fit(paragraph, max_words)]
    chunks: list[str] = []
    current: list[str] = []
    words = 0
    for piece, count in pieces:
        if current and words + count > max_words:
            chunks.append("\n\n".join(current))
            current, words = [], 0
        current.append(piece)
        words += count
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _fit(paragraph: str, max_words: int) -> list[str]:
    """A paragraph as parts of at most ``max_words`` words: whole lines, or word windows."""
    if len(_WORD.findall(paragraph)) <= max_words:
        return [paragraph]
    parts: list[str] = []
    lines: list[str] = []
    words = 0
    for line in paragraph.split("\n"):
        count = len(_WORD.findall(line))
        if lines and words + count > max_words:
            parts.append("\n".join(lines))
            lines, words = [], 0
        if count > max_words:
            starts = [match.start() for match in _WORD.finditer(line)][::max_words]
            ends = [*starts[1:], len(line)]
            parts += [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]
            continue
        lines.append(line)
        words += count
    if lines:
        parts.append("\n".join(lines))
    return parts


def _digest_id(text: str) -> str:
    return "doc-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _unique_ids(documents: list[Document]) -> list[Document]:
    """Different documents with the same id (two frames' row 0) get ``~2``, ``~3``..."""
    seen: set[str] = set()
    result = []
    for document in documents:
        doc_id, n = document["id"], 1
        while doc_id in seen:
            n += 1
            doc_id = f"{document['id']}~{n}"
        seen.add(doc_id)
        result.append(document if doc_id == document["id"] else {**document, "id": doc_id})
    return result


def turn_documents(messages: list[dict[str, Any]]) -> list[Document]:
    """The documents kept with the last user message (its ``_co.documents``): what a turn,
    regenerated or continued after tool results, sends again."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            co = messages[i].get("_co") or {}
            return normalize_documents(co.get("documents"), f"messages[{i}]['_co']['documents']")
    return []


def with_turn_documents(params: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """``params`` for a request on ``messages``: the chat's documents plus the turn's."""
    documents = turn_documents(messages)
    if not documents:
        return params
    return {**params, "documents": merge_documents(params.get("documents", []), documents)}
