"""Rolling windows (HaloPSA's 300/5min): a burst at full speed, then waits; a 429
without Retry-After waits until the window frees instead of giving up. Fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest
from http_fakes import most_in_any_window

from rowpush.http.client import build_client
from rowpush.http.limiter import MAX_WINDOW_PAUSE, MIN_WINDOW_PAUSE, RateLimiter
from rowpush.http.rate import Rate
from rowpush.http.retry import RetryPolicy
from rowpush.http.transport import PoliteTransport, RetryEvent

if TYPE_CHECKING:
    from http_fakes import FakeClock

pytestmark = pytest.mark.anyio

WALL = 1_700_000_000.0
BASE = "https://halo.example.com"


class Server:
    """Answers from a list, one per request, then 200; notes when each arrived.

    `latency` seconds of the fake clock pass before each answer, as on a network.
    """

    def __init__(self, clock: FakeClock, *answers: httpx.Response, latency: float = 0.0) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.latency = latency
        self.times: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.times.append(self.clock())
        if self.latency:
            await self.clock.sleep(self.latency)
        return self.answers.pop(0) if self.answers else httpx.Response(200)


def rate_limited() -> httpx.Response:
    """Halo's 429 as the notes quote it: plain text, no Retry-After."""
    return httpx.Response(429, text="Rate Limit Reached - 300 Requests per rolling 5 minute window")


def halo_client(
    clock: FakeClock,
    server: Server,
    rate: str,
    *,
    events: list[RetryEvent] | None = None,
    policy: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
) -> httpx.AsyncClient:
    transport = PoliteTransport(
        httpx.MockTransport(server),
        limiter=limiter or RateLimiter(Rate.parse(rate), clock=clock, sleep=clock.sleep),
        policy=policy or RetryPolicy(rng=lambda: 0.0),
        on_event=events.append if events is not None else None,
        sleep=clock.sleep,
        wall_clock=lambda: WALL + clock() - 1000.0,  # the wall clock moves with the fake one
        label="HaloPSA",
    )
    return httpx.AsyncClient(base_url=BASE, transport=transport)


def wall(at: float) -> datetime:
    """The wall-clock time matching fake-clock reading `at`."""
    return datetime.fromtimestamp(WALL + at - 1000.0, UTC)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        *[("300/5min", True), ("700/5min", True), ("5/2s", True), ("1/h", True)],
        *[("5/s", False), ("1/s", False), ("2.5/10s", False), ("15/s", False)],
    ],
)
def test_a_whole_count_over_more_than_a_second_is_a_window(text: str, window: bool) -> None:
    assert Rate.parse(text).is_window is window


