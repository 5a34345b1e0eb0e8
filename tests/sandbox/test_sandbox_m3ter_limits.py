"""m3ter's edge: each host its own limiter, the published windows, faults as JSON."""

from __future__ import annotations

import httpx
import pytest
from m3ter_fixtures import fetch_m3ter_token, m3ter_opts, org_client

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.m3ter.options import (
    M3TER_CONFIG_WINDOW,
    M3TER_INGEST_WINDOW,
    M3TER_ORG_WINDOW,
    M3TER_RATE_PRESETS,
    M3terOptions,
)
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer

MEASUREMENT = {"meter": "seats", "account": "ACME-001", "ts": "2025-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    "options", [SandboxOptions(rate_window=RateWindow(3, 60.0), retry_after=True)]
)
def test_shared_window_limits_each_host_separately(server: SandboxServer) -> None:
    token = fetch_m3ter_token(server)  # 1 of 3 on the Config host
    with (
        org_client(server, token=token) as config,
        org_client(server, "m3ter-ingest", token=token) as ingest,
    ):
        assert config.get("/meters").status_code == 200
        assert config.get("/meters").status_code == 200
        limited = config.get("/meters")
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too Many Requests"}
        assert int(limited.headers["Retry-After"]) >= 1
        body = {"measurements": [MEASUREMENT]}
        statuses = [ingest.post("/measurements", json=body).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
    assert len(server.state.m3ter.measurements) == 3


def test_m3ter_windows_with_a_manual_clock() -> None:
    clock = ManualClock()
    m3ter = M3terOptions(accounts=3, config_window=RateWindow(5, 300.0))
    options = SandboxOptions(apis={"m3ter": m3ter}, retry_after=True)
    with SandboxServer(options, clock=clock) as server:
        token = fetch_m3ter_token(server)  # counts on the Config host
        with (
            org_client(server, token=token) as config,
            org_client(server, "m3ter-ingest", token=token) as ingest,
        ):
            assert [config.get("/meters").status_code for _ in range(5)] == [200] * 4 + [429]
            limited = config.get("/meters")
            assert limited.headers["Retry-After"] == "300"
            assert limited.json() == {"message": "Too Many Requests"}
            body = {"measurements": [MEASUREMENT]}
            assert ingest.post("/measurements", json=body).status_code == 200  # other host
            clock.advance(300)
            assert config.get("/meters").status_code == 200
            assert "rate limited" in server.state.requests.entries("m3ter")[-3].notes[0]


def test_org_window_allows_50_per_second() -> None:
    clock = ManualClock()
    m3ter = M3terOptions(accounts=3, org_window=M3TER_ORG_WINDOW)
    with (
        SandboxServer(SandboxOptions(apis={"m3ter": m3ter}), clock=clock) as server,
        org_client(server) as config,  # the token call names no organisation
    ):
        assert all(config.get("/products").status_code == 200 for _ in range(50))
        assert config.get("/products").status_code == 429
        clock.advance(1)
        assert config.get("/products").status_code == 200


def test_published_presets() -> None:
    assert (M3TER_CONFIG_WINDOW.limit, M3TER_CONFIG_WINDOW.seconds) == (20_000, 300.0)
    assert (M3TER_INGEST_WINDOW.limit, M3TER_INGEST_WINDOW.seconds) == (5_000, 300.0)
    assert M3TER_RATE_PRESETS["m3ter-ingest"] is M3TER_INGEST_WINDOW
    opts = M3terOptions().with_published_limits()
    assert (opts.config_window, opts.ingest_window, opts.org_window) == (
        M3TER_CONFIG_WINDOW,
        M3TER_INGEST_WINDOW,
        M3TER_ORG_WINDOW,
    )


def test_injected_faults_are_json_and_never_store(server: SandboxServer) -> None:
    token = fetch_m3ter_token(server)
    server.options.fail_rate = 1.0
    with org_client(server, "m3ter-ingest", token=token) as ingest:
        for _ in range(6):
            response = ingest.post("/measurements", json={"measurements": [MEASUREMENT]})
            assert response.status_code in (500, 502, 503)
            assert set(response.json()) == {"message"}
    assert server.state.m3ter.measurements == []


def test_retry_after_follows_the_shared_switch(server: SandboxServer) -> None:
    m3ter_opts(server).config_window = RateWindow(1, 60.0)
    assert m3ter_opts(server).config_window is not None
    url = f"{server.url}/m3ter/oauth/token"
    assert httpx.post(url).status_code == 401  # admitted, refused by the endpoint
    limited = httpx.post(url)
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers  # off by default: m3ter documents none
    server.options.retry_after = True
    assert int(httpx.post(url).headers["Retry-After"]) >= 1
