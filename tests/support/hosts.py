"""Notebook hosts for the browser tests: a chat that shows every kind of text, the hosts we cannot
run here (VS Code, Colab) emulated from their published theme values, and a WCAG contrast reading
of every text in a rendered widget.

VS Code and Colab cannot run on this machine, so the tests emulate them inside a real JupyterLab
page, as a widget sees them: the host's theme markers (body classes, the html attribute), its CSS
variables on the root, and every ``--jp-*`` variable the widget reads set to ``initial`` around the
widget (VS Code defines none; Colab only its own few), as if JupyterLab's theme were not there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# One cell that leaves a chat showing every kind of text the widget draws: a tool card with its
# arguments, a cited answer with its sources, a markdown answer with code, and an error notice.
# The history is made in the kernel, so a host only has to display `chat` (marimo: the cell's
# last expression wraps it in mo.ui.anywidget). The browser then sends one more message, echoed.
SHOWCASE = '''\
from co_widget import Chat
from co_widget.testing import Error, FakeCohere, Stream, text_events


def launch(target: str) -> dict:
    """Launch a rocket.

    Args:
        target: Where to.
    """
    return {"target": target, "launched": True}


def plan(request):
    return text_events(
        tool_plan="I will launch it.",
        tool_calls=[{"name": "launch", "arguments": {"target": "moon"}}],
    )


MARKDOWN = """## Streaming

Call `chat_stream` and print each **delta**:

```python
for event in co.chat_stream(model="command-a-03-2025", messages=messages):
    print(event.delta.message.content.text, end="")  # one piece at a time
```"""

fake = FakeCohere(delay=0.01).start()
chat = Chat(base_url=fake.url, api_key="k", tools=[launch])
fake.add(plan, "Launched to the **moon**.")
chat.send("Launch to the moon").wait(30)
history = [{"id": "history", "title": "History", "text": "Coca-Cola was invented in 1886. More."}]
chat.send("When was Coca-Cola invented?", documents=history).wait(30)
fake.add(Stream(MARKDOWN))
chat.send("How do I stream?").wait(30)
fake.add(Error(400, "invalid request: no such model"))
chat.send("Fail, please").wait(30)
'''

# What must be among the texts measured, by where it sits: a host test passing with one of these
# missing would prove nothing about it.
TEXT_KINDS = {
    "reply": ".co-assistant .co-md p",
    "muted": ".co-usage, .co-label, .co-source-id",
    "tool arguments": ".co-tool-card, .co-tool-call",
    "cited": ".co-cite",
    "code": "pre code",
    "header": ".co-header",
    "notice": ".co-error",
    "button": ".co-btn, button",
    "composer": ".co-input",
}

# WCAG 2.x AA: 4.5:1 for text, 3:1 for large text (24 px, or 18.66 px bold) and for icons.
AA_TEXT = 4.5
AA_LARGE = 3.0

# Every text node's element in the widget (and each icon-only button, and the composer's
# placeholder), with its colour over the stacked backgrounds behind it, as opaque sRGB, and the
# kinds (TEXT_KINDS) it belongs to. Elements inside a shadow root are reached from the widget
# root itself, so this works in marimo too. Argument: [root, kinds].
TEXTS_JS = """([root, kinds]) => {
    const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
    const rgba = (css) => {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = css;
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
    };
    const over = (top, below) => below.map((c, i) => top[i] * top[3] + c * (1 - top[3]));
    const background = (el) => {
        const layers = [];
        for (let node = el; node; node = node.parentElement ?? node.getRootNode().host) {
            const bg = rgba(getComputedStyle(node).backgroundColor);
            if (bg[3] > 0) layers.push(bg);
            if (bg[3] >= 1) break;
        }
        let colour = [255, 255, 255];
        for (const layer of layers.reverse()) colour = over(layer, colour);
        return colour;
    };
    const visible = (el) => el.getClientRects().length > 0
        && getComputedStyle(el).visibility !== 'hidden';
    const ownText = (el) => [...el.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent).join('').trim();
    const out = [];
    const add = (el, text, colour, icon) => {
        const style = getComputedStyle(el);
        const bg = background(el);
        const size = parseFloat(style.fontSize);
        const bold = parseInt(style.fontWeight, 10) >= 700;
        out.push({
            text: text.slice(0, 60),
            cls: el.className && typeof el.className === 'string' ? el.className : el.tagName,
            text_rgb: over(rgba(colour), bg),
            background: bg,
            large: icon || size >= 24 || (bold && size >= 18.66),
            kinds: Object.entries(kinds).filter(([, sel]) => el.closest(sel)).map(([k]) => k),
        });
    };
    for (const el of [root, ...root.querySelectorAll('*')]) {
        if (!visible(el) || el.closest('svg, .co-sr-only, .katex-mathml')) continue;
        const text = ownText(el);
        if (text) add(el, text, getComputedStyle(el).color, false);
        else if (el.matches('button') && el.querySelector('svg')) {
            const name = el.getAttribute('aria-label') || el.title || 'icon';
            add(el, name, getComputedStyle(el).color, true);
        }
        if (el.matches('textarea') && el.placeholder && !el.value) {
            add(el, el.placeholder, getComputedStyle(el, '::placeholder').color, false);
        }
    }
    return out;
}"""


def luminance(rgb: list[float]) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def measure_texts(root) -> list[dict]:
    """Every text of the widget at `root` (a playwright locator or element handle), each with its
    contrast `ratio` and the AA minimum it `needs`."""
    texts = root.evaluate(f"(root, kinds) => ({TEXTS_JS})([root, kinds])", TEXT_KINDS)
    for item in texts:
        item["ratio"] = round(contrast(item["text_rgb"], item["background"]), 2)
        item["needs"] = AA_LARGE if item["large"] else AA_TEXT
    return texts


def assert_readable(root, label: str) -> dict[str, float]:
    """Fail unless every text of the widget meets WCAG AA and every kind of text was there;
    return the lowest ratio of each kind (for the report)."""
    texts = measure_texts(root)
    low = [t for t in texts if t["ratio"] < t["needs"]]
    assert not low, f"{label}: below WCAG AA: " + "; ".join(
        f"{t['text']!r} ({t['cls']}) {t['ratio']}:1 < {t['needs']}" for t in low
    )
    lowest: dict[str, float] = {}
    for t in texts:
        for kind in t["kinds"]:
            lowest[kind] = min(lowest.get(kind, 99.0), t["ratio"])
    missing = set(TEXT_KINDS) - set(lowest)
    assert not missing, f"{label}: no text measured for {sorted(missing)}"
    return lowest


@dataclass(frozen=True)
class Emulation:
    """A host's theme as a widget inside it sees it."""

    name: str
    body_classes: tuple[str, ...] = ()
    html_attrs: dict[str, str] = field(default_factory=dict)
    # On :root, as the host defines them.
    variables: dict[str, str] = field(default_factory=dict)
    # --jp-* the host itself defines (Colab); every other --jp-* is unset around the widget.
    jp_variables: dict[str, str] = field(default_factory=dict)
    # Extra CSS the host puts around outputs.
    css: str = ""


