"""What a chat adds to a saved notebook: its widget state, as JupyterLab saves it with "Save Widget
State Automatically" on, measured for an empty chat and per kind of turn, beside a baseline in
the same run: the state with the front end as one plain minified bundle (what co_widget 0.1.0
synced and saved as ``_esm``).

    PYTHONPATH=. python benchmarks/saved_state.py

The widget state is ipywidgets' embed state of the chat and the models it references (its
layout), JSON-encoded: the bytes a notebook's metadata grows by. Budget (issue 16): the front end
<= 100 KB, and a turn costs the conversation's own text, cards and thumbnails plus a bounded
overhead. A benchmark, not a test: it prints PASS/FAIL and exits 0 either way.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import warnings
from base64 import b64decode
from typing import Any

from ipywidgets.embed import dependency_state

from co_widget import Chat
from co_widget.testing import FakeCohere, text_events, tool_results

BUNDLE_BUDGET = 100_000
OVERHEAD_BUDGET = 2_000  # bytes a turn may add beyond its own messages' JSON


def state_bytes(chat: Chat) -> int:
    return len(json.dumps(dependency_state([chat], drop_defaults=False)).encode())


def unpacked_bytes(esm: str) -> int:
    """The size of the bundle the loader in ``_esm`` unpacks (js/build.mjs packs it)."""
    payload = re.search(r'atob\("([A-Za-z0-9+/=]+)"\)', esm)
    return len(esm.encode()) if payload is None else len(gzip.decompress(b64decode(payload[1])))


def messages_bytes(messages: list[dict[str, Any]]) -> int:
    return len(json.dumps(messages).encode())


def get_weather(city: str) -> dict:
    """Current weather for a city.

    Args:
        city: The city name.
    """
    return {"city": city, "temp": 14}


def weather_model(request: dict[str, Any]) -> Any:
    if not tool_results(request):
        return text_events(
            tool_plan="I will look it up.",
            tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}],
        )
    return "It is 14 degrees in Paris."


def png(size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> None:
    import pandas as pd

    warnings.simplefilter("ignore")
    rows = pd.DataFrame({"sku": [f"SKU-{i:05}" for i in range(200)], "units": range(200)})
    turns = [
        ("a short text turn", {}, lambda chat: chat.ask("What is Coca-Cola?")),
        (
            "a turn with 200 DataFrame rows as documents",
            {},
            lambda chat: chat.send("Which SKU sold most?", documents=rows).wait(),
        ),
        (
            "a turn with a 1024x768 image",
            {"model": "command-a-vision-07-2025"},
            lambda chat: chat.send("What is this?", images=[png((1024, 768))]).wait(),
        ),
        (
            "a turn with one tool call",
            {"tools": [get_weather]},
            lambda chat: chat.ask("Weather in Paris?"),
        ),
    ]
    with FakeCohere(responder=weather_model) as fake:
        plain = Chat(base_url=fake.url, api_key="k")
        bundle = len(plain._esm.encode())
        css = len(plain._css.encode())
        plain_bundle = unpacked_bytes(plain._esm)
        print(
            f"front end synced and saved with every chat: _esm {bundle:,} bytes "
            f"(as one plain minified bundle: {plain_bundle:,}), _css {css:,}"
        )
        empty = state_bytes(plain)
        print(
            f"an empty chat's widget state: {empty:,} bytes "
            f"(with the plain bundle: {empty - bundle + plain_bundle:,})"
        )
        print(f"\n{'turn':<44} {'state grows by':>14} {'its messages':>13} {'overhead':>9}")
        overheads = []
        for label, options, run in turns:
            chat = Chat(base_url=fake.url, api_key="k", **options)
            before, count = state_bytes(chat), len(chat.messages)
            run(chat)
            grown = state_bytes(chat) - before
            own = messages_bytes(chat.messages[count:])
            overheads.append(grown - own)
            print(f"{label:<44} {grown:>14,} {own:>13,} {grown - own:>9,}")
    ok = bundle <= BUNDLE_BUDGET and max(overheads) <= OVERHEAD_BUDGET
    print(
        f"\n{'PASS' if ok else 'FAIL'}: _esm {bundle:,} <= {BUNDLE_BUDGET:,} bytes, and no turn "
        f"adds more than {OVERHEAD_BUDGET:,} bytes beyond its own messages"
    )


if __name__ == "__main__":
    main()
