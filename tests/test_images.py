"""Images in: every source's request shape, Cohere's limits, thumbnails in the trait and the full
data in history and saved files. Requests go to FakeCohere over real sockets; images are real
files encoded by Pillow and matplotlib."""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from co_widget import Chat
from co_widget.request.images import MAX_REQUEST_BYTES
from co_widget.session.image_store import THUMBNAIL_BYTES, thumbnail
from co_widget.testing import FakeCohere
from tests.support.comm_recorder import recording_comms

Image = pytest.importorskip("PIL.Image")
VISION = "command-a-vision-07-2025"
SLOW = 10.0


def png(width: int, height: int, *, noise: bool = False, fmt: str = "PNG", **save) -> bytes:
    """An image file; ``noise`` makes it incompressible, so its size is predictable."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def sent_images(fake: FakeCohere) -> list[dict]:
    """The image blocks of the last request's last user message."""
    content = fake.requests[-1].json["messages"][-1]["content"]
    return [block for block in content if block["type"] == "image_url"]


def opened(url: str):
    """The image a data: URL holds, opened with Pillow."""
    header, data = url.split(",", 1)
    assert header.startswith("data:image/") and header.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


def figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=50)
    fig.add_subplot().plot([1, 3, 2])
    return fig


@pytest.mark.parametrize(
    ("make", "fmt", "size"),
    [
        (lambda tmp: str(_write(tmp / "a.png", png(30, 20))), "PNG", (30, 20)),
        (lambda tmp: _write(tmp / "b.jpg", png(16, 12, fmt="JPEG")), "JPEG", (16, 12)),
        (lambda tmp: png(8, 8, fmt="WEBP"), "WEBP", (8, 8)),
        (lambda tmp: png(9, 7, fmt="GIF"), "GIF", (9, 7)),
        (lambda tmp: bytearray(png(5, 5)), "PNG", (5, 5)),
        (lambda tmp: Image.new("RGBA", (40, 10)), "PNG", (40, 10)),
        (lambda tmp: figure(), "PNG", (200, 150)),  # 4x3 inches at the figure's 50 dpi
        (lambda tmp: png(6, 4, fmt="BMP"), "PNG", (6, 4)),  # converted: Cohere takes no BMP
        (lambda tmp: Image.new("CMYK", (3, 3)), "PNG", (3, 3)),
    ],
    ids=["str-path", "Path", "webp-bytes", "gif", "bytearray", "PIL", "Figure", "bmp", "cmyk"],
)
def test_request_shape_for_every_source(fake, tmp_path, make, fmt, size):
    chat = Chat(model=VISION, base_url=fake.url)
    chat.send("What is this?", images=[make(tmp_path)]).result(SLOW)

    (message,) = fake.requests[-1].json["messages"]
    text, block = message["content"]
    assert text == {"type": "text", "text": "What is this?"}  # the text block comes first
    assert block["type"] == "image_url" and set(block["image_url"]) == {"url"}
    image = opened(block["image_url"]["url"])
    assert (image.format, image.size) == (fmt, size)
    assert block["image_url"]["url"].startswith(f"data:image/{fmt.lower()};base64,")


def _write(path: pathlib.Path, data: bytes) -> pathlib.Path:
    path.write_bytes(data)
    return path