async def test_a_window_lets_its_whole_budget_go_at_once_then_holds_the_next(
    clock: FakeClock,
) -> None:
    limiter = RateLimiter(Rate.parse("300/5min"), clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(clock())

    await asyncio.gather(*(one() for _ in range(301)))
    assert starts[:300] == [1000.0] * 300  # full speed: no wait at all
    assert starts[300] == 1300.0  # the 301st waits until the first leaves the window


async def test_a_larger_job_never_breaks_the_window(clock: FakeClock) -> None:
    server = Server(clock)
    async with halo_client(clock, server, "300/5min") as client:
        await asyncio.gather(*(client.get(f"/api/Client/{i}") for i in range(700)))
    assert len(server.times) == 700
    assert most_in_any_window(server.times, 300.0) == 300
    assert server.times[299] == server.times[0]  # the first 300 at full speed
    assert server.times[-1] == 1600.0  # then 300 per window


async def test_a_request_counts_in_the_window_until_its_answer(clock: FakeClock) -> None:
    # The server saw it arrive between start and answer: counting from the start
    # would let the next request arrive while the server still counts this one.
    limiter = RateLimiter(Rate.parse("3/10s"), clock=clock, sleep=clock.sleep)
    tickets = [await limiter.acquire() for _ in range(3)]
    clock.advance(2.0)
    limiter.answered(tickets[0], throttled=False)  # answered at 1002
    clock.advance(1.0)
    limiter.answered(tickets[1], throttled=False)  # at 1003
    limiter.answered(tickets[2], throttled=False)
    await limiter.acquire()
    assert clock() == 1012.0  # the earliest answer plus the window


async def test_a_slow_first_answer_does_not_let_the_window_break_on_the_server(
    clock: FakeClock,
) -> None:
    server = Server(clock, latency=0.5)
    async with halo_client(clock, server, "3/10s") as client:
        await asyncio.gather(*(client.get("/x") for _ in range(7)))
    # the server sees arrivals; its window of 10 s never holds more than 3
    assert most_in_any_window(server.times, 10.0) == 3


def test_per_second_rates_are_not_windows_and_name_no_wait() -> None:
    assert RateLimiter(Rate.parse("5/s")).window_frees_in() is None
    assert RateLimiter(None).window_frees_in() is None


async def test_the_window_frees_when_its_oldest_request_leaves(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("3/10s"), clock=clock, sleep=clock.sleep)
    assert limiter.window_frees_in() == 10.0  # nothing of ours in it: a whole window
    await limiter.acquire()
    clock.advance(3.0)
    await limiter.acquire()
    clock.advance(1.0)
    assert limiter.window_frees_in() == 6.0  # the first leaves at 1010
    clock.advance(6.0)
    assert limiter.window_frees_in() == 3.0  # now the second, at 1013
    clock.advance(2.5)
    assert limiter.window_frees_in() == MIN_WINDOW_PAUSE  # never a busy loop


async def test_a_window_wait_is_capped_at_five_minutes(clock: FakeClock) -> None:
    limiter = RateLimiter(Rate.parse("1000/h"), clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    assert limiter.window_frees_in() == MAX_WINDOW_PAUSE == 300.0


async def test_a_429_without_retry_after_waits_until_the_window_frees(clock: FakeClock) -> None:
    server = Server(clock, httpx.Response(200), rate_limited())
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "300/5min", events=events) as client:
        assert (await client.get("/api/Client/1")).status_code == 200
        clock.advance(100.0)
        response = await client.get("/api/Client/2")
    assert response.status_code == 200
    # the first request, at 1000, leaves the window at 1300: the retry goes then
    assert server.times == [1000.0, 1100.0, 1300.0]
    assert events == [
        RetryEvent(
            "throttled",
            1,
            200.0,
            429,
            None,
            "GET",
            f"{BASE}/api/Client/2",
            until=wall(1300.0),
            reason="HaloPSA rolling window",
        )
    ]
    assert events[0].until is not None
    assert events[0].until.tzinfo is not None  # a display shows it in local time


async def test_the_pause_holds_every_request_of_the_connection(clock: FakeClock) -> None:
    server = Server(clock, rate_limited())
    later: list[asyncio.Task[httpx.Response]] = []
    transport = PoliteTransport(
        httpx.MockTransport(server),
        limiter=RateLimiter(Rate.parse("5/2s"), clock=clock, sleep=clock.sleep),
        # another request of the connection starts while the pause is on
        on_event=lambda _: later.append(asyncio.ensure_future(client.get("/b"))),
        sleep=clock.sleep,
    )
    async with httpx.AsyncClient(base_url=BASE, transport=transport) as client:
        clock.advance(0.5)
        assert (await client.get("/a")).status_code == 200
        assert (await later[0]).status_code == 200
    assert server.times[0] == 1000.5
    assert min(server.times[1:]) == 1002.5  # both waited for the window


async def test_a_window_api_keeps_waiting_past_the_short_backoff(clock: FakeClock) -> None:
    # 12 throttles in a row: a per-second API gives up after 6 attempts; a window
    # API waits a window each time (12 minutes in all) and gets its answer
    server = Server(clock, *(rate_limited() for _ in range(12)))
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "10/min", events=events) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert len(server.times) == 13
    assert server.times[-1] - server.times[0] == pytest.approx(720.0)
    assert [e.kind for e in events] == ["throttled"] * 12
    assert all(e.reason == "HaloPSA rolling window" for e in events)


async def test_a_per_second_api_still_backs_off_briefly_and_gives_up(clock: FakeClock) -> None:
    server = Server(clock, *(rate_limited() for _ in range(12)))
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "10/s", events=events) as client:
        response = await client.get("/x")
    assert response.status_code == 429
    assert len(server.times) == RetryPolicy().max_attempts
    assert server.times[-1] - server.times[0] < 30.0  # seconds, not minutes
    assert [e.kind for e in events] == ["throttled"] * 5 + ["giveup"]
    assert all(e.until is None and e.reason is None for e in events)


