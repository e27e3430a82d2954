"""The model catalogue: Cohere's ``GET /v1/models?endpoint=chat`` merged with the built-in table.

``_model_rules.MODELS`` stays the source of what the API does not publish (vision and tools
together, image caps, safety modes, when an alias was deprecated and what replaces it) and the
whole catalogue when offline. Cohere's list adds the models the package does not know yet, and
its ``context_length``, ``is_deprecated`` and ``features`` win for the models it lists.

When it is read: once per kernel and endpoint, in a background thread started when a chat's
first view opens (the header's picker needs it), so ``Chat(...)`` never waits for the network,
never shares a server with its first request, and nothing shows when offline (a failed read is
logged at debug level and the built-in table stands). The answer is cached on disk for a day
(the user's cache dir, or ``$CO_WIDGET_CACHE_DIR``; written atomically): ``Chat(...)`` reads a
fresh cache at once, and later kernels start from it without a request. Cohere's answer holds
no secret: the key goes out as a Bearer header only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from .._files import cache_dir, replace_atomically
from .model_rules import MODELS, Capabilities, capabilities

__all__ = [
    "CACHE_SECONDS",
    "DeprecatedModelWarning",
    "ModelInfo",
    "catalog",
    "deprecation_note",
    "load_cached",
    "markdown_table",
    "model_info",
    "models",
    "on_refresh",
    "refresh_in_background",
]

CACHE_SECONDS = 24 * 60 * 60
FETCH_TIMEOUT = 5.0  # seconds: a background read, but models() waits for it
_MAX_PAGES = 10
_log = logging.getLogger(__name__)


class DeprecatedModelWarning(UserWarning):
    """The chat's model is deprecated by Cohere: it still works, for now."""


@dataclass(frozen=True)
class ModelInfo:
    """One chat model, as co_widget knows it (a record of ``co_widget.models()``)."""

    name: str
    context_length: int | None
    vision: bool | None  # None: not known (a model only Cohere's list names, without features)
    reasoning: bool
    deprecated: bool
    deprecated_on: str | None
    replacement: str | None
    features: tuple[str, ...]
    source: str  # "built-in", "cohere" or "both"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["features"] = list(self.features)
        return record


# --- the catalogue in memory ----------------------------------------------------------------

_lock = threading.Lock()
_listed: dict[str, list[dict[str, Any]]] = {}  # base URL -> Cohere's models (once read)
_started: set[str] = set()  # base URLs whose read this kernel has begun
_listeners: list[tuple[str, Callable[[], bool]]] = []  # (base URL, listener)


def catalog(base_url: str) -> dict[str, ModelInfo]:
    """The merged table for ``base_url``: the built-in rows (concrete names), then every model
    Cohere listed, by name."""
    with _lock:
        listed = list(_listed.get(base_url, ()))
    merged = {
        name: _info(name, caps, None) for name, caps in MODELS.items() if not name.endswith("*")
    }
    for record in listed:
        name = record.get("name")
        if isinstance(name, str) and name:
            merged[name] = _info(name, capabilities(name), record)
    return merged


def _info(name: str, caps: Capabilities | None, listed: dict[str, Any] | None) -> ModelInfo:
    features = listed.get("features") if listed else None
    features = (
        tuple(f for f in features if isinstance(f, str)) if isinstance(features, list) else ()
    )
    context = listed.get("context_length") if listed else None
    if not isinstance(context, int) or isinstance(context, bool) or context <= 0:
        context = caps.context_length if caps else None
    deprecated_on = caps.deprecated if caps else None
    return ModelInfo(
        name=name,
        context_length=context,
        vision=caps.vision if caps else ("vision" in features if features else None),
        reasoning=(caps.reasoning if caps else False) or "reasoning" in features,
        deprecated=bool(deprecated_on) or bool(listed and listed.get("is_deprecated") is True),
        deprecated_on=deprecated_on,
        replacement=caps.replacement if caps else None,
        features=features,
        source="built-in" if listed is None else "cohere" if caps is None else "both",
    )


def on_refresh(base_url: str, listener: Callable[[], bool]) -> None:
    """Call ``listener()`` (from the reading thread) when Cohere's list for ``base_url``
    arrives; a listener that returns False (its chat is gone) is dropped."""
    with _lock:
        _listeners.append((base_url, listener))


def load_cached(base_url: str) -> None:
    """Take Cohere's list from the disk cache if it is fresh (no network; for ``Chat(...)``)."""
    with _lock:
        if base_url in _started:
            return
    cached = _read_cache(base_url)
    if cached is not None:
        with _lock:
            _started.add(base_url)
        _store(base_url, cached)


def refresh_in_background(base_url: str, key: str) -> None:
    """Read Cohere's list for ``base_url`` once per kernel: from the day-old disk cache at once,
    else in a daemon thread. Never raises, never waits for the network."""
    with _lock:
        if base_url in _started:
            return
        _started.add(base_url)
    cached = _read_cache(base_url)
    if cached is not None:
        _store(base_url, cached)
        return
    threading.Thread(
        target=_fetch_and_store, args=(base_url, key), name="co_widget-models", daemon=True
    ).start()


def _fetch_and_store(base_url: str, key: str) -> None:
    try:
        listed = fetch(base_url, key)
    except Exception as exc:  # offline, 401, a proxy's HTML page...: the built-in table stands
        _log.debug("co_widget: could not list models at %s (%s).", base_url, type(exc).__name__)
        return
    _write_cache(base_url, listed)
    _store(base_url, listed)


