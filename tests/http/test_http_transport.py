"""PoliteTransport and build_client over MockTransport, on a fake clock."""

from __future__ import annotations

import email.utils
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from rowpush import __version__
from rowpush.errors import ConfigError
from rowpush.http.client import _environment_proxy, build_client
from rowpush.http.limiter import RateLimiter
from rowpush.http.rate import Rate
from rowpush.http.retry import NOT_IDEMPOTENT, RetryPolicy
from rowpush.http.transport import PoliteTransport, RetryEvent

if TYPE_CHECKING:
    from http_fakes import FakeClock

pytestmark = pytest.mark.anyio

WALL = 1_700_000_000.0
BASE = "https://api.example.com"
Answer = httpx.Response | Exception


class Script:
    """A mock server answering from a list, one item per request; the rest get 200."""

    def __init__(self, clock: FakeClock, *answers: Answer) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.seen: list[tuple[float, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.clock(), request))
        answer = self.answers.pop(0) if self.answers else httpx.Response(200, json={"ok": True})
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.seen]


def polite_client(
    clock: FakeClock,
    handler: Callable[[httpx.Request], httpx.Response] | httpx.AsyncBaseTransport,
    *,
    policy: RetryPolicy | None = None,
    rate: Rate | None = None,
    events: list[RetryEvent] | None = None,
) -> httpx.AsyncClient:
    inner = (
        handler if isinstance(handler, httpx.AsyncBaseTransport) else httpx.MockTransport(handler)
    )
    transport = PoliteTransport(
        inner,
        limiter=RateLimiter(rate, clock=clock, sleep=clock.sleep),
        policy=policy or RetryPolicy(rng=lambda: 0.0),  # equal jitter at 0: half the backoff
        on_event=events.append if events is not None else None,
        sleep=clock.sleep,
        wall_clock=lambda: WALL,
    )
    return httpx.AsyncClient(base_url=BASE, transport=transport)


async def test_429_pauses_the_connection_for_retry_after_seconds(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "7"}))
    events: list[RetryEvent] = []
    async with polite_client(clock, script, events=events) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert script.times == [1000.0, 1007.0]
    assert events == [
        RetryEvent("throttled", 1, 7.0, 429, None, "GET", f"{BASE}/x"),
    ]


async def test_429_honours_an_http_date(clock: FakeClock) -> None:
    later = email.utils.formatdate(WALL + 12, usegmt=True)
    script = Script(clock, httpx.Response(429, headers={"Retry-After": later}))
    async with polite_client(clock, script) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert script.times == [1000.0, 1012.0]


async def test_429_without_retry_after_backs_off(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(429), httpx.Response(429))
    policy = RetryPolicy(jitter=False)
    async with polite_client(clock, script, policy=policy) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert script.times == [1000.0, 1000.5, 1001.5]


async def test_429_pauses_the_whole_limiter_not_just_the_request(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "30"}))
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    seen_pauses: list[float] = []
    transport = PoliteTransport(
        httpx.MockTransport(script),
        limiter=limiter,
        on_event=lambda event: seen_pauses.append(limiter.state.paused_for),
        sleep=clock.sleep,
    )
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get(f"{BASE}/x")
    # every acquirer of this limiter waits out the pause (see the limiter's tests)
    assert seen_pauses == [30.0]
    assert script.times == [1000.0, 1030.0]


async def test_5xx_is_retried_with_backoff_then_succeeds(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(503), httpx.Response(502))
    events: list[RetryEvent] = []
    async with polite_client(clock, script, events=events) as client:
        response = await client.put("/x", json={"a": 1})
    assert response.status_code == 200
    assert len(script.seen) == 3
    assert clock.sleeps == [0.25, 0.5]  # backoff(1), backoff(2) with jitter drawing 0
    assert [(e.kind, e.attempt, e.status) for e in events] == [("retry", 1, 503), ("retry", 2, 502)]


