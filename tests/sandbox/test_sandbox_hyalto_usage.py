"""Hyalto: usage reports per service, filtered by period and paged; its gateway and config."""

from __future__ import annotations

import tomllib
from typing import Any

import httpx
import pytest
from sandbox_hyalto_client import TOKEN_PATH, error_of, hyalto_client, settings

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config

JANUARY = {"filter[from]": "2025-01-01 00:00:00", "filter[to]": "2025-01-31 23:59:59"}


def full_month_service(server: SandboxServer) -> int:
    """A service with usage on every day of the month (started before it)."""
    return next(
        sid
        for sid, records in server.state.hyalto.usage.items()
        if records[0]["date"] == "2025-01-01"
    )


def report(server: SandboxServer, service: int, **params: Any) -> httpx.Response:
    with hyalto_client(server) as hyalto:
        return hyalto.get(f"/reports/usage/service/{service}", params=params)


def test_a_month_of_daily_usage_per_service(server: SandboxServer) -> None:
    sid = full_month_service(server)
    body = report(server, sid, **JANUARY).json()
    account = server.state.hyalto.accounts[server.state.hyalto.owners[sid]]
    assert set(body) == {"serviceId", "from", "to", "currency", "data", "total"}
    assert (body["serviceId"], body["from"], body["to"]) == (sid, *JANUARY.values())
    assert body["currency"] == account["currency"]
    days = sorted({r["date"] for r in body["data"]})
    assert days == [f"2025-01-{d:02d}" for d in range(1, 32)]
    meters = {r["meter"] for r in body["data"]}
    assert len(body["data"]) == 31 * len(meters)
    for record in body["data"]:
        assert set(record) == {"date", "meter", "quantity", "unit", "cost"}
        assert record["quantity"] >= 0
        assert record["cost"] >= 0
    assert body["total"] == pytest.approx(sum(r["cost"] for r in body["data"]))


def test_usage_is_filtered_by_from_and_to(server: SandboxServer) -> None:
    sid = full_month_service(server)
    body = report(
        server, sid, **{"filter[from]": "2025-01-10 00:00:00", "filter[to]": "2025-01-12 23:59:59"}
    ).json()
    assert sorted({r["date"] for r in body["data"]}) == ["2025-01-10", "2025-01-11", "2025-01-12"]
    whole = report(server, sid, **JANUARY).json()
    assert body["total"] < whole["total"]
    assert body["total"] == pytest.approx(sum(r["cost"] for r in body["data"]))
    outside = report(
        server, sid, **{"filter[from]": "2024-12-01 00:00:00", "filter[to]": "2024-12-31 23:59:59"}
    )
    assert outside.json()["data"] == []
    assert outside.json()["total"] == 0


def test_a_day_matches_by_its_start_unless_overlap_is_chosen(server: SandboxServer) -> None:
    sid = full_month_service(server)
    period = {"filter[from]": "2025-01-10 12:00:00", "filter[to]": "2025-01-11 12:00:00"}
    assert {r["date"] for r in report(server, sid, **period).json()["data"]} == {"2025-01-11"}
    instant = {"filter[from]": "2025-01-12 00:00:00", "filter[to]": "2025-01-12 00:00:00"}
    assert {r["date"] for r in report(server, sid, **instant).json()["data"]} == {"2025-01-12"}
    settings(server).filter_match = "overlap"
    dates = {r["date"] for r in report(server, sid, **period).json()["data"]}
    assert dates == {"2025-01-10", "2025-01-11"}


def test_services_started_mid_month_have_usage_from_their_start(server: SandboxServer) -> None:
    state = server.state.hyalto
    late = [
        (s["id"], s["startDate"][:10])
        for services in state.services.values()
        for s in services
        if s["startDate"] > "2025-01-01"
    ]
    assert late, "the seed should have at least one service started during the month"
    for sid, start in late:
        dates = {r["date"] for r in report(server, sid, **JANUARY).json()["data"]}
        assert min(dates) == start


