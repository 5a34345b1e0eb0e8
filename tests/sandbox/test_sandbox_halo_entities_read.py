"""Reading Halo sites, users and assets: seeds tied to the clients, paging, filters, get."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import httpx
import pytest

from rowpush.sandbox.clock import monotonic
from rowpush.sandbox.halopsa.options import HaloEntityOptions
from rowpush.sandbox.halopsa.sites import SITE_SUMMARY
from rowpush.sandbox.halopsa.state import HaloState
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer

# (path, envelope, HaloState attribute)
KINDS = [("Site", "sites", "sites"), ("Users", "users", "users"), ("Asset", "assets", "assets")]


def records(server: SandboxServer, attribute: str) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = getattr(server.state.halopsa, attribute)
    return found


def test_seeds_hang_off_the_seeded_clients(server: SandboxServer) -> None:
    halo = server.state.halopsa
    clients, sites, users, assets = halo.clients, halo.sites, halo.users, halo.assets
    sites_per = Counter(s["client_id"] for s in sites.values())
    users_per = Counter(u["client_id"] for u in users.values())
    assets_per = Counter(a["client_id"] for a in assets.values())
    assert set(sites_per) == set(users_per) == set(clients)
    assert set(sites_per.values()) == {1, 2, 3}
    assert set(users_per.values()) == {1, 2, 3, 4, 5}
    assert {assets_per[c] for c in clients} == {0, 1, 2, 3, 4, 5, 6}
    for cid, client in clients.items():
        main = sites[client["main_site_id"]]
        assert (main["client_id"], main["inactive"]) == (cid, False)
    for record in [*users.values(), *assets.values()]:
        site = sites[record["site_id"]]
        assert site["client_id"] == record["client_id"]
        assert record["site_name"] == site["name"]
        assert record["client_name"] == clients[record["client_id"]]["name"]
    assert min(users) > 1000
    assert min(assets) > 5000
    assert sorted(users) != list(range(min(users), min(users) + len(users)))  # ids skip


def test_seeds_are_the_same_whatever_is_touched_first() -> None:
    fresh = HaloState.seeded(SandboxOptions(halo_clients=30), monotonic)
    touched = HaloState.seeded(SandboxOptions(halo_clients=30), monotonic)
    new_client = touched.collection("client").upsert(
        [{"name": "Zzz Late Co"}], touched.options, lambda _: None
    )[0]
    assert touched.sites.pop(new_client["main_site_id"])["name"] == "Main"
    assert touched.sites == fresh.sites
    assert touched.users == fresh.users
    assert touched.assets == fresh.assets


@pytest.mark.parametrize(
    "options",
    [
        SandboxOptions(
            halo_clients=40,
            apis={"halopsa": HaloEntityOptions(sites_per_client=(2, 2), assets_per_client=(0, 0))},
        )
    ],
)
def test_seed_counts_are_options(server: SandboxServer) -> None:
    assert len(server.state.halopsa.sites) == 80
    assert server.state.halopsa.assets == {}


@pytest.mark.parametrize(("path", "envelope", "attribute"), KINDS)
def test_pages_cover_every_active_record_once(
    halo: httpx.Client, server: SandboxServer, path: str, envelope: str, attribute: str
) -> None:
    active = {i for i, r in records(server, attribute).items() if not r["inactive"]}
    inactive = set(records(server, attribute)) - active
    assert active
    assert inactive  # every kind seeds some, so the default filter is tested
    seen: list[int] = []
    page_no = 1
    while True:
        body = halo.get(
            f"/api/{path}", params={"pageinate": "true", "page_size": 100, "page_no": page_no}
        ).json()
        assert body["record_count"] == len(active)
        seen += [r["id"] for r in body[envelope]]
        if page_no * 100 >= body["record_count"]:
            break
        assert len(body[envelope]) == 100
        page_no += 1
    assert page_no == math.ceil(len(active) / 100)
    assert sorted(seen) == sorted(active)


@pytest.mark.parametrize(("path", "envelope", "attribute"), KINDS)
def test_inactive_filters(
    halo: httpx.Client, server: SandboxServer, path: str, envelope: str, attribute: str
) -> None:
    inactive = {i for i, r in records(server, attribute).items() if r["inactive"]}
    only_inactive = halo.get(
        f"/api/{path}",
        params={"includeinactive": "True", "includeactive": "false", "count": 10_000},
    ).json()
    assert {r["id"] for r in only_inactive[envelope]} == inactive
    everything = halo.get(f"/api/{path}", params={"includeinactive": "1"}).json()
    assert everything["record_count"] == len(records(server, attribute))
    assert len(everything[envelope]) == 50  # the default count without paging


@pytest.mark.parametrize(("path", "envelope", "attribute"), KINDS)
def test_client_id_filter(
    halo: httpx.Client, server: SandboxServer, path: str, envelope: str, attribute: str
) -> None:
    counts = Counter(r["client_id"] for r in records(server, attribute).values())
    client_id, expected = counts.most_common(1)[0]
    body = halo.get(f"/api/{path}", params={"client_id": client_id, "includeinactive": "true"})
    listed = body.json()[envelope]
    assert body.json()["record_count"] == expected == len(listed)
    assert {r["client_id"] for r in listed} == {client_id}


def test_users_by_site_and_assets_by_type(halo: httpx.Client, server: SandboxServer) -> None:
    user = next(iter(server.state.halopsa.users.values()))
    by_site = halo.get(
        "/api/Users", params={"site_id": user["site_id"], "includeinactive": "true"}
    ).json()["users"]
    assert user["id"] in {u["id"] for u in by_site}
    assert {u["site_id"] for u in by_site} == {user["site_id"]}
    printers = halo.get("/api/Asset", params={"assettype_id": 4, "count": 10_000}).json()
    assert printers["record_count"] > 0
    assert {a["assettype_name"] for a in printers["assets"]} == {"Printer"}


def test_search_users_by_email(halo: httpx.Client, server: SandboxServer) -> None:
    user = next(u for u in server.state.halopsa.users.values() if u["emailaddress"])
    domain = user["emailaddress"].split("@")[1]
    found = halo.get(
        "/api/Users", params={"search": domain.upper(), "includeinactive": "true"}
    ).json()["users"]
    assert user["id"] in {u["id"] for u in found}
    assert all(domain in (u["emailaddress"] or "") or domain in u["name"].lower() for u in found)


def test_lists_give_summaries_and_get_gives_everything(
    halo: httpx.Client, server: SandboxServer
) -> None:
    listed = halo.get("/api/Site", params={"count": 1}).json()["sites"][0]
    assert tuple(listed) == SITE_SUMMARY
    full = halo.get(f"/api/Site/{listed['id']}").json()
    assert full == server.state.halopsa.sites[listed["id"]]
    assert set(full["delivery_address"]) == {"line1", "line2", "line3", "line4", "postcode"}
    assert full["customfields"][0]["name"] == "CFSiteCode"
    asset = halo.get(f"/api/asset/{next(iter(server.state.halopsa.assets))}/").json()
    assert {"key_field2", "customfields", "assettype_name"} <= set(asset)


@pytest.mark.parametrize(
    ("path", "name"), [("Site", "Site"), ("Users", "User"), ("Asset", "Asset")]
)
def test_unknown_id_answers_404(halo: httpx.Client, path: str, name: str) -> None:
    response = halo.get(f"/api/{path}/999999")
    assert response.status_code == 404
    assert response.json()["Message"] == f"{name} 999999 not found."


def test_renaming_a_client_shows_on_its_sites_users_and_assets(
    halo: httpx.Client, server: SandboxServer
) -> None:
    asset = next(a for a in server.state.halopsa.assets.values() if not a["inactive"])
    cid = asset["client_id"]
    assert halo.post("/api/Client", json=[{"id": cid, "name": "Renamed Ltd"}]).status_code == 201
    sites = halo.get("/api/Site", params={"client_id": cid}).json()["sites"]
    assert {s["client_name"] for s in sites} == {"Renamed Ltd"}
    assert halo.get(f"/api/Asset/{asset['id']}").json()["client_name"] == "Renamed Ltd"
    users = halo.get("/api/Users", params={"client_id": cid, "includeinactive": "true"}).json()
    assert {u["client_name"] for u in users["users"]} == {"Renamed Ltd"}


@pytest.mark.parametrize(
    ("scope", "readable"),
    [
        ("read:customers", {"Site", "Users"}),
        ("read:assets", {"Asset"}),
        ("edit:assets", {"Asset"}),
        ("all", {"Site", "Users", "Asset"}),
    ],
)
def test_scopes_guard_each_kind(
    anon: httpx.Client, token_for: Any, scope: str, readable: set[str]
) -> None:
    headers = {"Authorization": f"Bearer {token_for(scope)}"}
    statuses = {path: anon.get(f"/api/{path}", headers=headers).status_code for path, *_ in KINDS}
    assert statuses == {path: 200 if path in readable else 403 for path, *_ in KINDS}


def test_pages_follow_a_rename_made_between_two_of_them(
    halo: httpx.Client, server: SandboxServer
) -> None:
    # the order a list was sorted in is kept between pages, but only while the records
    # it was sorted on are as they were
    def names(page_no: int) -> list[str]:
        params = {"pageinate": "true", "page_size": 5, "page_no": page_no}
        return [r["name"] for r in halo.get("/api/Site", params=params).json()["sites"]]

    first = names(1)
    assert first == sorted(first, key=str.casefold)
    sites = records(server, "sites")
    last = max((s for s in sites.values() if not s["inactive"]), key=lambda s: s["name"])
    last["name"] = "  aaa first now"  # behind the API's back
    assert names(1)[0] == "  aaa first now"
    assert names(1)[1:] == first[:4]
