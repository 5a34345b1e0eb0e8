"""gather_all: a failure cancels the siblings and comes out as itself."""

from __future__ import annotations

import asyncio

import pytest

from rowpush.errors import AuthFailed
from rowpush.targets.base import gather_all


def test_results_come_in_order() -> None:
    async def value(n: int) -> int:
        await asyncio.sleep(0.01 * (3 - n))
        return n

    assert asyncio.run(gather_all(value(n) for n in range(3))) == [0, 1, 2]


def test_the_first_failure_is_raised_unwrapped_and_the_others_are_cancelled() -> None:
    finished: list[int] = []

    async def slow(n: int) -> int:
        await asyncio.sleep(5)
        finished.append(n)
        return n

    async def refused() -> int:
        raise AuthFailed("token refused")

    async def run() -> None:
        await gather_all([slow(1), refused(), slow(2)])

    with pytest.raises(AuthFailed, match="token refused"):
        asyncio.run(run())
    assert finished == []
