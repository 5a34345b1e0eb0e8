"""A fake clock for the http layer: time moves only when someone sleeps."""

from __future__ import annotations

import pytest
from http_fakes import FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
