"""The vendor's edge: rolling-window rate limit, injected faults, latency."""

from __future__ import annotations

import copy
import time

import httpx
import pytest

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.limiter import RollingWindowLimiter, retry_after_seconds
from rowpush.sandbox.options import HALO_300_PER_5_MIN, RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer

FORM = {"grant_type": "client_credentials", "scope": "all"}


@pytest.mark.parametrize(
    "options", [SandboxOptions(rate_window=RateWindow(3, 1.0), retry_after=True)]
)
def test_over_the_limit_answers_429_then_recovers_after_retry_after(
    anon: httpx.Client, server: SandboxServer
) -> None:
    opts = server.options
    form = {**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
    token = anon.post("/auth/token", data=form).json()["access_token"]  # counts: 1 of 3
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/Client", headers=headers).status_code == 200
    assert anon.get("/api/Client", headers=headers).status_code == 200
    limited = anon.get("/api/Client", headers=headers)
    assert limited.status_code == 429
    assert limited.text == "Rate Limit Reached - 3 Requests per rolling 1 second window"
    assert limited.headers["Retry-After"] == "1"
    time.sleep(int(limited.headers["Retry-After"]))
    assert anon.get("/api/Client", headers=headers).status_code == 200


def test_halo_preset_window_with_a_manual_clock() -> None:
    clock = ManualClock()
    opts = SandboxOptions(rate_window=HALO_300_PER_5_MIN, halo_clients=5, retry_after=True)
    with (
        SandboxServer(opts, clock=clock) as server,
        httpx.Client(base_url=server.url, verify=False) as client,
    ):
        for _ in range(300):
            assert client.get("/halopsa/api/authinfo").status_code == 200
        limited = client.get("/halopsa/api/authinfo")
        assert limited.status_code == 429
        assert limited.text == "Rate Limit Reached - 300 Requests per rolling 5 minute window"
        assert limited.headers["Retry-After"] == "300"
        clock.advance(120)
        assert client.get("/halopsa/api/authinfo").status_code == 429
        assert client.get("/halopsa/api/authinfo").headers["Retry-After"] == "180"
        clock.advance(180)
        assert client.get("/halopsa/api/authinfo").status_code == 200
        # The root page is not part of any API and is never limited.
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("options", [SandboxOptions(rate_limit=1.0)])
def test_a_429_carries_no_retry_after_by_default(anon: httpx.Client) -> None:
    # as real Halo is assumed to answer: its notes document no Retry-After
    assert anon.get("/api/authinfo").status_code == 200
    limited = anon.get("/api/authinfo")
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/plain")
    assert limited.text == "Rate Limit Reached - 1 Requests per rolling 1 second window"
    assert "Retry-After" not in limited.headers


def test_fail_rate_one_fails_before_touching_state(
    halo: httpx.Client, server: SandboxServer
) -> None:
    clients = server.state.halopsa.clients
    before = copy.deepcopy(clients)
    cid = next(iter(clients))
    server.options.fail_rate = 1.0
    statuses = {
        halo.post(
            "/api/Client", json=[{"id": cid, "notes": "changed"}, {"name": "New Co"}]
        ).status_code
        for _ in range(12)
    }
    assert statuses <= {500, 502, 503}
    assert len(statuses) > 1
    assert clients == before
    assert halo.post("/auth/token", data=FORM).status_code in {500, 502, 503}
    assert all("injected fault" in " ".join(e.notes) for e in server.state.requests.entries()[-13:])
    server.options.fail_rate = 0.0
    assert halo.get(f"/api/Client/{cid}").json()["notes"] == before[cid]["notes"]


def test_faults_repeat_for_the_same_seed(anon: httpx.Client, server: SandboxServer) -> None:
    def statuses() -> list[int]:
        server.state.reset()
        server.options.fail_rate = 0.5
        return [anon.get("/api/authinfo").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert 200 in first
    assert set(first) - {200}


@pytest.mark.parametrize("options", [SandboxOptions(latency_ms=150)])
def test_latency_delays_every_answer(anon: httpx.Client) -> None:
    started = time.perf_counter()
    assert anon.get("/api/authinfo").status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_limiter_does_not_count_refused_requests() -> None:
    clock = ManualClock()
    limiter = RollingWindowLimiter(clock)
    window = RateWindow(2, 10.0)
    assert limiter.admit(window) is None
    clock.advance(4)
    assert limiter.admit(window) is None
    for _ in range(5):
        assert limiter.admit(window) == pytest.approx(6.0)
    clock.advance(6)  # the first request leaves the window; refusals did not extend it
    assert limiter.admit(window) is None
    assert limiter.admit(window) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("rate", "limit", "seconds"), [(2.0, 2, 1.0), (0.5, 1, 2.0), (2.5, 2, 0.8), (1.0, 1, 1.0)]
)
def test_requests_per_second_become_a_short_window(rate: float, limit: int, seconds: float) -> None:
    window = RateWindow.per_second(rate)
    assert window.limit == limit
    assert window.seconds == pytest.approx(seconds)
    assert SandboxOptions(rate_limit=rate).window() == window


def test_rate_window_wins_over_rate_limit_and_bad_values_are_refused() -> None:
    assert (
        SandboxOptions(rate_limit=5, rate_window=HALO_300_PER_5_MIN).window() == HALO_300_PER_5_MIN
    )
    assert SandboxOptions().window() is None
    for bad in ({"rate_limit": 0.0}, {"fail_rate": 1.5}, {"latency_ms": -1}):
        with pytest.raises(ValueError, match="must"):
            SandboxOptions(**bad)
    assert retry_after_seconds(0.01) == 1
    assert retry_after_seconds(2.2) == 3
