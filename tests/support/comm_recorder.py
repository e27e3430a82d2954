"""Record what widgets would send to the browser, outside a kernel (for tests and benchmarks).

ipywidgets opens each widget's comm with ``comm.create_comm``; outside a kernel that makes a
comm that drops everything. :func:`recording_comms` swaps in :class:`RecordingComm`, which keeps
every message with its size as the kernel would put it on the wire: the JSON of the message's
data, packed as jupyter_client packs it, plus its binary buffers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import comm
from comm.base_comm import BaseComm
from jupyter_client.session import json_packer

__all__ = ["RecordedMessage", "RecordingComm", "recording_comms"]


@dataclass(frozen=True)
class RecordedMessage:
    msg_type: str  # "comm_open", "comm_msg" or "comm_close"
    data: dict[str, Any]
    buffers: tuple[bytes, ...]
    nbytes: int

    @property
    def custom(self) -> dict[str, Any] | None:
        """The content of a custom message (``widget.send``), else None."""
        if self.data.get("method") == "custom":
            return self.data["content"]
        return None

    @property
    def state(self) -> dict[str, Any] | None:
        """The synced state of an update message (a trait write), else None."""
        if self.data.get("method") == "update":
            return self.data["state"]
        return None


class RecordingComm(BaseComm):
    """A comm that keeps every message it publishes, in ``messages``."""

    def __init__(self, **kwargs: Any) -> None:
        self.messages: list[RecordedMessage] = []  # before super(): it publishes comm_open
        super().__init__(**kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
        **keys: Any,
    ) -> None:
        data = data or {}
        buffers = tuple(bytes(buffer) for buffer in buffers or ())
        # Sized now: the data refers to live trait values.
        nbytes = len(json_packer(data)) + sum(len(buffer) for buffer in buffers)
        self.messages.append(RecordedMessage(msg_type, data, buffers, nbytes))


@contextmanager
def recording_comms() -> Iterator[list[RecordingComm]]:
    """Within the block, new widgets get a RecordingComm; yields the list of them."""
    comms: list[RecordingComm] = []

    def create_comm(**kwargs: Any) -> RecordingComm:
        recorder = RecordingComm(**kwargs)
        comms.append(recorder)
        return recorder

    saved = comm.create_comm
    comm.create_comm = create_comm
    try:
        yield comms
    finally:
        comm.create_comm = saved


def recorder_of(widget: Any, comms: list[RecordingComm]) -> RecordingComm:
    """The recorder of ``widget``'s own comm (a widget may create others, e.g. its layout)."""
    return next(recorder for recorder in comms if recorder.comm_id == widget.model_id)