# VS Code's defaults for the colours the widget reads, per built-in theme: "Light+" (Default Light
# Modern's predecessor, light_plus.json over light_vs.json/light_defaults.json), "Dark+"
# (dark_plus.json over dark_vs.json/dark_defaults.json) and "Dark High Contrast" (hc_black.json),
# in microsoft/vscode extensions/theme-defaults/themes/, and for colours a theme leaves out, the
# registry defaults in src/vs/platform/theme/common/colors/*.ts (foreground, descriptionForeground,
# errorForeground, textLink.foreground, button.*, input.border, panel.border, contrastBorder,
# editorWarning.foreground). The webview puts them on <html> as --vscode-* (a dot becomes a dash)
# and marks <body> with the theme kind. vscode-jupyter's renderer (src/webviews/webview-side/
# ipywidgets/renderer/styles.css) forces a white background on widget outputs.
_VSCODE_FONTS = {
    "--vscode-font-family": '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", '
    '"Ubuntu", "Droid Sans", sans-serif',
    "--vscode-font-size": "13px",
    "--vscode-editor-font-family": 'Menlo, Monaco, "Courier New", monospace',
}
_VSCODE_OUTPUT_CSS = ".cell-output-ipywidget-background { background: white !important; }"
VSCODE = {
    "vscode-light": Emulation(
        "vscode-light",
        body_classes=("vscode-light",),
        variables={
            **_VSCODE_FONTS,
            "--vscode-editor-background": "#ffffff",
            "--vscode-editor-foreground": "#000000",
            "--vscode-foreground": "#616161",
            "--vscode-descriptionForeground": "#717171",
            "--vscode-panel-border": "rgba(128, 128, 128, 0.35)",
            "--vscode-input-border": "#cecece",
            "--vscode-button-background": "#007acc",
            "--vscode-button-foreground": "#ffffff",
            "--vscode-textLink-foreground": "#006ab1",
            "--vscode-errorForeground": "#a1260d",
            "--vscode-editorWarning-foreground": "#bf8803",
        },
        css=_VSCODE_OUTPUT_CSS,
    ),
    "vscode-dark": Emulation(
        "vscode-dark",
        body_classes=("vscode-dark",),
        variables={
            **_VSCODE_FONTS,
            "--vscode-editor-background": "#1e1e1e",
            "--vscode-editor-foreground": "#d4d4d4",
            "--vscode-foreground": "#cccccc",
            "--vscode-descriptionForeground": "rgba(204, 204, 204, 0.7)",
            "--vscode-panel-border": "rgba(128, 128, 128, 0.35)",
            "--vscode-input-border": "transparent",
            "--vscode-button-background": "#0e639c",
            "--vscode-button-foreground": "#ffffff",
            "--vscode-textLink-foreground": "#3794ff",
            "--vscode-errorForeground": "#f48771",
            "--vscode-editorWarning-foreground": "#cca700",
        },
        css=_VSCODE_OUTPUT_CSS,
    ),
    "vscode-high-contrast": Emulation(
        "vscode-high-contrast",
        body_classes=("vscode-high-contrast",),
        variables={
            **_VSCODE_FONTS,
            "--vscode-editor-background": "#000000",
            "--vscode-editor-foreground": "#ffffff",
            "--vscode-foreground": "#ffffff",
            "--vscode-descriptionForeground": "rgba(255, 255, 255, 0.7)",
            "--vscode-contrastBorder": "#6fc3df",
            "--vscode-contrastActiveBorder": "#f38518",
            "--vscode-panel-border": "#6fc3df",
            "--vscode-input-border": "#6fc3df",
            "--vscode-button-background": "#000000",
            "--vscode-button-foreground": "#ffffff",
            "--vscode-button-border": "#6fc3df",
            "--vscode-textLink-foreground": "#21a6ff",
            "--vscode-errorForeground": "#f48771",
            "--vscode-editorWarning-foreground": "#ffd370",
        },
        css=_VSCODE_OUTPUT_CSS,
    ),
}