def _store(base_url: str, listed: list[dict[str, Any]]) -> None:
    with _lock:
        _listed[base_url] = listed
        listeners = [listener for url, listener in _listeners if url == base_url]
    gone = []
    for listener in listeners:
        try:
            if not listener():
                gone.append(listener)
        except Exception:  # a closed widget, say: the others still hear of it
            _log.debug("co_widget: a models listener failed.", exc_info=True)
    with _lock:
        _listeners[:] = [entry for entry in _listeners if entry[1] not in gone]


def fetch(base_url: str, key: str, timeout: float = FETCH_TIMEOUT) -> list[dict[str, Any]]:
    """Cohere's chat models at ``base_url`` (every page). Raises on any failure."""

    def bearer(request: Any) -> Any:
        # As ``auth=``: neither ~/.netrc nor the URL can replace the header (see _client).
        if key:
            request.headers["Authorization"] = f"Bearer {key}"
        return request

    listed: list[dict[str, Any]] = []
    page: str | None = None
    for _ in range(_MAX_PAGES):
        params = {"endpoint": "chat", "page_size": "1000", **({"page_token": page} if page else {})}
        response = requests.get(
            base_url.rstrip("/") + "/v1/models", params=params, auth=bearer, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        models = body.get("models") if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise ValueError("GET /v1/models answered without a 'models' list.")
        listed += [m for m in models if isinstance(m, dict)]
        page = body.get("next_page_token")
        if not isinstance(page, str) or not page:
            break
    return listed


# --- the disk cache --------------------------------------------------------------------------


def _cache_path(base_url: str) -> Path:
    # One file per endpoint: FakeCohere's list must never stand in for Cohere's.
    digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]
    return cache_dir() / f"models-{digest}.json"


def _read_cache(base_url: str) -> list[dict[str, Any]] | None:
    path = _cache_path(base_url)
    try:
        if time.time() - path.stat().st_mtime > CACHE_SECONDS:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("base_url") != base_url.rstrip("/"):
        return None
    models = data.get("models")
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else None


def _write_cache(base_url: str, listed: list[dict[str, Any]]) -> None:
    """Atomically (a temporary file in the same folder, then a rename); a failure only costs a
    request in the next kernel."""
    path = _cache_path(base_url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"base_url": base_url.rstrip("/"), "models": listed}).encode()
        replace_atomically(path, lambda file: file.write(data))
    except OSError:
        _log.debug("co_widget: could not cache the model list in %s.", path.parent)


# --- what users see --------------------------------------------------------------------------


def models(base_url: str | None = None, api_key: str | None = None) -> list[dict[str, Any]]:
    """The chat models co_widget knows, as records: ``name``, ``context_length``, ``vision``,
    ``reasoning``, ``deprecated``, ``deprecated_on``, ``replacement``, ``features`` and
    ``source`` ("built-in", "cohere" or "both").

    Cohere's list is read (at most once per kernel, or from the day-old cache) with the key
    and endpoint a ``Chat`` would use; this call waits for it, up to a few seconds. Offline,
    or without a key for Cohere's own endpoint, it is the built-in table."""
    from ..wire.client import CohereClient

    url, key = CohereClient(api_key=api_key, base_url=base_url).endpoint()
    with _lock:
        known = url in _listed
    if not known and (key or not _is_cohere(url)):
        cached = _read_cache(url)
        if cached is not None:
            _store(url, cached)
        else:
            _fetch_and_store(url, key)
        with _lock:
            _started.add(url)
    return [info.to_dict() for info in catalog(url).values()]


def _is_cohere(url: str) -> bool:
    return "cohere.com" in url or "cohere.ai" in url


def deprecation_note(info: ModelInfo | None) -> str | None:
    """The sentence a deprecated model gets (the warning at ``Chat(...)``, the widget's notice)."""
    if info is None or not info.deprecated:
        return None
    when = f" on {info.deprecated_on}" if info.deprecated_on else ""
    instead = f" Use {info.replacement!r} instead." if info.replacement else ""
    return f"{info.name!r} was deprecated by Cohere{when} and may stop working.{instead}"


def warn_if_deprecated(info: ModelInfo | None, stacklevel: int) -> None:
    note = deprecation_note(info)
    if note:
        warnings.warn(note, DeprecatedModelWarning, stacklevel=stacklevel + 1)


def markdown_table() -> str:
    """The README's table of models and rules, from :data:`MODELS` (a test keeps them equal)."""
    yes = {True: "yes", False: "no"}
    rows = [
        '| model | vision | tools with images | reasoning | `safety_mode="OFF"` | image cap '
        "| context | deprecated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, caps in MODELS.items():
        deprecated = f"{caps.deprecated}, use `{caps.replacement}`" if caps.deprecated else ""
        rows.append(
            f"| `{name}` | {yes[caps.vision]}"
            f" | {yes[caps.tools_with_images] if caps.vision else ''}"
            f" | {yes[caps.reasoning]} | {yes[caps.safety_off]}"
            f" | {f'{caps.max_image_side} px' if caps.max_image_side else ''}"
            f" | {f'{caps.context_length:,}' if caps.context_length else ''} | {deprecated} |"
        )
    return "\n".join(rows)


def model_info(base_url: str, name: str) -> ModelInfo | None:
    """What is known of ``name``: its row of the catalogue, or of a built-in prefix rule
    (``command-a-vision-*``); None for a model nobody knows (it passes through unchecked)."""
    info = catalog(base_url).get(name)
    if info is None:
        caps = capabilities(name)
        info = _info(name, caps, None) if caps is not None else None
    return info
