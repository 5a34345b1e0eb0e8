"""m3ter lists: pageSize bounds, opaque nextToken until the last page, array filters."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from m3ter_fixtures import m3ter_opts, org_client

from rowpush.sandbox.server import SandboxServer


@pytest.fixture
def config(server: SandboxServer) -> Iterator[httpx.Client]:
    with org_client(server) as client:
        yield client


def test_meters_page_with_next_token_until_the_end(
    config: httpx.Client, server: SandboxServer
) -> None:
    seen: list[str] = []
    pages = 0
    params: dict[str, str] = {"pageSize": "3"}
    while True:
        response = config.get("/meters", params=params)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert len(body["data"]) <= 3
        seen += [meter["id"] for meter in body["data"]]
        if "nextToken" not in body:
            break
        assert body["nextToken"]
        params = {"pageSize": "3", "nextToken": body["nextToken"]}
    assert pages == 3  # 8 meters: 3 + 3 + 2
    assert seen == list(server.state.m3ter.meters)


def test_last_page_that_is_exactly_full_has_no_next_token(config: httpx.Client) -> None:
    body = config.get("/meters", params={"pageSize": "8"}).json()
    assert len(body["data"]) == 8
    assert "nextToken" not in body


def test_default_page_size_is_ten(config: httpx.Client) -> None:
    body = config.get("/accounts").json()
    assert len(body["data"]) == 10
    assert "nextToken" in body


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten", "2.5"])
def test_page_size_out_of_range_is_400(config: httpx.Client, size: str) -> None:
    response = config.get("/meters", params={"pageSize": size})
    assert response.status_code == 400
    assert "pageSize" in response.json()["message"]


def test_page_size_100_is_the_top(config: httpx.Client) -> None:
    assert len(config.get("/accounts", params={"pageSize": "100"}).json()["data"]) == 40


@pytest.mark.parametrize("token", ["garbage!", "eyJzIjoiYWNjb3VudHMiLCJvIjozfQ"])
def test_malformed_or_foreign_next_token_is_400(config: httpx.Client, token: str) -> None:
    # The second is a valid token for the accounts list, replayed on meters.
    response = config.get("/meters", params={"nextToken": token})
    assert response.status_code == 400


def test_codes_filter_comma_joined_and_repeated(config: httpx.Client) -> None:
    comma = config.get("/meters", params={"codes": "api_calls,storage_gb"}).json()["data"]
    repeated = config.get(
        "/meters", params=[("codes", "api_calls"), ("codes", "storage_gb")]
    ).json()["data"]
    assert {m["code"] for m in comma} == {"api_calls", "storage_gb"}
    assert repeated == comma


def test_repeated_filters_switch_keeps_only_the_last(
    config: httpx.Client, server: SandboxServer
) -> None:
    m3ter_opts(server).repeated_filters = False
    data = config.get("/meters", params=[("codes", "api_calls"), ("codes", "seats")]).json()
    assert [m["code"] for m in data["data"]] == ["seats"]


def test_ids_and_product_filters(config: httpx.Client, server: SandboxServer) -> None:
    state = server.state.m3ter
    storage = next(p["id"] for p in state.products.values() if p["code"] == "storage")
    by_product = config.get("/meters", params={"productId": storage}).json()["data"]
    assert {m["code"] for m in by_product} == {"storage_gb", "egress_gb"}
    ids = [a["id"] for a in list(state.accounts.values())[:2]]
    by_id = config.get("/accounts", params={"ids": ",".join(ids)}).json()["data"]
    assert [a["id"] for a in by_id] == ids
    by_code = config.get("/accounts", params={"codes": "ACME-001"}).json()["data"]
    assert [a["name"] for a in by_code] == ["Acme Ltd"]


def test_unknown_parameters_are_ignored_and_noted(
    config: httpx.Client, server: SandboxServer
) -> None:
    data = config.get("/meters", params={"code": "api_calls"}).json()["data"]
    assert len(data) == 8  # a misspelt filter filters nothing
    assert "query parameter 'code' ignored" in server.state.requests.entries("m3ter")[-1].notes


def test_get_by_id_and_unknown_paths(config: httpx.Client, server: SandboxServer) -> None:
    meter_id, meter = next(iter(server.state.m3ter.meters.items()))
    assert config.get(f"/meters/{meter_id}").json() == meter
    missing = config.get("/meters/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert "not found" in missing.json()["message"]
    assert config.get("/meters/").status_code == 404
    assert config.get("/plans").status_code == 404
    assert config.patch(f"/meters/{meter_id}", json={}).status_code == 405