# Colab (late 2026), from its output frame's stylesheet: <html theme="dark"> in dark mode, and only
# four --jp-* defined, mapped to its --colab-* palette (dark: surface #383838, text #d5d5d5; light:
# white, #212121). --jp-layout-color0 and the rest stay undefined. See also quak issue #45, which
# met the same mix of Colab's text colour with a white fallback.
COLAB = {
    "colab-light": Emulation(
        "colab-light",
        html_attrs={"theme": "light"},
        jp_variables={
            "--jp-ui-font-color1": "#212121",
            "--jp-widgets-color": "#212121",
            "--jp-layout-color2": "#ffffff",
            "--jp-widgets-input-background-color": "#ffffff",
        },
    ),
    "colab-dark": Emulation(
        "colab-dark",
        html_attrs={"theme": "dark"},
        jp_variables={
            "--jp-ui-font-color1": "#d5d5d5",
            "--jp-widgets-color": "#d5d5d5",
            "--jp-layout-color2": "#383838",
            "--jp-widgets-input-background-color": "#383838",
        },
    ),
}
EMULATIONS = {**VSCODE, **COLAB}


def widget_jp_variables() -> list[str]:
    """Every --jp-* variable the committed stylesheet reads."""
    css = (REPO / "co_widget" / "static" / "widget.css").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"var\((--jp-[a-z0-9-]+)", css)))


# Puts an Emulation around the widgets of a JupyterLab page: removes JupyterLab's theme markers,
# adds the host's, defines its variables on :root and unsets JupyterLab's around the outputs.
EMULATE_JS = """(spec) => {
    document.getElementById('co-host-emulation')?.remove();
    document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
    document.documentElement.removeAttribute('theme');
    delete document.body.dataset.jpThemeName;
    delete document.body.dataset.jpThemeLight;
    document.body.classList.add(...spec.body_classes);
    for (const [name, value] of Object.entries(spec.html_attrs)) {
        document.documentElement.setAttribute(name, value);
    }
    const unset = spec.jp_unset.map((name) => `${name}: initial;`).join(' ');
    const own = Object.entries(spec.jp_variables).map(([n, v]) => `${n}: ${v};`).join(' ');
    const root = Object.entries(spec.variables).map(([n, v]) => `${n}: ${v};`).join(' ');
    const style = document.createElement('style');
    style.id = 'co-host-emulation';
    style.textContent = `:root { ${root} }
        .jp-OutputArea-output { ${unset} ${own} }
        ${spec.css}`;
    document.head.append(style);
    for (const out of document.querySelectorAll('.jp-OutputArea-output')) {
        out.classList.add('cell-output-ipywidget-background');
    }
}"""


def emulate(page, emulation: Emulation) -> None:
    """Dress the JupyterLab `page` as `emulation`'s host, around its widget outputs."""
    page.evaluate(
        EMULATE_JS,
        {
            "body_classes": list(emulation.body_classes),
            "html_attrs": emulation.html_attrs,
            "variables": emulation.variables,
            "jp_variables": emulation.jp_variables,
            "jp_unset": widget_jp_variables(),
            "css": emulation.css,
        },
    )
