"""Connect: one httpx client for a target on a connection (rate-limited, retried, scrubbed).

Every verb that talks to an API opens its client here, so connection and auth
errors always name the connection and its URL, and never carry a secret.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import httpx

from rowpush.errors import AuthFailed, ConfigError, ConnectionFailed, RowpushError, a_or_an
from rowpush.http.client import build_client
from rowpush.http.limiter import RateLimiter
from rowpush.http.rate import Rate
from rowpush.http.redact import Redactor
from rowpush.http.retry import RetryPolicy

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.targets.base import Target

__all__ = ["connect", "limiter_for"]


def limiter_for(target: Target, conn: Connection, rate: str | None = None) -> RateLimiter:
    """The rate limit of a connection: `rate` if given, else the connection's, else the
    API's default, which adapts to 429s (a rate the user chose stays as chosen)."""
    rate_text = rate or conn.rate or target.api.default_rate
    try:
        parsed = Rate.parse(rate_text)
    except ValueError as exc:
        raise ConfigError(f"Connection '{conn.name}': bad rate {rate_text!r}: {exc}") from None
    return RateLimiter(parsed, adaptive=not (rate or conn.rate))


@contextlib.asynccontextmanager
async def connect(
    target: Target,
    conn: Connection,
    *,
    rate: str | None = None,
    concurrency: int = 4,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
    limiter: RateLimiter | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client for a connection; connection and auth errors name it and its URL.

    `limiter` (from `limiter_for`) shares one rate limit between clients: a run's plan,
    sends and settling count against the same window the API counts."""
    if conn.api != target.api.name:
        raise ConfigError(
            f"Connection '{conn.name}' is {a_or_an(conn.api)} connection; "
            f"{target.name} needs {a_or_an(target.api.name)} connection."
        )
    base_url = target.api.base_url(conn)
    limiter = limiter or limiter_for(target, conn, rate)
    statuses = target.api.retry_statuses
    policy = RetryPolicy(is_throttled=target.api.is_throttled)
    if statuses is not None:
        policy = RetryPolicy(retry_statuses=statuses, is_throttled=target.api.is_throttled)
    scrub = Redactor(conn.secrets())
    client = build_client(
        base_url,
        redactor=scrub,
        auth=target.api.auth(conn),
        limiter=limiter,
        policy=policy,
        headers=target.api.headers(conn),
        verify=conn.verify,
        timeout=conn.timeout,
        max_connections=concurrency,
        transport=transport,
        on_event=on_event,
        label=target.api.description,
    )
    # an API's error text may quote what it was sent: every message leaves scrubbed
    try:
        async with client:
            yield client
    except httpx.TransportError as exc:
        raise ConnectionFailed(
            scrub(
                f"Cannot reach connection '{conn.name}' at {base_url}: {exc or type(exc).__name__}."
            ),
            hint="Check base_url in rowpush.toml and your network.",
        ) from None
    except (AuthFailed, ConnectionFailed) as exc:
        raise type(exc)(
            scrub(f"Connection '{conn.name}' ({base_url}): {exc.message}"),
            hint=scrub(exc.hint or "") or None,
        ) from None
    except RowpushError as exc:
        raise type(exc)(scrub(exc.message), hint=scrub(exc.hint or "") or None) from None
