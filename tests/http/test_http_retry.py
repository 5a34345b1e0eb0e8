"""Retry policy: backoff bounds, Retry-After, and the one classification table."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rowpush.errors import ConnectionFailed
from rowpush.http.retry import (
    NOT_IDEMPOTENT,
    RetryPolicy,
    Verdict,
    classify,
    connection_failed,
    is_idempotent,
    parse_retry_after,
)

NOW = 1_700_000_000.0  # a wall-clock instant (POSIX seconds)


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(jitter=False)
    assert [policy.backoff(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    draw=st.floats(min_value=0, max_value=1, exclude_max=True),
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=0.1, max_value=120),
)
def test_backoff_is_capped_and_jittered_within_bounds(
    attempt: int, draw: float, base: float, cap: float
) -> None:
    ceiling = min(cap, base * 2 ** min(attempt - 1, 64))
    equal = RetryPolicy(backoff_base=base, backoff_cap=cap, rng=lambda: draw)
    assert ceiling / 2 <= equal.backoff(attempt) <= ceiling <= cap
    full = RetryPolicy(backoff_base=base, backoff_cap=cap, jitter="full", rng=lambda: draw)
    assert 0 <= full.backoff(attempt) <= ceiling


def test_backoff_jitter_uses_the_injected_rng() -> None:
    low = RetryPolicy(rng=lambda: 0.0)
    high = RetryPolicy(rng=lambda: 0.999)
    assert low.backoff(3) == 1.0  # equal jitter: half of 2 s fixed...
    assert high.backoff(3) == pytest.approx(1.999)  # ...half random
    assert RetryPolicy(jitter="full", rng=lambda: 0.25).backoff(3) == 0.5


def test_policy_refuses_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),  # already past: go now
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 99 Foo 2015", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_reads_a_date_without_zone_as_gmt() -> None:
    value = email.utils.formatdate(NOW + 60, usegmt=True).replace("GMT", "-0000")
    assert parse_retry_after(value, NOW) == 60.0


REQUEST = httpx.Request("GET", "https://api.example.com/x")


def response(status: int) -> httpx.Response:
    return httpx.Response(status, request=REQUEST)


@pytest.mark.parametrize(
    ("answer", "idempotent", "expected"),
    [
        (response(200), True, Verdict.FINAL),
        (response(201), False, Verdict.FINAL),
        (response(304), True, Verdict.FINAL),
        (response(429), True, Verdict.THROTTLED),
        (response(429), False, Verdict.THROTTLED),  # not processed: safe to resend
        (response(500), True, Verdict.RETRY),
        (response(502), True, Verdict.RETRY),
        (response(503), True, Verdict.RETRY),
        (response(504), True, Verdict.RETRY),
        (response(500), False, Verdict.FINAL),
        (response(503), False, Verdict.FINAL),
        (response(501), True, Verdict.FINAL),
        (response(408), True, Verdict.RETRY),
        (response(408), False, Verdict.FINAL),
        (response(409), True, Verdict.RETRY),
        (response(409), False, Verdict.FINAL),
        (response(400), True, Verdict.FINAL),
        (response(401), True, Verdict.FINAL),  # the auth flow's business
        (response(403), True, Verdict.FINAL),
        (response(404), True, Verdict.FINAL),
        (response(422), True, Verdict.FINAL),
        (httpx.ConnectError("refused"), True, Verdict.RETRY),
        (httpx.ConnectError("refused"), False, Verdict.RETRY),  # never reached the server
        (httpx.ConnectTimeout("slow"), False, Verdict.RETRY),
        (httpx.PoolTimeout("busy"), False, Verdict.RETRY),
        (httpx.ReadTimeout("slow"), True, Verdict.RETRY),
        (httpx.ReadTimeout("slow"), False, Verdict.FINAL),  # the server may have acted
        (httpx.WriteTimeout("slow"), False, Verdict.FINAL),
        (httpx.ReadError("reset"), True, Verdict.RETRY),
        (httpx.ReadError("reset"), False, Verdict.FINAL),
        (httpx.RemoteProtocolError("eof"), True, Verdict.RETRY),
        (httpx.RemoteProtocolError("eof"), False, Verdict.FINAL),
        (httpx.UnsupportedProtocol("ftp"), True, Verdict.FINAL),
        (httpx.LocalProtocolError("bad"), True, Verdict.FINAL),
        (ValueError("a bug"), True, Verdict.FINAL),
    ],
    ids=repr,
)
def test_classify(
    answer: httpx.Response | BaseException, idempotent: bool, expected: Verdict
) -> None:
    assert classify(answer, idempotent=idempotent) is expected


def test_classify_follows_the_policys_statuses() -> None:
    no_conflicts = RetryPolicy(retry_statuses=frozenset({500, 502, 503, 504}))
    assert no_conflicts.classify(response(409)) is Verdict.FINAL
    assert no_conflicts.classify(response(503)) is Verdict.RETRY


def test_classify_asks_the_throttle_hook_and_survives_odd_bodies() -> None:
    def code_53(r: httpx.Response) -> bool:
        return r.status_code == 403 and r.json().get("code") == 53

    policy = RetryPolicy(is_throttled=code_53)
    gateway = httpx.Response(403, json={"code": 53, "message": "Too many requests"})
    forbidden = httpx.Response(403, json={"code": 50, "message": "Access denied"})
    not_json = httpx.Response(403, text="<html>denied</html>")
    assert policy.classify(gateway, idempotent=False) is Verdict.THROTTLED
    assert policy.classify(forbidden) is Verdict.FINAL
    assert policy.classify(not_json) is Verdict.FINAL


def test_idempotency_is_read_from_the_request() -> None:
    assert is_idempotent(httpx.Request("POST", "https://a.example/x"))
    assert not is_idempotent(
        httpx.Request("POST", "https://a.example/x", extensions=NOT_IDEMPOTENT)
    )


def test_connection_failed_names_the_url_without_query_or_password() -> None:
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    error = connection_failed(exc, "https://bob:pw@api.example.com/oauth/token?key=k3y")
    assert isinstance(error, ConnectionFailed)
    assert error.exit_code == 3
    assert "https://api.example.com/oauth/token" in error.message
    assert "Name or service not known" in error.message
    assert "bob" not in str(error)
    assert "k3y" not in str(error)
    assert error.hint is not None
    assert "rowpush.toml" in error.hint
    timeout = connection_failed(httpx.ConnectTimeout(""), "https://api.example.com")
    assert "timed out" in timeout.message