async def test_gives_up_after_max_attempts_returning_the_last_response(clock: FakeClock) -> None:
    answers = [httpx.Response(500, text=f"failure {n}") for n in range(1, 10)]
    script = Script(clock, *answers)
    events: list[RetryEvent] = []
    async with polite_client(clock, script, policy=RetryPolicy(max_attempts=4), events=events) as c:
        response = await c.get("/x")
    assert response.status_code == 500
    assert response.text == "failure 4"
    assert len(script.seen) == 4
    assert [e.kind for e in events] == ["retry", "retry", "retry", "giveup"]


async def test_gives_up_on_transport_errors_by_raising_the_last(clock: FakeClock) -> None:
    script = Script(clock, *(httpx.ConnectError(f"refused {n}") for n in range(1, 10)))
    async with polite_client(clock, script, policy=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(httpx.ConnectError, match="refused 3"):
            await client.get("/x")
    assert len(script.seen) == 3


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(500), httpx.Response(503), httpx.ReadTimeout("slow"), httpx.ReadError("reset")],
    ids=repr,
)
async def test_a_non_idempotent_request_is_not_retried_when_it_may_have_landed(
    clock: FakeClock, answer: Answer
) -> None:
    script = Script(clock, answer)
    async with polite_client(clock, script) as client:
        try:
            response = await client.post("/create", json={"name": "x"}, extensions=NOT_IDEMPOTENT)
        except httpx.TransportError:
            pass
        else:
            assert response.status_code == answer.status_code  # type: ignore[union-attr]
    assert len(script.seen) == 1


@pytest.mark.parametrize(
    "answer", [httpx.Response(429), httpx.ConnectError("refused"), httpx.ConnectTimeout("no")]
)
async def test_a_non_idempotent_request_is_retried_when_it_never_landed(
    clock: FakeClock, answer: Answer
) -> None:
    script = Script(clock, answer)
    async with polite_client(clock, script) as client:
        response = await client.post("/create", json={"name": "x"}, extensions=NOT_IDEMPOTENT)
    assert response.status_code == 200
    assert len(script.seen) == 2


async def test_an_idempotent_request_is_retried_after_a_read_timeout(clock: FakeClock) -> None:
    script = Script(clock, httpx.ReadTimeout("slow"))
    async with polite_client(clock, script) as client:
        response = await client.put("/x", json={})
    assert response.status_code == 200
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_other_4xx_are_not_retried(clock: FakeClock, status: int) -> None:
    script = Script(clock, httpx.Response(status))
    async with polite_client(clock, script) as client:
        response = await client.get("/x")
    assert response.status_code == status
    assert len(script.seen) == 1
    assert clock.sleeps == []


async def test_a_retry_after_beyond_the_maximum_is_not_waited_for(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "3600"}))
    events: list[RetryEvent] = []
    policy = RetryPolicy(max_retry_after=600)
    async with polite_client(clock, script, policy=policy, events=events) as client:
        response = await client.get("/x")
    assert response.status_code == 429
    assert len(script.seen) == 1
    assert [e.kind for e in events] == ["giveup"]


async def test_a_throttle_hook_makes_a_403_pause_like_a_429(clock: FakeClock) -> None:
    def code_53(r: httpx.Response) -> bool:
        return bool(r.json().get("code") == 53)

    script = Script(
        clock,
        httpx.Response(403, json={"code": 53, "message": "Too many requests"}),
        httpx.Response(403, json={"code": 50, "message": "Access denied"}),
    )
    policy = RetryPolicy(is_throttled=code_53, jitter=False)
    async with polite_client(clock, script, policy=policy) as client:
        response = await client.get("/x")
    assert response.status_code == 403
    assert response.json()["code"] == 50
    assert len(script.seen) == 2
    assert clock() == 1000.5


