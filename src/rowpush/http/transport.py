"""`PoliteTransport`: rate limiting and retries around the real transport.

It sits at httpx's seam, so the network, a `MockTransport` or an in-process app
all get the same treatment, and tests drive it with a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from rowpush.http.limiter import Clock, RateLimiter, Sleep
from rowpush.http.redact import Redactor
from rowpush.http.retry import (
    STREAMED,
    RetryPolicy,
    Verdict,
    classify,
    is_idempotent,
    parse_retry_after,
    safe_url,
)

__all__ = ["OnEvent", "PoliteTransport", "RetryEvent"]


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """Something a progress display may show: "paused 12 s on 429", "retry 2/6"."""

    kind: Literal["throttled", "retry", "giveup", "held"]
    """throttled: the connection pauses for `wait` s; retry: this request waits
    `wait` s; giveup: no more attempts, the last answer goes to the caller; held: the
    rate's own window is full and holds this request `wait` s (no answer involved)."""
    attempt: int
    """The attempt that just failed (1-based)."""
    wait: float
    """Seconds until the next attempt (0.0 for giveup)."""
    status: int | None
    """The HTTP status, or None when no response came (see `error`)."""
    error: str | None
    """The transport error's class name, e.g. "ConnectError"."""
    method: str
    url: str
    """Without query or user info."""
    until: datetime | None = None
    """When a wait for a rolling window ends: local wall-clock time (timezone-aware),
    so a display can say "paused until 14:05:12". None for the other waits."""
    reason: str | None = None
    """Why such a wait, e.g. "HaloPSA rolling window"; None for the other waits."""

    def describe(self) -> str:
        """The event on a progress line: "paused until 14:05:12 (HaloPSA rolling window)",
        "paused 12 s on 429", "retrying after 503"; "" for a give-up."""
        if self.kind == "throttled":
            if self.until is not None:
                return f"paused until {self.until:%H:%M:%S} ({self.reason or 'rate limit'})"
            return f"paused {self.wait:.0f} s on {self.status or 429}"
        if self.kind == "retry":
            return f"retrying after {self.status or self.error}"
        if self.kind == "held" and self.until is not None:
            return f"waiting until {self.until:%H:%M:%S} ({self.reason or 'rate limit'} is full)"
        return ""


OnEvent = Callable[[RetryEvent], None]


