"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from co_widget.testing import FakeCohere
from tests.support.comm_recorder import recording_comms


@pytest.fixture
def fake():
    """A FakeCohere on 127.0.0.1 for one test (echoes, unless replies are queued)."""
    with FakeCohere() as server:
        yield server


@pytest.fixture
def comms():
    """Every widget made in the test gets a comm that records what it would send."""
    with recording_comms() as recorders:
        yield recorders