class OneShotStreamTransport(httpx.AsyncBaseTransport):
    """Reads the request body as the network does (once, as a stream); fails at first."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(b"".join([chunk async for chunk in request.stream]))  # type: ignore[union-attr]
        if len(self.bodies) <= self.failures:
            return httpx.Response(503)
        return httpx.Response(200)


@pytest.mark.parametrize("kind", ["json", "content", "generator"])
async def test_the_request_body_is_sent_again_in_full(clock: FakeClock, kind: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": '
        yield b"1}"

    inner = OneShotStreamTransport(failures=2)
    async with polite_client(clock, inner) as client:
        if kind == "json":
            response = await client.post("/x", json={"a": 1})
        elif kind == "content":
            response = await client.post("/x", content=b'{"a": 1}')
        else:
            response = await client.post("/x", content=chunks())
    assert response.status_code == 200
    assert len(inner.bodies) == 3
    assert len(set(inner.bodies)) == 1
    assert inner.bodies[0].replace(b" ", b"") == b'{"a":1}'


class TrackedStream(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"busy"

    async def aclose(self) -> None:
        self.closed = True


async def test_discarded_responses_are_closed(clock: FakeClock) -> None:
    streams = [TrackedStream(), TrackedStream()]
    script = Script(
        clock,
        httpx.Response(503, stream=streams[0]),
        httpx.Response(429, stream=streams[1]),
    )
    async with polite_client(clock, script) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert all(s.closed for s in streams)


async def test_each_attempt_waits_for_the_rate_limiter(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(500), httpx.Response(500))
    async with polite_client(clock, script, rate=Rate.parse("1/10s")) as client:
        await client.get("/x")
    # backoffs are short (0.25, 0.5 s) but each attempt also needs a slot of the rate
    assert script.times == [1000.0, 1010.0, 1020.0]


async def test_build_client_sets_base_url_user_agent_headers_and_limits(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "3"}))
    limiter = RateLimiter(Rate.parse("2/min"), clock=clock, sleep=clock.sleep)
    events: list[RetryEvent] = []
    client = build_client(
        BASE,
        limiter=limiter,
        headers={"X-Extra": "1"},
        transport=httpx.MockTransport(script),
        on_event=events.append,
        sleep=clock.sleep,
    )
    async with client:
        response = await client.get("/things")
        assert limiter.state.in_window == 2
    assert response.status_code == 200
    request = script.seen[-1][1]
    assert str(request.url) == f"{BASE}/things"
    assert request.headers["User-Agent"] == f"rowpush/{__version__}"
    assert request.headers["X-Extra"] == "1"
    assert [e.kind for e in events] == ["throttled"]
    assert script.times == [1000.0, 1003.0]


async def test_build_client_uses_the_policy(clock: FakeClock) -> None:
    script = Script(clock, httpx.Response(500), httpx.Response(500))
    client = build_client(
        BASE,
        policy=RetryPolicy(max_attempts=1),
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
    )
    async with client:
        response = await client.get("/x")
    assert response.status_code == 500
    assert len(script.seen) == 1


@pytest.mark.parametrize("url", ["acme.halopsa.com", "ftp://acme.example.com", "/api", ""])
def test_build_client_refuses_a_base_url_that_is_not_http(url: str) -> None:
    with pytest.raises(ConfigError, match="base_url") as caught:
        build_client(url)
    assert caught.value.hint is not None
    assert "https://" in caught.value.hint


def test_build_client_takes_a_rate_or_a_limiter_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        build_client(BASE, rate=Rate.parse("1/s"), limiter=RateLimiter(None))


def test_the_environment_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    assert _environment_proxy(httpx.URL("https://api.m3ter.com")) is None
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,.internal")
    assert _environment_proxy(httpx.URL("https://api.m3ter.com")) == "http://proxy.corp:3128"
    assert _environment_proxy(httpx.URL("https://localhost:8080")) is None
    assert _environment_proxy(httpx.URL("https://halo.internal")) is None
    assert _environment_proxy(httpx.URL("http://api.m3ter.com")) is None  # no HTTP_PROXY


async def test_build_client_without_a_transport_sends_over_the_network_politely(
    clock: FakeClock,
) -> None:
    events: list[RetryEvent] = []
    client = build_client(
        "http://127.0.0.1:1",  # nothing listens on port 1: refused at once
        policy=RetryPolicy(max_attempts=2),
        on_event=events.append,
        sleep=clock.sleep,
        timeout=5,
    )
    async with client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/x")
    assert [(e.kind, e.error) for e in events] == [
        ("retry", "ConnectError"),
        ("giveup", "ConnectError"),
    ]
