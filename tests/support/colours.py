"""Colours as a reader sees them, for the contrast tests: computed in the page, compared with
WCAG 2.x's contrast ratio in Python."""

# Colour helpers for the page, shared by the contrast tests: any CSS colour syntax is resolved to
# sRGB + alpha by painting it on a canvas; `over` stacks a translucent colour on an opaque one;
# `background` stacks the translucent backgrounds up to the first opaque ancestor (or white),
# through shadow roots (marimo renders widgets in one).
COLOUR_HELPERS_JS = """
    const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
    const rgba = (css) => {
        ctx.clearRect(0, 0, 1, 1);
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
"""

# The text colour of an element and the colour behind it, as opaque sRGB.
COLOURS_JS = (
    "(el) => {"
    + COLOUR_HELPERS_JS
    + """
    const bg = background(el);
    return {text: over(rgba(getComputedStyle(el).color), bg), background: bg};
}"""
)


def luminance(rgb: list[float]) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
