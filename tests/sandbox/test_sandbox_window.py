"""HaloPSA's limit as the real one is assumed to be: a rolling window (300 per 5 min when
limits are on), a plain-text 429 without Retry-After unless switched on."""

from __future__ import annotations

import httpx
import pytest

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import HALO_700_PER_5_MIN, RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer

HALO_TEXT = "Rate Limit Reached - 300 Requests per rolling 5 minute window"


def authinfo(client: httpx.Client, n: int) -> list[int]:
    """Statuses of `n` requests to Halo's /api/authinfo (limited like any request)."""
    return [client.get("/halopsa/api/authinfo").status_code for _ in range(n)]


def test_vendor_limits_give_halo_its_rolling_window_and_a_real_429() -> None:
    clock = ManualClock()
    options = SandboxOptions(vendor_limits=True, halo_clients=5)
    with (
        SandboxServer(options, clock=clock) as server,
        httpx.Client(base_url=server.url, timeout=5) as client,
    ):
        assert authinfo(client, 150) == [200] * 150  # a burst at full speed
        clock.advance(100)
        assert authinfo(client, 150) == [200] * 150
        limited = client.get("/halopsa/api/authinfo")
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("text/plain")
        assert limited.text == HALO_TEXT
        assert "Retry-After" not in limited.headers  # not documented: not sent
        clock.advance(199.9)
        assert authinfo(client, 1) == [429]  # rolling: the first 150 are still in it
        clock.advance(0.1)
        assert authinfo(client, 151) == [200] * 150 + [429]  # only they have left
        # Halo's window is Halo's: the other APIs are not limited by it
        assert client.get("/hyalto/accountManagement/accounts").status_code == 401


def test_halo_rate_window_chooses_the_published_figure() -> None:
    clock = ManualClock()
    options = SandboxOptions(vendor_limits=True, halo_rate_window=HALO_700_PER_5_MIN)
    with (
        SandboxServer(options, clock=clock) as server,
        httpx.Client(base_url=server.url, timeout=5) as client,
    ):
        assert authinfo(client, 701) == [200] * 700 + [429]
        assert client.get("/halopsa/api/authinfo").text == (
            "Rate Limit Reached - 700 Requests per rolling 5 minute window"
        )


def test_a_shared_window_wins_over_halos_own() -> None:
    options = SandboxOptions(vendor_limits=True, rate_window=RateWindow(2, 60.0))
    with SandboxServer(options) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        assert authinfo(client, 3) == [200, 200, 429]


def test_no_limit_without_the_switch() -> None:
    options = SandboxOptions(halo_clients=5)
    with SandboxServer(options) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        assert set(authinfo(client, 320)) == {200}


@pytest.mark.parametrize(("on", "header"), [(False, None), (True, "300")])
def test_retry_after_is_sent_only_when_switched_on(on: bool, header: str | None) -> None:
    clock = ManualClock()
    options = SandboxOptions(vendor_limits=True, retry_after=on, halo_clients=5)
    with (
        SandboxServer(options, clock=clock) as server,
        httpx.Client(base_url=server.url, timeout=5) as client,
    ):
        authinfo(client, 300)
        limited = client.get("/halopsa/api/authinfo")
    assert limited.status_code == 429
    assert limited.text == HALO_TEXT
    assert limited.headers.get("Retry-After") == header
