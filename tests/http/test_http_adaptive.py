"""The adaptive limiter (AIMD) on a fake clock: a throttle halves the rate, one
burst of 429s halves it once, quiet success wins it back slowly, never past the
ceiling nor under the floor, and no start ever breaks the rate then in force."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

import httpx
import pytest
from http_fakes import EPSILON, limit_holds
from hypothesis import given, settings
from hypothesis import strategies as st

from rowpush.http.client import build_client, limiter_of
from rowpush.http.limiter import AdaptivePolicy, RateLimiter
from rowpush.http.rate import Rate
from rowpush.http.retry import RetryPolicy
from rowpush.http.transport import PoliteTransport

if TYPE_CHECKING:
    from http_fakes import FakeClock

pytestmark = pytest.mark.anyio

WALL = 1_700_000_000.0
BASE = "https://api.example.com"
Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def adaptive(clock: FakeClock, text: str, policy: AdaptivePolicy | None = None) -> RateLimiter:
    return RateLimiter(Rate.parse(text), adaptive=policy or True, clock=clock, sleep=clock.sleep)


class Answers:
    """A mock server answering from a list, one per request, then 200; it notes when."""

    def __init__(self, clock: FakeClock, *answers: httpx.Response) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.times.append(self.clock())
        return self.answers.pop(0) if self.answers else httpx.Response(200)


def too_many(retry_after: float = 1) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": f"{retry_after:g}"})


def client_over(
    clock: FakeClock,
    limiter: RateLimiter,
    handler: Handler,
    policy: RetryPolicy | None = None,
) -> httpx.AsyncClient:
    transport = PoliteTransport(
        httpx.MockTransport(handler),
        limiter=limiter,
        policy=policy or RetryPolicy(jitter=False),
        sleep=clock.sleep,
        wall_clock=lambda: WALL,
    )
    return httpx.AsyncClient(base_url=BASE, transport=transport)


async def throttle(limiter: RateLimiter, times: int = 1) -> None:
    """`times` requests, one after another, each answered with a throttle."""
    for _ in range(times):
        limiter.answered(await limiter.acquire(), throttled=True)


async def test_a_429_halves_the_rate_and_still_pauses_for_retry_after(clock: FakeClock) -> None:
    limiter = adaptive(clock, "4/s")
    server = Answers(clock, too_many(5))
    async with client_over(clock, limiter, server) as client:
        for path in ("/a", "/b", "/c"):
            assert (await client.get(path)).status_code == 200
    # the retry waits out Retry-After as before; then 2/s spaces the starts 0.5 s apart
    assert server.times == [1000.0, 1005.0, 1005.5, 1006.0]
    state = limiter.state
    assert (state.current_rate, state.slowdowns) == (Rate(2, 1), 1)


async def test_each_throttle_at_the_slower_rate_halves_it_again(clock: FakeClock) -> None:
    limiter = adaptive(clock, "4/s")
    server = Answers(clock, too_many(), too_many(), too_many())
    async with client_over(clock, limiter, server) as client:
        assert (await client.get("/x")).status_code == 200
    assert str(limiter.current_rate) == "0.5/s"
    assert limiter.state.slowdowns == 3


class Burst:
    """The first `size` requests are held until all have arrived, then all get 429:
    one burst of concurrent requests throttled together. Later ones get 200."""

    def __init__(self, clock: FakeClock, size: int) -> None:
        self.clock = clock
        self.size = size
        self.times: list[float] = []
        self._all_in = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.times.append(self.clock())
        if len(self.times) > self.size:
            return httpx.Response(200)
        if len(self.times) == self.size:
            self._all_in.set()
        await self._all_in.wait()
        return too_many(2)


async def test_a_burst_of_concurrent_429s_halves_the_rate_once(clock: FakeClock) -> None:
    limiter = adaptive(clock, "8/s")
    server = Burst(clock, 8)
    async with client_over(clock, limiter, server) as client:
        responses = await asyncio.gather(*(client.get(f"/{n}") for n in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert limiter.current_rate == Rate(4, 1)
    assert limiter.state.slowdowns == 1
    burst, retries = server.times[:8], server.times[8:]
    assert burst[-1] == pytest.approx(1000.875)  # 8/s: all eight were in flight at once
    # no retry before the pause ends (on this fake clock, time moved by one task's sleep
    # moves for all, so the later 429s are read later and stretch the pause)
    assert retries[0] >= 1002.875
    assert [b - a for a, b in itertools.pairwise(retries)] == [pytest.approx(0.25)] * 7


async def test_a_throttle_from_before_the_slow_down_is_ignored_not_one_after(
    clock: FakeClock,
) -> None:
    limiter = adaptive(clock, "4/s", AdaptivePolicy(quiet=0, successes=1))
    early = await limiter.acquire()
    await throttle(limiter)  # 2/s
    limiter.answered(early, throttled=True)  # sent at 4/s, before the slow-down
    assert limiter.current_rate == Rate(2, 1)
    before_step, after_step = await limiter.acquire(), await limiter.acquire()
    limiter.answered(after_step, throttled=False)  # quiet enough: one step up, +0.4
    assert limiter.current_rate == Rate(2.4, 1)
    # sent at 2/s, after the slow-down: 2/s is too fast too
    limiter.answered(before_step, throttled=True)
    assert limiter.current_rate == Rate(1.2, 1)


async def test_answers_to_requests_sent_before_a_change_do_not_speed_it_up(
    clock: FakeClock,
) -> None:
    limiter = adaptive(clock, "4/s", AdaptivePolicy(quiet=0, successes=2))
    early = [await limiter.acquire() for _ in range(3)]
    await throttle(limiter)  # 2/s
    for ticket in early:
        limiter.answered(ticket, throttled=False)  # sent at 4/s: says nothing of 2/s
    assert limiter.current_rate == Rate(2, 1)
    for _ in range(2):
        limiter.answered(await limiter.acquire(), throttled=False)
    assert limiter.current_rate == Rate(2.4, 1)


async def test_a_slower_rate_after_a_burst_still_keeps_under_the_ceiling(
    clock: FakeClock,
) -> None:
    # 9/10s lets 9 start at once; halved, 4.5/10s only spaces starts 2.2 s apart,
    # which alone would let 4 more into the same 10 s: the ceiling check stops that
    limiter = adaptive(clock, "10/10s", AdaptivePolicy(quiet=0, successes=1))
    await throttle(limiter)  # 5/10s
    for _ in range(4):
        limiter.answered(await limiter.acquire(), throttled=False)  # +1 each: 9/10s
    starts = [clock()] * 5
    for _ in range(4):
        last = await limiter.acquire()
        starts.append(clock())
    assert starts == [1000.0] * 9
    limiter.answered(last, throttled=True)  # one of the burst, sent at 9/10s
    assert limiter.current_rate == Rate(4.5, 10)
    for _ in range(4):
        await limiter.acquire()
        starts.append(clock())
    assert starts[9] == pytest.approx(1000 + 10 / 4.5)  # the 10th: fits both
    assert starts[10] == 1010.0  # the 11th waits for the first nine to leave the window
    assert limit_holds(starts, Rate(10, 10))


async def test_recovery_is_slow_and_stops_at_the_ceiling(clock: FakeClock) -> None:
    limiter = adaptive(clock, "1/s")
    await throttle(limiter)  # at 1000: 0.5/s
    steps: list[tuple[float, float]] = []
    starts: list[float] = []
    for _ in range(120):
        ticket = await limiter.acquire()
        starts.append(clock())
        before = limiter.current_rate
        limiter.answered(ticket, throttled=False)
        assert limiter.current_rate is not None
        if limiter.current_rate != before:
            steps.append((clock(), limiter.current_rate.count))
    # +10% of the ceiling after 10 accepted answers at each rate (and 10 s quiet)
    assert [count for _, count in steps] == [0.6, 0.7, 0.8, 0.9, 1.0]
    # 0.5/s: 10 answers take 20 s (the first from 1002); then 10 starts at each new rate
    expected = itertools.accumulate([1020.0, 10 / 0.6, 10 / 0.7, 10 / 0.8, 10 / 0.9])
    assert [when for when, _ in steps] == pytest.approx(list(expected))
    assert limiter.current_rate == limiter.rate == Rate(1, 1)
    assert not limiter.state.slowed
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(1.0)  # never faster than the ceiling
    assert gaps[-40:] == [pytest.approx(1.0)] * 40


async def test_recovery_waits_for_quiet_however_fast_the_answers_come(clock: FakeClock) -> None:
    limiter = adaptive(clock, "16/s")
    await throttle(limiter)  # at 1000: 8/s
    limiter.pause(30)  # what the transport does on a 429 with Retry-After: 30
    while limiter.current_rate == Rate(8, 1):
        limiter.answered(await limiter.acquire(), throttled=False)
    # answers at 8/s pass 10 in 1.25 s, but quiet counts from the end of the pause
    assert clock() == 1040.0
    assert limiter.current_rate == Rate(9.6, 1)


@pytest.mark.parametrize(
    ("ceiling", "floor"),
    [("1/s", "0.1/s"), ("15/s", "0.1/s"), ("300/5min", "30/5min"), ("2/min", "2/min")],
)
async def test_the_rate_never_falls_below_the_floor(
    clock: FakeClock, ceiling: str, floor: str
) -> None:
    limiter = adaptive(clock, ceiling)
    await throttle(limiter, 12)
    assert str(limiter.current_rate) == floor  # one every 10 s, or the ceiling if slower
    if ceiling == "1/s":
        await limiter.acquire()
        started = clock()
        await limiter.acquire()
        assert clock() - started == pytest.approx(10.0)


async def test_server_errors_and_transport_errors_do_not_slow_down(clock: FakeClock) -> None:
    limiter = adaptive(clock, "4/s")
    server = Answers(clock, httpx.Response(503), httpx.Response(500))
    async with client_over(clock, limiter, server) as client:
        assert (await client.get("/x")).status_code == 200
    assert limiter.current_rate == Rate(4, 1)


async def test_a_throttle_hook_and_a_given_up_429_slow_down_too(clock: FakeClock) -> None:
    def code_53(response: httpx.Response) -> bool:
        return bool(response.json().get("code") == 53)

    limiter = adaptive(clock, "4/s")
    server = Answers(
        clock,
        httpx.Response(403, json={"code": 53, "message": "Too many requests"}),
        too_many(3600),  # beyond max_retry_after: returned as is, but still a throttle
    )
    policy = RetryPolicy(is_throttled=code_53, jitter=False, max_retry_after=600)
    async with client_over(clock, limiter, server, policy) as client:
        assert (await client.get("/x")).status_code == 429
    assert limiter.current_rate == Rate(1, 1)


async def test_a_fixed_rate_stays_fixed_after_429s(clock: FakeClock) -> None:
    server = Answers(clock, too_many(), too_many(), too_many())
    client = build_client(
        BASE,
        rate=Rate.parse("4/s"),
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(jitter=False),
        sleep=clock.sleep,
        clock=clock,
    )
    async with client:
        for path in ("/a", "/b", "/c"):
            await client.get(path)
    limiter = limiter_of(client)
    assert limiter is not None
    state = limiter.state
    assert (state.adaptive, state.slowed, state.slowdowns) == (False, False, 0)
    assert state.current_rate == state.rate == Rate(4, 1)
    assert server.times[-3:] == [pytest.approx(t) for t in (1003.0, 1003.25, 1003.5)]


async def test_build_client_adapts_when_asked(clock: FakeClock) -> None:
    server = Answers(clock, too_many(2))
    client = build_client(
        BASE,
        rate=Rate.parse("4/s"),
        adaptive=True,
        transport=httpx.MockTransport(server),
        sleep=clock.sleep,
        clock=clock,
    )
    async with client:
        await client.get("/x")
        await client.get("/y")
    limiter = limiter_of(client)
    assert limiter is not None
    assert limiter.state.current_rate == Rate(2, 1)
    assert server.times == [1000.0, 1002.0, 1002.5]


def test_adaptive_needs_a_rate_and_no_given_limiter() -> None:
    with pytest.raises(ValueError, match="needs a rate"):
        build_client(BASE, adaptive=True)
    with pytest.raises(ValueError, match="adaptive"):
        build_client(BASE, adaptive=True, limiter=RateLimiter(Rate.parse("1/s")))
    assert limiter_of(httpx.AsyncClient()) is None


async def test_the_state_shows_the_current_rate_for_a_progress_display(clock: FakeClock) -> None:
    def shown(limiter: RateLimiter) -> str:
        state = limiter.state
        return f"rate {state.current_rate}" + (" (adapting)" if state.slowed else "")

    limiter = adaptive(clock, "5/s")
    assert limiter.state.adaptive
    assert shown(limiter) == "rate 5/s"
    await throttle(limiter)
    assert shown(limiter) == "rate 2.5/s (adapting)"
    fixed = RateLimiter(Rate.parse("5/s"), clock=clock, sleep=clock.sleep)
    await throttle(fixed)
    assert shown(fixed) == "rate 5/s"
    assert not fixed.state.adaptive


@settings(max_examples=80, deadline=None)
@given(
    text=st.sampled_from(["8/s", "2.5/s", "7/10s", "3/2s", "300/5min", "15/s"]),
    quick=st.booleans(),
    arrivals=st.lists(
        st.tuples(st.floats(min_value=0, max_value=3), st.booleans()), min_size=1, max_size=60
    ),
)
def test_no_start_breaks_the_ceiling_or_the_rate_then_in_force(
    text: str, quick: bool, arrivals: list[tuple[float, bool]]
) -> None:
    ceiling = Rate.parse(text)
    # quick recovery mixes speed-ups in among the slow-downs
    policy = AdaptivePolicy(quiet=0.5, successes=1) if quick else AdaptivePolicy()

    async def main() -> list[tuple[float, Rate]]:
        from http_fakes import FakeClock

        clock = FakeClock()
        limiter = RateLimiter(ceiling, adaptive=policy, clock=clock, sleep=clock.sleep)
        starts: list[tuple[int, float, Rate]] = []

        async def one(delay: float, throttled: bool) -> None:
            await clock.sleep(delay)
            ticket = await limiter.acquire()
            assert limiter.current_rate is not None
            starts.append((ticket, clock(), limiter.current_rate))
            await asyncio.sleep(0)  # answers come back interleaved with other starts
            limiter.answered(ticket, throttled=throttled)

        await asyncio.gather(*(one(d, t) for d, t in arrivals))
        return [(when, rate) for _, when, rate in sorted(starts)]

    starts = asyncio.run(main())
    times = [when for when, _ in starts]
    assert times == sorted(times)
    assert limit_holds(times, ceiling)
    for i, (when, rate) in enumerate(starts):
        # the rate in force let this one start: fewer than `slots` in its window before
        earlier = [t for t in times[:i] if t > when - rate.interval + EPSILON]
        assert len(earlier) < rate.slots, (when, str(rate), earlier)
    for rate, stretch in itertools.groupby(starts, key=lambda start: start[1]):
        assert limit_holds([when for when, _ in stretch], rate)