class PoliteTransport(httpx.AsyncBaseTransport):
    """Waits for the limiter before every attempt, retries what `classify` says to.

    - THROTTLED (429): pause the whole limiter for Retry-After (or the backoff),
      then try again; every other request of the connection waits too.
    - THROTTLED without Retry-After when the limiter's rate is a rolling window
      (`Rate.is_window`, e.g. HaloPSA's 300/5min): pause until the window frees
      (`RateLimiter.window_frees_in`, at most 5 minutes), announced with `until`
      and `reason`; such waits do not use up attempts, so a request keeps its
      place until it has waited `policy.max_window_wait` seconds in all.
    - Every answer is reported to the limiter (`answered`), so that an adaptive
      one slows down on throttles, the given-up ones included, and speeds up
      again on the rest. Transport errors say nothing about the rate: not reported.
    - RETRY: this request alone sleeps Retry-After (if the server sent one) or
      `policy.backoff(attempt)`, then tries again.
    - After `policy.max_attempts` attempts, or a Retry-After beyond
      `policy.max_retry_after`: the last response is returned (or the last error
      raised). Discarded responses are read and closed, so keep-alive survives.
    - A streamed request body is read into memory once so that it can be re-sent.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        on_event: OnEvent | None = None,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock = time.time,
        redactor: Redactor | None = None,
        label: str | None = None,
    ) -> None:
        self.inner = inner
        self.label = label
        """Names the API in events, e.g. "HaloPSA" in "HaloPSA rolling window"."""
        self.redactor = redactor
        """Learns each credential sent, so that messages can be cleaned of it."""
        self.limiter = limiter if limiter is not None else RateLimiter(None)
        self.policy = policy if policy is not None else RetryPolicy()
        self.on_event = on_event
        self._sleep = sleep
        self._wall_clock = wall_clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.redactor is not None:
            self.redactor.learn(request)
        policy = self.policy
        idempotent = is_idempotent(request)
        if policy.max_attempts > 1:
            await request.aread()  # a generator body cannot be iterated twice; bytes can
        attempt = 0
        window_waits = 0  # attempts answered by a full window: they use up no attempt
        window_waited = 0.0
        while True:
            attempt += 1
            ticket = await self.limiter.acquire(self._holder(request))
            try:
                response = await self.inner.handle_async_request(request)
                if not request.extensions.get(STREAMED):
                    await response.aread()  # a body cut short is a failed attempt, retried
            except Exception as exc:
                verdict = classify(exc, idempotent=idempotent, policy=policy)
                if verdict is Verdict.FINAL:
                    raise
                if attempt - window_waits >= policy.max_attempts:
                    self._emit("giveup", attempt, 0.0, request, error=exc)
                    raise
                wait = policy.backoff(attempt - window_waits)
                self._emit("retry", attempt, wait, request, error=exc)
                await self._sleep(wait)
                continue

            if policy.is_throttled is not None and response.status_code >= 400:
                await response.aread()  # the hook looks at the body of an error
            verdict = classify(response, idempotent=idempotent, policy=policy)
            self.limiter.answered(ticket, throttled=verdict is Verdict.THROTTLED)
            if verdict is Verdict.FINAL:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
            window = None
            if verdict is Verdict.THROTTLED and retry_after is None:
                window = self.limiter.window_frees_in()
            if window is not None and window_waited + window <= policy.max_window_wait:
                window_waits += 1
                window_waited += window
                self.limiter.pause(window)  # before any await, as below
                until = datetime.fromtimestamp(self._wall_clock() + window, UTC).astimezone()
                reason = f"{self.label} rolling window" if self.label else "rolling window"
                self._emit(
                    "throttled",
                    attempt,
                    window,
                    request,
                    response=response,
                    until=until,
                    reason=reason,
                )
                await _discard(response)
                continue
            tries = attempt - window_waits
            too_long = retry_after is not None and retry_after > policy.max_retry_after
            # a window API that waited max_window_wait in all gives up too
            if tries >= policy.max_attempts or too_long or window is not None:
                self._emit("giveup", attempt, 0.0, request, response=response)
                return response
            wait = retry_after if retry_after is not None else policy.backoff(tries)
            if verdict is Verdict.THROTTLED:
                # Pause before any await: a request starting in between would meet the
                # same throttle and, started after the slow-down, slow it down again.
                self.limiter.pause(wait)  # the next acquire() waits it out, with everyone
                self._emit("throttled", attempt, wait, request, response=response)
                await _discard(response)
            else:
                self._emit("retry", attempt, wait, request, response=response)
                await _discard(response)
                await self._sleep(wait)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _holder(self, request: httpx.Request) -> Callable[[float], None] | None:
        """What to do when the rate holds `request` a while: announce when it goes."""
        if self.on_event is None or not (self.limiter.rate and self.limiter.rate.is_window):
            return None

        def held(wait: float) -> None:
            until = datetime.fromtimestamp(self._wall_clock() + wait, UTC).astimezone()
            reason = f"{self.label} rolling window" if self.label else "rolling window"
            self._emit("held", 0, wait, request, until=until, reason=reason)

        return held

    def _emit(
        self,
        kind: Literal["throttled", "retry", "giveup", "held"],
        attempt: int,
        wait: float,
        request: httpx.Request,
        *,
        response: httpx.Response | None = None,
        error: BaseException | None = None,
        until: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        if self.on_event is None:
            return
        self.on_event(
            RetryEvent(
                kind=kind,
                attempt=attempt,
                wait=wait,
                status=response.status_code if response is not None else None,
                error=type(error).__name__ if error is not None else None,
                method=request.method,
                url=safe_url(request.url),
                until=until,
                reason=reason,
            )
        )


async def _discard(response: httpx.Response) -> None:
    """Read the rest of a response we will not return, then release it.

    Reading first lets the connection go back to the pool instead of being dropped.
    """
    try:
        await response.aread()
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
