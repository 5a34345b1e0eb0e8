"""Hyalto's unconfirmed shapes as switches: lists in ``{"data"}`` or bare, names and kinds
where the notes or the public client put them, the JWT after ``Bearer`` or bare. The
defaults are the notes'; each switch gives the other reading."""

from __future__ import annotations

import httpx
from sandbox_hyalto_client import base_url, error_of, fetch_token, hyalto_client, settings

from rowpush.sandbox.server import SandboxServer

ACCOUNTS = "/accountManagement/accounts"
JANUARY = {"filter[from]": "2025-01-01 00:00:00", "filter[to]": "2025-01-31 23:59:59"}


def test_the_defaults_are_the_notes_shapes(server: SandboxServer) -> None:
    with hyalto_client(server) as hyalto:
        accounts = hyalto.get(ACCOUNTS).json()
        first = accounts["data"][0]
        services = hyalto.get(f"/serviceOfferings/accounts/{first['id']}/services/").json()
    assert "name" in first
    assert "companyName" not in first
    assert all("serviceType" in s and "metaData" not in s for s in services["data"])


def test_bare_lists_carry_the_same_records(server: SandboxServer) -> None:
    with hyalto_client(server) as hyalto:
        enveloped = hyalto.get(ACCOUNTS).json()["data"]
        account = enveloped[0]["id"]
        services = hyalto.get(f"/serviceOfferings/accounts/{account}/services/").json()["data"]
        service = services[0]["id"]
        report = hyalto.get(f"/reports/usage/service/{service}", params=JANUARY).json()
        settings(server).list_shape = "bare"
        assert hyalto.get(ACCOUNTS).json() == enveloped
        assert hyalto.get(ACCOUNTS, params={"page[size]": 1}).json() == enveloped  # not paged
        bare_services = hyalto.get(f"/serviceOfferings/accounts/{account}/services/").json()
        bare_report = hyalto.get(f"/reports/usage/service/{service}", params=JANUARY).json()
    assert bare_services == services
    assert isinstance(bare_report, list)
    assert bare_report == [{**r, "currency": report["currency"]} for r in report["data"]]


def test_client_fields_put_the_name_and_the_kind_elsewhere(server: SandboxServer) -> None:
    settings(server).record_fields = "client"
    state = server.state.hyalto
    with hyalto_client(server) as hyalto:
        accounts = hyalto.get(ACCOUNTS).json()["data"]
        account = accounts[0]["id"]
        services = hyalto.get(f"/serviceOfferings/accounts/{account}/services/").json()["data"]
    assert [a["companyName"] for a in accounts] == [a["name"] for a in state.accounts.values()]
    assert all("name" not in a for a in accounts)
    assert [s["metaData"] for s in services] == [
        {"type": s["serviceType"]} for s in state.services[account]
    ]
    assert all("serviceType" not in s for s in services)
    assert [s["name"] for s in services] == [s["name"] for s in state.services[account]]


def test_the_token_scheme_is_a_switch(server: SandboxServer) -> None:
    token = fetch_token(server)
    url = base_url(server) + ACCOUNTS
    bearer = {"Authorization": f"Bearer {token}"}
    bare = {"Authorization": token}
    assert httpx.get(url, headers=bearer).status_code == 200
    assert error_of(httpx.get(url, headers=bare), 401) == "Missing bearer token"
    settings(server).token_scheme = "bare"
    assert httpx.get(url, headers=bare).status_code == 200
    assert error_of(httpx.get(url, headers=bearer), 401) == "Missing bearer token"
    settings(server).token_scheme = "either"
    assert httpx.get(url, headers=bare).status_code == 200
    assert httpx.get(url, headers=bearer).status_code == 200
    assert error_of(httpx.get(url, headers={"Authorization": "Bearer"}), 401) == (
        "Missing bearer token"
    )
