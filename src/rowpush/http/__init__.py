"""Talking to APIs politely: clients, auth flows, rate limits and retries.

- `rate.Rate`: "300/5min" and friends, parsed.
- `limiter.RateLimiter`: never more requests than the rate allows; pauses on 429;
  with an `AdaptivePolicy`, halves its rate on throttles and wins it back slowly;
  with a rolling window (`300/5min`), says when the window frees (`window_frees_in`).
- `retry`: `RetryPolicy`, `classify` (the one place deciding retry or final),
  `parse_retry_after`, `NOT_IDEMPOTENT` for creates that must not be sent twice.
- `transport.PoliteTransport`: the limiter and retries around the real transport.
- `auth`: `ClientCredentials` (OAuth2, and `.key_pair` for key → JWT), `ApiKeyHeader`,
  `BearerToken`.
- `client.build_client`: the one place that builds an `httpx.AsyncClient`;
  `client.limiter_of` gives back its limiter.

This layer knows nothing of sheets, targets or the engine. Names are re-exported
lazily so that importing `rowpush.http.rate` does not import httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rowpush.http.auth import ApiKeyHeader, BearerToken, ClientCredentials
    from rowpush.http.client import build_client, limiter_of
    from rowpush.http.limiter import AdaptivePolicy, LimiterState, RateLimiter
    from rowpush.http.rate import Rate
    from rowpush.http.retry import (
        NOT_IDEMPOTENT,
        RetryPolicy,
        Verdict,
        classify,
        connection_failed,
        parse_retry_after,
    )
    from rowpush.http.transport import PoliteTransport, RetryEvent

__all__ = [
    "NOT_IDEMPOTENT",
    "AdaptivePolicy",
    "ApiKeyHeader",
    "BearerToken",
    "ClientCredentials",
    "LimiterState",
    "PoliteTransport",
    "Rate",
    "RateLimiter",
    "RetryEvent",
    "RetryPolicy",
    "Verdict",
    "build_client",
    "classify",
    "connection_failed",
    "limiter_of",
    "parse_retry_after",
]

_HOME = {
    "ApiKeyHeader": "auth",
    "BearerToken": "auth",
    "ClientCredentials": "auth",
    "build_client": "client",
    "limiter_of": "client",
    "AdaptivePolicy": "limiter",
    "LimiterState": "limiter",
    "RateLimiter": "limiter",
    "Rate": "rate",
    "NOT_IDEMPOTENT": "retry",
    "RetryPolicy": "retry",
    "Verdict": "retry",
    "classify": "retry",
    "connection_failed": "retry",
    "parse_retry_after": "retry",
    "PoliteTransport": "transport",
    "RetryEvent": "transport",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"rowpush.http.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
