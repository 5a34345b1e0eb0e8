"""The rate limiter, on a fake clock: never over the limit, pauses stop everyone."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING

import pytest
from http_fakes import limit_holds
from hypothesis import given, settings
from hypothesis import strategies as st

from rowpush.http.limiter import RateLimiter
from rowpush.http.rate import Rate

if TYPE_CHECKING:
    from http_fakes import FakeClock

pytestmark = pytest.mark.anyio


async def start_all(limiter: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    """`n` tasks acquire at once; the clock reading when each was let through."""
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(clock())

    await asyncio.gather(*(one() for _ in range(n)))
    return sorted(starts)


@pytest.mark.parametrize("text", ["5/s", "2.5/s", "7/10s", "100/min", "3/2s", "1/h"])
async def test_limiter_never_exceeds_the_rate_under_50_concurrent_acquirers(
    text: str, clock: FakeClock
) -> None:
    rate = Rate.parse(text)
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    starts = await start_all(limiter, clock, 50)
    assert len(starts) == 50
    assert limit_holds(starts, rate)
    # ...and no slower than it needs to be: the last start is where the rate puts it
    slow_down = rate.interval * ((50 - 1) // rate.slots)
    assert starts[-1] - starts[0] == pytest.approx(slow_down)


async def test_long_windows_allow_a_burst_then_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("7/10s"), clock=clock, sleep=clock.sleep)
    starts = await start_all(limiter, clock, 15)
    assert starts[:7] == [1000.0] * 7
    assert starts[7:14] == [1010.0] * 7
    assert starts[14] == 1020.0


async def test_per_second_rates_are_spread_evenly(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("5/s"), clock=clock, sleep=clock.sleep)
    starts = await start_all(limiter, clock, 20)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap == pytest.approx(0.2) for gap in gaps)


@settings(max_examples=60, deadline=None)
@given(
    count=st.one_of(st.integers(min_value=1, max_value=12), st.sampled_from([0.5, 1.5, 2.5])),
    per=st.sampled_from([0.5, 1.0, 2.0, 60.0, 300.0]),
    arrivals=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=40),
)
def test_limiter_never_exceeds_the_rate_whatever_the_arrivals(
    count: float, per: float, arrivals: list[float]
) -> None:
    rate = Rate(count, per)

    async def main() -> list[float]:
        from http_fakes import FakeClock

        clock = FakeClock()
        limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
        starts: list[float] = []

        async def one(delay: float) -> None:
            await clock.sleep(delay)
            await limiter.acquire()
            starts.append(clock())

        await asyncio.gather(*(one(d) for d in arrivals))
        return sorted(starts)

    starts = asyncio.run(main())
    assert len(starts) == len(arrivals)
    assert limit_holds(starts, rate)


async def test_pause_blocks_every_acquirer_until_it_ends(clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    assert clock() == 1000.0  # no rate, no pause: no wait
    limiter.pause(12)
    starts = await start_all(limiter, clock, 5)
    assert starts == [1012.0] * 5


async def test_pause_reaches_acquirers_already_waiting_for_the_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("1/s"), clock=clock, sleep=clock.sleep)
    await limiter.acquire()  # t=1000; the next may start at 1001
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)  # the waiter is now asleep, waiting for its slot
    limiter.pause(30)
    until = limiter.state.paused_until
    assert until is not None
    assert until > 1001.0
    await waiter
    assert clock() == until


async def test_pause_never_shortens_a_longer_pause(clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    limiter.pause(20)
    limiter.pause(5)
    await limiter.acquire()
    assert clock() == 1020.0


async def test_state_shows_requests_in_window_and_the_pause(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("10/min"), clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.acquire()
    state = limiter.state
    assert (state.in_window, state.waiting, state.paused, state.paused_until) == (3, 0, False, None)
    limiter.pause(12)
    clock.advance(2)
    state = limiter.state
    assert state.paused
    assert state.paused_for == pytest.approx(10.0)
    assert state.paused_until == pytest.approx(1012.0)
    clock.advance(60)
    assert limiter.state.in_window == 0
    assert not limiter.state.paused


async def test_state_counts_waiting_acquirers(clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    limiter.pause(5)
    tasks = [asyncio.create_task(limiter.acquire()) for _ in range(4)]
    await asyncio.sleep(0)
    assert limiter.state.waiting == 4
    await asyncio.gather(*tasks)
    assert limiter.state.waiting == 0


async def test_a_slot_frees_exactly_when_its_window_ends(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("2/10s"), clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    await limiter.acquire()
    clock.advance(9.999)  # a request arriving just before the first start leaves the window
    await limiter.acquire()
    assert clock() == 1010.0
    assert clock.sleeps == [pytest.approx(0.001)]
