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

from .colours import COLOUR_HELPERS_JS, contrast

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
TEXTS_JS = (
    """([root, kinds]) => {
"""
    + COLOUR_HELPERS_JS
    + """
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
)


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


def _vscode(kind: str, **colours: str) -> Emulation:
    """A VS Code theme of `kind` (the body class's suffix); `colours` by their theme key, with
    dots as underscores (editor_background is editor.background, --vscode-editor-background)."""
    variables = {f"--vscode-{key.replace('_', '-')}": value for key, value in colours.items()}
    return Emulation(
        f"vscode-{kind}",
        body_classes=(f"vscode-{kind}",),
        variables={**_VSCODE_FONTS, **variables},
        css=_VSCODE_OUTPUT_CSS,
    )


VSCODE = {
    emulation.name: emulation
    for emulation in (
        _vscode(
            "light",
            editor_background="#ffffff",
            editor_foreground="#000000",
            foreground="#616161",
            descriptionForeground="#717171",
            panel_border="rgba(128, 128, 128, 0.35)",
            input_border="#cecece",
            button_background="#007acc",
            button_foreground="#ffffff",
            textLink_foreground="#006ab1",
            errorForeground="#a1260d",
            editorWarning_foreground="#bf8803",
        ),
        _vscode(
            "dark",
            editor_background="#1e1e1e",
            editor_foreground="#d4d4d4",
            foreground="#cccccc",
            descriptionForeground="rgba(204, 204, 204, 0.7)",
            panel_border="rgba(128, 128, 128, 0.35)",
            input_border="transparent",
            button_background="#0e639c",
            button_foreground="#ffffff",
            textLink_foreground="#3794ff",
            errorForeground="#f48771",
            editorWarning_foreground="#cca700",
        ),
        _vscode(
            "high-contrast",
            editor_background="#000000",
            editor_foreground="#ffffff",
            foreground="#ffffff",
            descriptionForeground="rgba(255, 255, 255, 0.7)",
            contrastBorder="#6fc3df",
            contrastActiveBorder="#f38518",
            panel_border="#6fc3df",
            input_border="#6fc3df",
            button_background="#000000",
            button_foreground="#ffffff",
            button_border="#6fc3df",
            textLink_foreground="#21a6ff",
            errorForeground="#f48771",
            editorWarning_foreground="#ffd370",
        ),
    )
}

# Colab (late 2026), from its output frame's stylesheet: <html theme="dark"> in dark mode, and only
# four --jp-* defined, mapped to its --colab-* palette (dark: surface #383838, text #d5d5d5; light:
# white, #212121). --jp-layout-color0 and the rest stay undefined. See also quak issue #45, which
# met the same mix of Colab's text colour with a white fallback.


def _colab(theme: str, *, surface: str, text: str) -> Emulation:
    return Emulation(
        f"colab-{theme}",
        html_attrs={"theme": theme},
        jp_variables={
            "--jp-ui-font-color1": text,
            "--jp-widgets-color": text,
            "--jp-layout-color2": surface,
            "--jp-widgets-input-background-color": surface,
        },
    )


COLAB = {
    "colab-light": _colab("light", surface="#ffffff", text="#212121"),
    "colab-dark": _colab("dark", surface="#383838", text="#d5d5d5"),
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
