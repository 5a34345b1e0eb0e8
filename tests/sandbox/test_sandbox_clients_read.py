"""Reading Halo clients: list envelope, paging, count, filters, order, get by id."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer


def active(server: SandboxServer) -> list[dict[str, Any]]:
    return [c for c in server.state.halopsa.clients.values() if not c["inactive"]]


def test_pages_cover_every_active_client_once(halo: httpx.Client, server: SandboxServer) -> None:
    expected = len(active(server))
    seen: list[int] = []
    page_no = 1
    while True:
        response = halo.get(
            "/api/Client", params={"pageinate": "true", "page_size": 100, "page_no": page_no}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["record_count"] == expected
        seen += [c["id"] for c in body["clients"]]
        if page_no * 100 >= body["record_count"]:
            break
        assert len(body["clients"]) == 100
        page_no += 1
    assert page_no == math.ceil(expected / 100)
    assert len(body["clients"]) == expected - (page_no - 1) * 100  # the short last page
    assert sorted(seen) == sorted(c["id"] for c in active(server))


def test_page_past_the_end_is_empty_but_counts(halo: httpx.Client) -> None:
    body = halo.get(
        "/api/Client", params={"pageinate": "true", "page_size": 50, "page_no": 99}
    ).json()
    assert body["clients"] == []
    assert body["record_count"] > 400


def test_pages_are_disjoint_and_ordered_by_name(halo: httpx.Client) -> None:
    first = halo.get(
        "/api/Client", params={"pageinate": "true", "page_size": 7, "page_no": 1}
    ).json()
    second = halo.get(
        "/api/Client", params={"pageinate": "true", "page_size": 7, "page_no": 2}
    ).json()
    names = [c["name"] for c in first["clients"] + second["clients"]]
    assert len(names) == 14
    assert len(set(names)) == 14
    assert names == sorted(names, key=str.casefold)


def test_list_without_paging_returns_50_by_default(halo: httpx.Client) -> None:
    body = halo.get("/api/Client").json()
    assert len(body["clients"]) == 50
    assert body["record_count"] > 50


def test_count_caps_rows_when_not_paging(halo: httpx.Client) -> None:
    body = halo.get("/api/Client", params={"count": 120}).json()
    assert len(body["clients"]) == 120


@pytest.mark.parametrize("options", [SandboxOptions(halo_default_count=None)])
def test_default_count_can_be_switched_off(halo: httpx.Client, server: SandboxServer) -> None:
    assert len(halo.get("/api/Client").json()["clients"]) == len(active(server))


def test_search_matches_name_substring_ignoring_case(
    halo: httpx.Client, server: SandboxServer
) -> None:
    body = halo.get("/api/Client", params={"search": "nORTHWIND", "count": 500}).json()
    expected = {c["id"] for c in active(server) if "northwind" in str(c["name"]).lower()}
    assert len(expected) >= 1
    assert {c["id"] for c in body["clients"]} == expected
    assert body["record_count"] == len(expected)


@pytest.mark.parametrize("path", ["/api/Client", "/api/client", "/API/CLIENT", "/api/Client/"])
def test_paths_match_ignoring_case(halo: httpx.Client, path: str) -> None:
    response = halo.get(path, params={"count": 1})
    assert response.status_code == 200
    assert len(response.json()["clients"]) == 1


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "1"])
def test_boolean_query_values_parse_ignoring_case(halo: httpx.Client, value: str) -> None:
    body = halo.get("/api/Client", params={"pageinate": value, "page_size": 3}).json()
    assert len(body["clients"]) == 3  # paging on: not the default 50


def test_malformed_boolean_answers_400(halo: httpx.Client) -> None:
    response = halo.get("/api/Client", params={"pageinate": "yes"})
    assert response.status_code == 400
    assert "pageinate" in response.json()["Message"]


def test_inactive_clients_are_hidden_unless_asked_for(
    halo: httpx.Client, server: SandboxServer
) -> None:
    clients = server.state.halopsa.clients.values()
    inactive = {c["id"] for c in clients if c["inactive"]}
    assert inactive
    default = halo.get("/api/Client", params={"count": 1000}).json()
    assert not inactive & {c["id"] for c in default["clients"]}
    everything = halo.get("/api/Client", params={"count": 1000, "includeinactive": "True"}).json()
    assert everything["record_count"] == len(clients)
    only = halo.get(
        "/api/Client", params={"count": 1000, "includeinactive": "1", "includeactive": "false"}
    ).json()
    assert {c["id"] for c in only["clients"]} == inactive


def test_toplevel_filter(halo: httpx.Client, server: SandboxServer) -> None:
    body = halo.get("/api/Client", params={"toplevel_id": 2, "count": 1000}).json()
    assert body["clients"]
    assert {c["toplevel_id"] for c in body["clients"]} == {2}
    assert {c["toplevel_name"] for c in body["clients"]} == {"Partners"}
    assert body["record_count"] == sum(1 for c in active(server) if c["toplevel_id"] == 2)


def test_order_and_orderdesc(halo: httpx.Client) -> None:
    ids = [
        c["id"]
        for c in halo.get("/api/Client", params={"order": "id", "count": 30}).json()["clients"]
    ]
    assert ids == sorted(ids)
    desc = halo.get("/api/Client", params={"order": "ID", "orderdesc": "true", "count": 30}).json()
    desc_ids = [c["id"] for c in desc["clients"]]
    assert desc_ids == sorted(desc_ids, reverse=True)
    assert desc_ids[0] > ids[-1]


def test_unknown_query_parameters_are_ignored_and_logged(
    halo: httpx.Client, server: SandboxServer
) -> None:
    body = halo.get("/api/Client", params={"client_name": "nobody", "count": 5}).json()
    assert len(body["clients"]) == 5  # a misspelt filter filters nothing, as in Halo
    entry = server.state.requests.entries()[-1]
    assert "query parameter 'client_name' ignored" in entry.notes


def test_list_items_are_summaries_and_get_by_id_is_full(
    halo: httpx.Client, server: SandboxServer
) -> None:
    summary = halo.get("/api/Client", params={"count": 1}).json()["clients"][0]
    assert "customfields" not in summary
    assert "prepay_tax_code" not in summary
    response = halo.get(f"/api/Client/{summary['id']}")
    assert response.status_code == 200
    record = response.json()
    assert record == server.state.halopsa.clients[summary["id"]]
    assert {k: record[k] for k in summary} == summary
    assert [f["name"] for f in record["customfields"]] == [
        "CFPONumber",
        "CFAccountManager",
        "CFRenewalDate",
    ]


@pytest.mark.parametrize("options", [SandboxOptions(halo_list_summary=False)])
def test_full_list_items_can_be_switched_on(halo: httpx.Client, server: SandboxServer) -> None:
    item = halo.get("/api/Client", params={"count": 1}).json()["clients"][0]
    assert item == server.state.halopsa.clients[item["id"]]


def test_get_unknown_id_answers_404(halo: httpx.Client, server: SandboxServer) -> None:
    missing = max(server.state.halopsa.clients) + 1000
    assert halo.get(f"/api/Client/{missing}").status_code == 404
    assert halo.get("/api/Client/not-a-number").status_code == 404


def test_seed_is_realistic_and_deterministic(server: SandboxServer) -> None:
    clients = server.state.halopsa.clients
    assert len(clients) == 500
    ids = sorted(clients)
    assert ids[0] > 1
    assert ids != list(range(ids[0], ids[0] + len(ids)))  # gaps expose id/row confusion
    again = SandboxServer(SandboxOptions()).state.halopsa.clients
    assert again == clients
    other = SandboxServer(SandboxOptions(seed=2)).state.halopsa.clients
    assert other != clients
    assert "Northwind Traders" in {c["name"] for c in clients.values()}
    for client in clients.values():
        tax = client["item_tax_code"]
        assert client["item_tax_code_name"] == (
            None
            if tax is None
            else {0: "No Tax", 1: "Standard 20%", 2: "Reduced 5%", 3: "Zero Rated", 4: "Exempt"}[
                tax
            ]
        )


@pytest.mark.parametrize("options", [SandboxOptions(halo_list_inactive_by_default=True)])
def test_inactive_clients_can_be_listed_by_default(
    halo: httpx.Client, server: SandboxServer
) -> None:
    body = halo.get("/api/Client", params={"count": 1000}).json()
    assert body["record_count"] == len(server.state.halopsa.clients)