def test_filters_accept_unencoded_brackets_and_either_space(server: SandboxServer) -> None:
    sid = full_month_service(server)
    with hyalto_client(server) as hyalto:
        raw = f"/reports/usage/service/{sid}"
        plus = hyalto.get(raw + "?filter[from]=2025-01-05+00:00:00&filter[to]=2025-01-05+23:59:59")
        encoded = hyalto.get(
            raw
            + "?filter%5Bfrom%5D=2025-01-05%2000%3A00%3A00&filter%5Bto%5D=2025-01-05%2023%3A59%3A59"
        )
    assert plus.status_code == encoded.status_code == 200
    assert plus.json() == encoded.json()
    assert {r["date"] for r in plus.json()["data"]} == {"2025-01-05"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter[from]": "2025-01-01T00:00:00", "filter[to]": "2025-01-31 23:59:59"}, "match"),
        ({"filter[from]": "2025-01-01", "filter[to]": "2025-01-31 23:59:59"}, "match"),
        ({"filter[from]": "2025-02-30 00:00:00", "filter[to]": "2025-03-01 00:00:00"}, "match"),
        ({"filter[from]": "2025-01-31 00:00:00", "filter[to]": "2025-01-01 00:00:00"}, "after"),
        ({"filter[to]": "2025-01-31 23:59:59"}, "filter[from] is required"),
        ({}, "required"),
    ],
)
def test_bad_periods_are_400(server: SandboxServer, params: dict[str, str], message: str) -> None:
    assert message in error_of(report(server, full_month_service(server), **params), 400)


def test_filters_can_be_made_optional(server: SandboxServer) -> None:
    sid = full_month_service(server)
    settings(server).require_usage_filters = False
    body = report(server, sid).json()
    assert (body["from"], body["to"]) == (None, None)
    assert body["data"] == server.state.hyalto.usage[sid]


def test_usage_pages_to_the_end_keeping_the_filters(server: SandboxServer) -> None:
    sid = full_month_service(server)
    whole = report(server, sid, **JANUARY).json()
    pages: list[dict[str, Any]] = []
    with hyalto_client(server) as hyalto:
        page = hyalto.get(
            f"/reports/usage/service/{sid}", params={**JANUARY, "page[size]": 25}
        ).json()
        pages.append(page)
        while "next" in page["links"]:
            assert "filter%5Bfrom%5D=2025-01-01+00%3A00%3A00" in page["links"]["next"]
            page = hyalto.get(page["links"]["next"]).json()
            pages.append(page)
    assert [r for p in pages for r in p["data"]] == whole["data"]
    assert all(p["total"] == whole["total"] for p in pages)  # the report's total, every page
    assert pages[0]["meta"]["total"] == len(whole["data"])
    assert len(pages) == -(-len(whole["data"]) // 25)


def test_unknown_service_is_404(server: SandboxServer) -> None:
    assert error_of(report(server, 1, **JANUARY), 404) == "Service 1 not found"
    with hyalto_client(server) as hyalto:
        assert error_of(hyalto.get("/reports/usage"), 404) == "No route for GET /reports/usage"


def test_usage_repeats_for_a_seed(server: SandboxServer) -> None:
    before = server.state.hyalto.usage
    server.state.reset()
    assert server.state.hyalto.usage == before
    with SandboxServer(SandboxOptions(seed=7)) as other:
        assert other.state.hyalto.usage != before


def test_over_the_limit_is_a_json_429_with_retry_after() -> None:
    clock = ManualClock()
    options = SandboxOptions(rate_window=RateWindow(2, 10.0), retry_after=True)
    with SandboxServer(options, clock=clock) as server, hyalto_client(server) as hyalto:
        # The token call hyalto_client made is 1 of 2.
        assert hyalto.get("/accountManagement/accounts").status_code == 200
        limited = hyalto.get("/accountManagement/accounts")
        assert error_of(limited, 429) == "Rate limit exceeded"
        assert limited.json()["error"] == "Too Many Requests"
        assert limited.headers["Retry-After"] == "10"
        clock.advance(10)
        assert hyalto.get("/accountManagement/accounts").status_code == 200


def test_each_api_limits_on_its_own() -> None:
    clock = ManualClock()
    with SandboxServer(SandboxOptions(rate_window=RateWindow(1, 60.0)), clock=clock) as server:
        url = f"{server.url}/hyalto{TOKEN_PATH}"
        assert httpx.post(url, json={}).status_code == 400
        assert httpx.post(url, json={}).status_code == 429
        assert httpx.get(f"{server.url}/orange/cloud/b2b/v1/contracts").status_code == 401
        clock.advance(60)
        assert httpx.post(url, json={}).status_code == 400


def test_render_config_has_a_working_hyalto_connection(server: SandboxServer) -> None:
    config = tomllib.loads(render_config(server.url, server.options))
    hyalto = config["connections"]["hyalto"]
    assert hyalto == {
        "api": "hyalto",
        "base_url": f"{server.url}/hyalto",
        "access_key": settings(server).access_key,
        "secret_key": settings(server).secret_key,
    }
    assert config["connections"]["orange"]["api"] == "orange"
    token = httpx.post(
        f"{hyalto['base_url']}/accountManagement/auth/token",
        json={"accessKey": hyalto["access_key"], "secretKey": hyalto["secret_key"]},
    ).json()["accessToken"]
    accounts = httpx.get(
        f"{hyalto['base_url']}/accountManagement/accounts",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert len(accounts.json()["data"]) == 5