async def test_a_window_api_gives_up_after_max_window_wait(clock: FakeClock) -> None:
    server = Server(clock, *(rate_limited() for _ in range(12)))
    events: list[RetryEvent] = []
    policy = RetryPolicy(max_window_wait=150.0)
    async with halo_client(clock, server, "10/min", events=events, policy=policy) as client:
        response = await client.get("/x")
    assert response.status_code == 429
    assert [e.kind for e in events] == ["throttled", "throttled", "giveup"]
    assert server.times == [1000.0, 1060.0, 1120.0]


async def test_a_retry_after_is_still_honoured_on_a_window_api(clock: FakeClock) -> None:
    server = Server(clock, httpx.Response(429, headers={"Retry-After": "7"}))
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "300/5min", events=events) as client:
        assert (await client.get("/x")).status_code == 200
    assert server.times == [1000.0, 1007.0]
    assert events[0].wait == 7.0
    assert events[0].until is None


async def test_an_adaptive_window_halves_and_still_waits_for_the_window(
    clock: FakeClock,
) -> None:
    # the API's default rate adapts: a 429 halves the window's budget, and the
    # request still waits for the window rather than giving up
    limiter = RateLimiter(Rate.parse("300/5min"), adaptive=True, clock=clock, sleep=clock.sleep)
    server = Server(clock, rate_limited())
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "", events=events, limiter=limiter) as client:
        assert (await client.get("/x")).status_code == 200
    assert limiter.current_rate == Rate(150, 300)
    assert server.times == [1000.0, 1300.0]
    assert events[0].until == wall(1300.0)


async def test_build_client_names_the_api_in_window_events(clock: FakeClock) -> None:
    server = Server(clock, rate_limited())
    events: list[RetryEvent] = []
    client = build_client(
        BASE,
        rate=Rate.parse("5/2s"),
        transport=httpx.MockTransport(server),
        on_event=events.append,
        sleep=clock.sleep,
        clock=clock,
        label="HaloPSA",
    )
    async with client:
        assert (await client.get("/x")).status_code == 200
    assert server.times == [1000.0, 1002.0]
    assert [(e.wait, e.reason) for e in events] == [(2.0, "HaloPSA rolling window")]


def test_a_window_pause_describes_itself_for_a_progress_line() -> None:
    ends = datetime(2026, 12, 6, 14, 5, 12, tzinfo=UTC)
    event = RetryEvent(
        "throttled", 1, 72.0, 429, None, "GET", "/api/Client", ends, "HaloPSA rolling window"
    )
    assert event.describe() == "paused until 14:05:12 (HaloPSA rolling window)"
    short = RetryEvent("throttled", 1, 12.0, 429, None, "GET", "/api/Client")
    assert short.describe() == "paused 12 s on 429"
    assert RetryEvent("retry", 2, 1.0, 503, None, "GET", "/x").describe() == "retrying after 503"
    assert RetryEvent("giveup", 6, 0.0, None, "ConnectError", "GET", "/x").describe() == ""


async def test_a_full_window_announces_the_request_it_holds_once(clock: FakeClock) -> None:
    server = Server(clock)
    events: list[RetryEvent] = []
    async with halo_client(clock, server, "3/5min", events=events) as client:
        for i in range(5):  # one at a time: 3 go at once, the 4th waits for the window
            await client.get(f"/api/Client/{i}")
    held = [e for e in events if e.kind == "held"]
    assert [(e.wait, e.until, e.reason) for e in held] == [
        (300.0, wall(1300.0), "HaloPSA rolling window"),  # the 4th, until the 1st leaves
    ]
    assert held[0].describe() == (
        f"waiting until {wall(1300.0).astimezone():%H:%M:%S} (HaloPSA rolling window is full)"
    )
    assert server.times == [1000.0, 1000.0, 1000.0, 1300.0, 1300.0]


async def test_short_waits_and_per_second_rates_are_not_announced(clock: FakeClock) -> None:
    events: list[RetryEvent] = []
    async with halo_client(clock, Server(clock), "2/s", events=events) as client:
        await asyncio.gather(*(client.get(f"/api/Client/{i}") for i in range(20)))
    async with halo_client(clock, Server(clock), "5/2s", events=events) as client:
        await asyncio.gather(*(client.get(f"/api/Client/{i}") for i in range(20)))
    assert [e for e in events if e.kind == "held"] == []  # waits of 2 s at most
