"""Hyalto: accounts and their services, whole lists or JSON:API-style pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_hyalto_client import error_of, hyalto_client, settings

from rowpush.sandbox.server import SandboxServer


def walk(client: httpx.Client, path: str, size: int) -> list[dict[str, Any]]:
    """Every item, following ``links.next`` from page 1."""
    page = client.get(path, params={"page[size]": size}).json()
    items, pages = list(page["data"]), 1
    while "next" in page["links"]:
        page = client.get(page["links"]["next"]).json()
        items += page["data"]
        pages += 1
    assert pages == page["meta"]["page"]["last"]
    return items


def test_accounts_come_whole_without_page_parameters(server: SandboxServer) -> None:
    with hyalto_client(server) as hyalto:
        body = hyalto.get("/accountManagement/accounts").json()
    assert set(body) == {"data"}
    accounts = body["data"]
    assert len(accounts) == 5
    assert accounts == list(server.state.hyalto.accounts.values())
    for account in accounts:
        assert set(account) == {"id", "name", "status", "currency"}
        assert isinstance(account["id"], int)
        assert account["status"] in {"active", "suspended"}
    assert len({a["id"] for a in accounts}) == 5


def test_accounts_page_to_the_end(server: SandboxServer) -> None:
    with hyalto_client(server) as hyalto:
        whole = hyalto.get("/accountManagement/accounts").json()["data"]
        assert walk(hyalto, "/accountManagement/accounts", 2) == whole
        second = hyalto.get(
            "/accountManagement/accounts", params={"page[number]": 2, "page[size]": 2}
        ).json()
        past = hyalto.get("/accountManagement/accounts", params={"page[number]": 9}).json()
    assert second["data"] == whole[2:4]
    assert second["meta"] == {"total": 5, "page": {"number": 2, "size": 2, "last": 3}}
    assert set(second["links"]) == {"self", "first", "last", "prev", "next"}
    assert "page%5Bnumber%5D=1" in second["links"]["prev"]
    assert past["data"] == []
    assert "next" not in past["links"]
    assert past["meta"]["page"]["size"] == 20


@pytest.mark.parametrize(
    "params",
    [{"page[size]": 0}, {"page[size]": 101}, {"page[size]": "ten"}, {"page[number]": 0}],
)
def test_bad_page_parameters_are_400(server: SandboxServer, params: dict[str, object]) -> None:
    with hyalto_client(server) as hyalto:
        assert "page[" in error_of(hyalto.get("/accountManagement/accounts", params=params), 400)


def test_paging_can_be_off_or_on_by_default(server: SandboxServer) -> None:
    with hyalto_client(server) as hyalto:
        settings(server).paging = False
        body = hyalto.get("/accountManagement/accounts", params={"page[size]": 2}).json()
        assert set(body) == {"data"}
        assert len(body["data"]) == 5
        assert "page parameters ignored: paging is off" in server.state.requests[-1].notes
        settings(server).paging = True
        settings(server).page_by_default = True
        settings(server).default_page_size = 3
        paged = hyalto.get("/accountManagement/accounts").json()
    assert len(paged["data"]) == 3
    assert paged["meta"]["page"]["last"] == 2


def test_services_of_an_account(server: SandboxServer) -> None:
    state = server.state.hyalto
    account = next(iter(state.accounts))
    with hyalto_client(server) as hyalto:
        with_slash = hyalto.get(f"/serviceOfferings/accounts/{account}/services/")
        without = hyalto.get(f"/serviceOfferings/accounts/{account}/services")
        assert with_slash.status_code == 200
        assert with_slash.json() == without.json()
        services = with_slash.json()["data"]
        assert services == state.services[account]
        assert 2 <= len(services) <= 4
        for service in services:
            assert set(service) == {"id", "name", "serviceType", "status", "startDate"}
            assert isinstance(service["id"], int)
        assert error_of(hyalto.get("/serviceOfferings/accounts/1/services/"), 404) == (
            "Account 1 not found"
        )
        error_of(hyalto.get("/serviceOfferings/accounts/acme/services/"), 404)
        settings(server).strict_trailing_slash = True
        error_of(hyalto.get(f"/serviceOfferings/accounts/{account}/services"), 404)
        assert hyalto.get(f"/serviceOfferings/accounts/{account}/services/").status_code == 200


def test_every_account_has_two_to_four_services(server: SandboxServer) -> None:
    state = server.state.hyalto
    assert all(2 <= len(services) <= 4 for services in state.services.values())
    ids = [s["id"] for services in state.services.values() for s in services]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(state.usage) == set(state.owners)
