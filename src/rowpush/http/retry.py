"""When to send a request again, and how long to wait first.

`classify` is the one place that decides whether an answer (a response or a
transport error) is final or worth another attempt; `RetryPolicy` holds the
numbers. Idempotency is per request: a caller sending a create that must not
happen twice marks it with `extensions=NOT_IDEMPOTENT`.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from typing import Literal

import httpx

from rowpush.errors import ConnectionFailed

__all__ = [
    "IDEMPOTENT",
    "NOT_IDEMPOTENT",
    "RETRY_STATUSES",
    "SERVER_TROUBLE",
    "STREAMED",
    "UNCLEAR_STATUSES",
    "RetryPolicy",
    "Verdict",
    "classify",
    "connection_failed",
    "is_idempotent",
    "parse_retry_after",
    "safe_url",
]

IDEMPOTENT = "rowpush.idempotent"
"""Request extension: False marks a request that must not be sent twice after it
may have reached the server (a create without a client-chosen id). Default True."""

NOT_IDEMPOTENT: dict[str, object] = {IDEMPOTENT: False}
"""Pass as `extensions=NOT_IDEMPOTENT` to `client.post(...)`."""

STREAMED = "rowpush.streamed"
"""Request extension: True leaves the body to the caller, unread (a file download read
in chunks). Otherwise the transport reads the body within its retries, so that an
answer cut off mid-body is retried like any failed attempt."""

SERVER_TROUBLE = frozenset({500, 502, 503, 504})
"""The server failed or was not reached in time: it may or may not have acted."""
RETRY_STATUSES = frozenset({408, 409}) | SERVER_TROUBLE
"""Answers worth sending an idempotent request again for (429 is always retried)."""
UNCLEAR_STATUSES = frozenset({408, 429}) | SERVER_TROUBLE
"""Answers, after the transport's own retries, that leave a row unsettled: the server
may have acted, so the row is looked up live before it is ever sent again."""


class Verdict(StrEnum):
    """What to do with an answer."""

    FINAL = "final"
    """Hand it to the caller as is."""
    RETRY = "retry"
    """Wait (backoff or Retry-After) and send again."""
    THROTTLED = "throttled"
    """A retry that first pauses the whole connection: the server said slow down."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a connection retries."""

    max_attempts: int = 6
    """Attempts in all, the first included; 1 means never retry."""
    backoff_base: float = 0.5
    """Wait after the first failed attempt, doubled after each further one."""
    backoff_cap: float = 30.0
    """No backoff wait is longer than this."""
    jitter: bool | Literal["full", "equal"] = True
    """Randomise waits so that many clients do not retry in step. True means "equal"
    (half fixed, half random: always some pause); "full" is anywhere in [0, wait]."""
    retry_statuses: frozenset[int] = RETRY_STATUSES
    """Statuses retried when the request is idempotent (429 is always retried)."""
    max_retry_after: float = 600.0
    """A Retry-After longer than this is not waited for: the response is final."""
    max_window_wait: float = 900.0
    """Where the limit is a rolling window, a throttle without Retry-After waits for the
    window to free up, as often as it takes, until the request has waited this long
    in all (three of HaloPSA's 5-minute windows); then the answer is final."""
    is_throttled: Callable[[httpx.Response], bool] | None = field(default=None, compare=False)
    """Also treat these responses like a 429 (e.g. Orange's gateway answers 403 with
    code 53). The body of an error response has been read when it is called."""
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    """Uniform in [0, 1); injectable for tests."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap cannot be negative")
        if self.max_window_wait < 0:
            raise ValueError("max_window_wait cannot be negative")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        step = min(max(attempt, 1) - 1, 64)  # 2**64 * base is past any cap
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0**step)
        mode = "equal" if self.jitter is True else self.jitter
        if mode == "full":
            return ceiling * self.rng()
        if mode == "equal":
            return ceiling / 2 + ceiling / 2 * self.rng()
        return ceiling

    def classify(
        self, answer: httpx.Response | BaseException, *, idempotent: bool = True
    ) -> Verdict:
        """`classify(answer, idempotent=..., policy=self)`."""
        return classify(answer, idempotent=idempotent, policy=self)


DEFAULT_POLICY = RetryPolicy()


def classify(
    answer: httpx.Response | BaseException,
    *,
    idempotent: bool = True,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Verdict:
    """Decide whether `answer` is final or worth another attempt.

    - 429 (or `policy.is_throttled`): THROTTLED, always: the request was not processed.
    - 500/502/503/504, 408 and 409 (`policy.retry_statuses`): RETRY when idempotent.
    - Any other status, 401 included (the auth flow deals with it): FINAL.
    - Connection never made (`ConnectError`, `ConnectTimeout`, `PoolTimeout`): RETRY,
      always: nothing reached the server.
    - Other timeouts and transport errors (`ReadTimeout`, `ReadError`,
      `RemoteProtocolError`, ...): RETRY when idempotent, as the server may have acted.
    - Configuration errors (`UnsupportedProtocol`, `LocalProtocolError`, `ProxyError`)
      and anything that is not a transport error: FINAL.
    """
    if isinstance(answer, httpx.Response):
        status = answer.status_code
        if status == 429 or (policy.is_throttled is not None and _throttled(policy, answer)):
            return Verdict.THROTTLED
        if status in policy.retry_statuses and idempotent:
            return Verdict.RETRY
        return Verdict.FINAL
    if isinstance(answer, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Verdict.RETRY
    if isinstance(answer, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.ProxyError):
        return Verdict.FINAL
    if isinstance(answer, httpx.TransportError):
        return Verdict.RETRY if idempotent else Verdict.FINAL
    return Verdict.FINAL


def _throttled(policy: RetryPolicy, response: httpx.Response) -> bool:
    assert policy.is_throttled is not None
    try:
        return policy.is_throttled(response)
    except (ValueError, KeyError, TypeError, httpx.ResponseNotRead):
        return False  # an unexpected body is not a throttle signal


def is_idempotent(request: httpx.Request) -> bool:
    """Whether `request` may be sent again after it may have reached the server."""
    return bool(request.extensions.get(IDEMPOTENT, True))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date.

    `now` is the wall clock (POSIX seconds) to measure a date against. A date in
    the past gives 0.0. Missing, negative or unreadable values give None.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT
    return max(0.0, when.timestamp() - now)


def safe_url(url: httpx.URL | str, *, keep_query: bool = False) -> str:
    """The URL to show a person: no user info, and no query unless asked (a query
    may hold an API key; a token URL's `?tenant=` helps and holds none)."""
    url = httpx.URL(url)
    if keep_query:
        return str(url.copy_with(userinfo=b"", fragment=None))
    return str(url.copy_with(userinfo=b"", query=None, fragment=None))


def connection_failed(
    exc: httpx.TransportError, url: httpx.URL | str, *, keep_query: bool = False
) -> ConnectionFailed:
    """The user-facing error for a request that could not get an answer from `url`."""
    where = safe_url(url, keep_query=keep_query)
    if isinstance(exc, httpx.TimeoutException):
        what = "timed out"
    elif isinstance(exc, httpx.ConnectError):
        what = "could not connect"
    else:
        what = "the connection failed"
    detail = str(exc).strip()
    message = f"Cannot reach {where}: {what}" + (f" ({detail})." if detail else ".")
    return ConnectionFailed(
        message,
        hint="Check base_url in rowpush.toml, your network or proxy, and that the service is up.",
    )
