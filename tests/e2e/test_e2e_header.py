"""The header's controls and gauges, and the confidence shading of a reply, in a real JupyterLab
(both themes, for contrast) and Notebook 7 (for the keys): the model picker from the merged model
list, the thinking switch with its budget, the cost and the context gauge with its warnings, the
deprecation notice, and keys typed in the controls never reaching the notebook."""

import re

import pytest
from playwright.sync_api import expect

from .e2e_support import API_KEY_ENV, ARTIFACTS, HOSTS, LONG, THEMES
from .test_e2e_keys import stray_keys
from .test_e2e_looks import COLOURS_JS, MIN_CONTRAST, contrast

pytestmark = pytest.mark.browser

# A model with a small context, listed by the FakeCohere of the kernel, so a few turns and some
# typing fill it.
TINY = {
    "name": "tiny-ctx",
    "endpoints": ["chat"],
    "context_length": 1000,
    "features": [],
    "is_deprecated": False,
}
SETUP = f"""\
import os

from co_widget import Chat
from co_widget.testing import FakeCohere, Stream

fake = FakeCohere(delay=0.01).start()
fake.models = [{TINY!r}, *fake.models]
chat = Chat(base_url=fake.url, api_key=os.environ[{API_KEY_ENV!r}], logprobs=True)"""


def readable(locator, what: str) -> None:
    colours = locator.evaluate(COLOURS_JS)
    ratio = contrast(colours["text"], colours["background"])
    assert ratio >= MIN_CONTRAST, f"{what}: {colours} {ratio:.2f}"


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
def test_picker_gauges_thinking_and_confidence(server, notebook, page, theme):
    name = server.write_notebook(f"header-{theme}.ipynb", SETUP, "chat", setup=False)
    notebook.open(name).run_all()
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=THEMES[theme]
    )
    ui = notebook.chat()
    picker = ui.root.locator(".co-model-picker")
    # The list comes from the kernel's FakeCohere once the view opened: merged with the table,
    # the deprecated alias left out.
    expect(picker.locator("option[value='tiny-ctx']")).to_have_count(1)
    options = picker.locator("option").all_text_contents()
    assert {"command-a-03-2025", "command-a-plus-05-2026", "north-mini-code-1-0"} <= set(options)
    assert "command-r-plus" not in options
    expect(picker).to_have_value("command-a-03-2025")
    expect(ui.root.locator(".co-think")).to_be_hidden()  # not a reasoning model
    readable(picker, "picker")

    # Two turns on a priced model: the footers show tokens, cached tokens and the cost.
    ui.send("Tell me about it")
    ui.send(LONG)
    footer = ui.replies.last.locator(".co-usage")
    expect(footer).to_have_text(re.compile(r"^\d+ in · \d+ out · \d+ cached tokens · \$"))
    expect(ui.root.locator(".co-cost")).to_have_text(re.compile(r"^\$\d"))
    readable(footer, "footer")

    # The confidence view: shaded pieces with their probability, readable in the theme.
    reply = ui.replies.last
    reply.hover()
    toggle = reply.locator("[data-co-action='confidence']")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(reply.locator(".co-md")).to_be_hidden()
    view = reply.locator(".co-lp")
    expect(view).to_be_visible()
    assert " ".join((view.text_content() or "").split()) == " ".join(LONG.split())
    shaded = view.locator(".co-lp-low, .co-lp-mid")
    assert shaded.count() >= 3, "the fake's logprobs always hold some unsure pieces"
    assert re.fullmatch(r"p = \d+\.\d%", shaded.first.get_attribute("title") or "")
    for i in range(shaded.count()):
        readable(shaded.nth(i), f"shaded token {i}")
    toggle.click()
    expect(reply.locator(".co-md")).to_be_visible()
    expect(view).to_be_hidden()

    # A small context: the gauge shows the last count, then warns as the draft grows.
    picker.select_option("tiny-ctx")
    gauge = ui.root.locator(".co-gauge")
    expect(gauge).to_contain_text("of 1K")
    used = int(
        re.search(r"([\d,]+) of 1,000", gauge.get_attribute("title")).group(1).replace(",", "")
    )
    assert 500 < used < 750, used
    ui.input.fill("x" * ((780 - used) * 4))
    expect(gauge).to_have_class(re.compile(r"co-gauge-warn"))
    expect(gauge).to_contain_text("⚠")
    readable(gauge.locator(".co-gauge-text"), "gauge warning")
    ui.input.fill("x" * ((950 - used) * 4))
    expect(gauge).to_have_class(re.compile(r"co-gauge-full"))
    expect(gauge).to_have_attribute("title", re.compile("nearly full"))
    readable(gauge.locator(".co-gauge-text"), "gauge alarm")
    ui.input.fill("")
    expect(gauge).to_have_class(re.compile(r"co-gauge-ok"))
    # No price for it: tokens only, never a guessed price.
    ui.send("cheap?")
    expect(ui.replies.last.locator(".co-usage")).not_to_contain_text("$")

    # A reasoning model: the switch appears; keys change it, and the kernel gets it.
    picker.select_option("command-a-plus-05-2026")
    think = ui.root.locator(".co-think input[type='checkbox']")
    budget = ui.root.locator(".co-budget")
    expect(think).to_be_visible()
    expect(think).to_be_checked()
    think.focus()
    page.keyboard.press("Space")
    expect(think).not_to_be_checked()
    expect(budget).to_be_disabled()
    page.keyboard.press("Space")
    expect(budget).to_be_enabled()
    page.keyboard.press("Tab")
    page.keyboard.type("2048")
    page.keyboard.press("Tab")
    expect(budget).to_have_value("2048")
    notebook.run_cell(
        "assert chat.model == 'command-a-plus-05-2026', chat.model\n"
        "assert chat._params['thinking'] == {'type': 'enabled', 'token_budget': 2048}"
    )
    ui.send("think about it")
    notebook.run_cell(
        "assert fake.requests[-1].json['thinking'] == {'type': 'enabled', 'token_budget': 2048}\n"
        "assert fake.requests[-1].json['model'] == 'command-a-plus-05-2026'"
    )

    # A deprecated model set from code: the picker shows it, the notice names the replacement.
    notebook.run_cell("chat.model = 'command-r'")
    notice = ui.root.locator(".co-model-notice")
    expect(notice).to_contain_text("'command-r-08-2024'")
    expect(picker).to_have_value("command-r")
    readable(notice, "deprecation notice")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ui.root.screenshot(path=ARTIFACTS / f"header-{theme}.png", animations="disabled")


