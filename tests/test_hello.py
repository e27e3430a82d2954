"""The hello/ready exchange: a view that rendered (or lost its kernel) says hello, and the kernel
answers `ready`, so the view knows a live kernel is behind it and enables its composer."""

from __future__ import annotations

from co_widget import Chat
from tests.support.comm_recorder import recorder_of
from tests.test_widget import customs, ui


def test_the_kernel_answers_hello_with_ready_and_nothing_else(comms):
    chat = Chat(base_url="http://127.0.0.1:9")  # never asked: a hello makes no request
    recorder = recorder_of(chat, comms)
    ui(chat, type="hello")
    assert customs(recorder.messages) == [{"type": "ready"}]
    assert chat.messages == [] and chat.status == "idle"