def test_url_is_sent_as_is_with_detail(fake):
    chat = Chat(model=VISION, base_url=fake.url)
    url = "https://example.com/chart.png"
    reply = chat.send("Describe", images=[url, png(4, 4)], detail="low")
    reply.result(SLOW)
    assert sent_images(fake)[0] == {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
    assert sent_images(fake)[1]["image_url"]["detail"] == "low"
    # FakeCohere (no script) describes what it received, and never fetches the URL.
    assert reply.text == (
        "I received 2 images: a link to https://example.com/chart.png (not fetched); PNG 4x4 px."
    )


def test_animated_gif_goes_as_its_first_frame_in_png(fake):
    frames = [Image.new("RGB", (6, 6), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    chat = Chat(model=VISION, base_url=fake.url)
    chat.send("hi", images=[buffer.getvalue()]).result(SLOW)
    image = opened(sent_images(fake)[0]["image_url"]["url"])
    assert (image.format, image.size) == ("PNG", (6, 6))


def test_image_only_message_has_no_empty_text_block(fake):
    chat = Chat(model=VISION, base_url=fake.url)
    chat.send("", images=[png(3, 3)]).result(SLOW)
    assert [b["type"] for b in fake.requests[-1].json["messages"][-1]["content"]] == ["image_url"]


@pytest.mark.parametrize(
    ("images", "detail", "error", "match"),
    [
        ([png(2, 2)] * 21, None, ValueError, "at most 20 images"),
        ([b"not an image"], None, ValueError, r"images\[0\] is not an image"),
        (["/no/such/file.png"], None, ValueError, r"images\[0\]: cannot read"),
        ([png(2, 2), 42], None, TypeError, r"images\[1\] must be a path"),
        (png(2, 2), None, TypeError, "images must be a list"),
        ([png(2, 2)], "medium", ValueError, "detail must be one of"),
    ],
    ids=["21-images", "not-an-image", "missing-file", "int", "not-a-list", "detail"],
)
def test_bad_images_raise_before_anything_changes(fake, images, detail, error, match):
    with recording_comms() as comms:
        chat = Chat(model=VISION, base_url=fake.url)
        before = len(comms[0].messages)
        with pytest.raises(error, match=match):
            chat.send("Look", images=images, detail=detail)
        assert len(comms[0].messages) == before  # no begin, no trait write
    assert fake.requests == [] and chat.messages == [] and chat.status == "idle"
    assert chat.ask("still usable?", timeout=SLOW) == "still usable?"


def test_images_in_the_history_count_against_the_20_image_limit(fake):
    chat = Chat(model=VISION, base_url=fake.url)
    chat.send("first", images=[png(2, 2)] * 15).result(SLOW)
    with pytest.raises(ValueError, match="would hold 21"):
        chat.send("more", images=[png(2, 2)] * 6)
    assert len(chat.history) == 2 and len(fake.requests) == 1
    chat.send("more", images=[png(2, 2)] * 5).result(SLOW)
    assert len(fake.requests) == 2


def test_an_image_over_the_model_side_is_downscaled_with_a_warning(fake):
    chat = Chat(model=VISION, base_url=fake.url)  # its table row caps sides at 2048 px
    with pytest.warns(UserWarning, match=r"images\[0\].*maximum side of 2048 px.*3000x1000"):
        chat.send("Wide one", images=[png(3000, 1000)]).result(SLOW)
    image = opened(sent_images(fake)[0]["image_url"]["url"])
    assert image.size == (2048, 683)
    # The widget shows it under the reply too (a pasted image's warning has no cell to go to).
    assert "maximum side of 2048 px" in chat.messages[-1]["_co"]["warnings"][0]


def test_an_image_over_20_mb_is_reencoded_to_fit(fake):
    # Noise does not compress: 2600x2600 RGB is a ~20 MB PNG, ~27 MB as a data: URL.
    big = png(2600, 2600, noise=True, compress_level=0)
    assert len(base64.b64encode(big)) > MAX_REQUEST_BYTES
    chat = Chat(model="a-model-not-in-the-table", base_url=fake.url)  # no side cap: bytes only
    with pytest.warns(
        UserWarning, match=r"images\[0\] .*20 MB per request: re-encoded at 2600x2600"
    ):
        chat.send("Big", images=[big]).result(SLOW)
    url = sent_images(fake)[0]["image_url"]["url"]
    assert len(url) <= MAX_REQUEST_BYTES
    assert opened(url).format == "JPEG"


def test_trait_holds_thumbnails_history_and_save_keep_the_full_image(fake, tmp_path):
    photo = png(1200, 900, noise=True)  # ~3 MB: far over a thumbnail
    small = png(4, 4)
    with recording_comms() as comms:
        chat = Chat(model=VISION, base_url=fake.url)
        chat.send("Two images", images=[photo, small]).result(SLOW)
        wire = b"".join(json.dumps(m.data).encode() for m in comms[0].messages)
    full_url = sent_images(fake)[0]["image_url"]["url"]
    assert base64.b64decode(full_url.split(",", 1)[1]) == photo

    trait_blocks = [b for b in chat.messages[0]["content"] if b["type"] == "image_url"]
    thumb = trait_blocks[0]["image_url"]["url"]
    assert len(thumb) <= THUMBNAIL_BYTES and max(opened(thumb).size) <= 256
    assert full_url.split(",", 1)[1][:1000] not in wire.decode()  # never on the comm
    assert trait_blocks[1]["image_url"]["url"] == sent_images(fake)[1]["image_url"]["url"]

    # The history (and the next request) carries the full image.
    assert chat.history[0]["content"][1]["image_url"]["url"] == full_url
    chat.ask("And now?", timeout=SLOW)
    assert fake.requests[-1].json["messages"][0]["content"][1]["image_url"]["url"] == full_url

    path = tmp_path / "chat.json"
    chat.save(path)
    assert full_url in path.read_text()
    loaded = Chat.load(path, base_url=fake.url)
    assert loaded.history == chat.history
    assert len(json.dumps(loaded.messages)) < len(full_url)  # its trait is slim again


def test_edit_keeps_the_images_of_the_message(fake):
    chat = Chat(model=VISION, base_url=fake.url)
    photo = png(600, 600, noise=True)
    chat.send("first question", images=[photo]).result(SLOW)
    reply = chat._edit(0, "better question")
    reply.result(SLOW)
    text, image = fake.requests[-1].json["messages"][0]["content"]
    assert text["text"] == "better question"
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1]) == photo


def test_front_end_images_arrive_as_binary_buffers(fake):
    chat = Chat(model=VISION, base_url=fake.url)
    content = {"type": "send", "text": "pasted", "images": [{"name": "a.png"}]}
    chat._handle_msg(
        {
            "content": {"data": {"method": "custom", "content": content}},
            "buffers": [memoryview(png(7, 5))],
        }
    )
    turn = chat._runner.active
    if turn is not None:  # else it has already finished
        turn.reply.wait(SLOW)
    assert sent_images(fake)[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert chat.messages[-1]["content"] == "I received 1 image: PNG 7x5 px."


@settings(max_examples=15, deadline=None)
@given(
    width=st.integers(1, 900),
    height=st.integers(1, 900),
    mode=st.sampled_from(["RGB", "RGBA", "L", "P"]),
)
def test_thumbnails_stay_under_64_kb_and_256_px(width, height, mode):
    # Noise is the worst case for a thumbnail's size: nothing compresses.
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    url = thumbnail("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    thumb = opened(url)
    assert len(url) <= THUMBNAIL_BYTES
    assert max(thumb.size) <= 256 and thumb.format == ("PNG" if "A" in mode else "JPEG")