@pytest.mark.parametrize("app", HOSTS)
def test_keys_in_the_header_controls_stay_in_the_widget(server, notebook, page, app):
    name = server.write_notebook(
        f"header-keys-{app}.ipynb",
        SETUP,
        "chat.model = 'command-a-plus-05-2026'",
        "chat",
        setup=False,
    )
    notebook.open(name, app=app).run_all()
    ui = notebook.chat()
    cells = notebook.cells()
    picker = ui.root.locator(".co-model-picker")
    expect(picker.locator("option[value='tiny-ctx']")).to_have_count(1)
    for control in (
        picker,
        ui.root.locator(".co-think input[type='checkbox']"),
        ui.root.locator(".co-budget"),
    ):
        control.focus()
        stray_keys(page, enter=control != picker)
        assert notebook.cells() == cells, f"keys reached the notebook from {control}"
    # Tab moves through the controls in order, from the picker.
    picker.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.co-think') !== null")


def test_the_header_fits_a_300px_chat(server, notebook, page):
    name = server.write_notebook(
        "header-narrow.ipynb", SETUP, "chat.model = 'command-a-plus-05-2026'", "chat", setup=False
    )
    notebook.open(name).run_all()
    ui = notebook.chat()
    expect(ui.root.locator(".co-model-picker option[value='tiny-ctx']")).to_have_count(1)
    ui.send("hello")
    ui.root.evaluate("(el) => { el.style.width = '300px'; }")
    box = ui.root.bounding_box()
    header = ui.root.locator(".co-header").bounding_box()
    for selector in (".co-model", ".co-model-picker", ".co-think", ".co-cost", ".co-gauge"):
        part = ui.root.locator(selector).bounding_box()
        assert part is not None and part["width"] > 0, selector
        assert box["x"] <= part["x"] and part["x"] + part["width"] <= box["x"] + box["width"], (
            selector
        )
    # The title keeps its line with Clear; the controls wrap in their own bar below it.
    title = ui.root.locator(".co-model").bounding_box()
    clear = ui.root.locator(".co-clear").bounding_box()
    assert title["width"] >= 100 and abs(title["y"] - clear["y"]) < clear["height"]
    assert ui.root.locator(".co-controls").bounding_box()["y"] >= header["y"] + header["height"] - 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ui.root.screenshot(path=ARTIFACTS / "header-300px.png", animations="disabled")
