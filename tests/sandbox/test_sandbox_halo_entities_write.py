"""Writing Halo sites, users and assets: array upsert, references checked, site and client
kept consistent, nothing written when one object is refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from rowpush.sandbox.halopsa.options import HaloEntityOptions
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer


def entity_options(**fields: Any) -> SandboxOptions:
    return SandboxOptions(halo_clients=20, apis={"halopsa": HaloEntityOptions(**fields)})


def two_clients_with_sites(server: SandboxServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two active clients, each with at least two sites."""
    halo = server.state.halopsa
    found = []
    for cid, client in halo.clients.items():
        sites = [s for s in halo.sites.values() if s["client_id"] == cid]
        if not client["inactive"] and len(sites) >= 2:
            found.append(client)
        if len(found) == 2:
            return found[0], found[1]
    raise AssertionError("the seed has no two such clients")


def other_site(server: SandboxServer, client: dict[str, Any]) -> dict[str, Any]:
    return next(
        s
        for s in server.state.halopsa.sites.values()
        if s["client_id"] == client["id"] and s["id"] != client["main_site_id"]
    )


def snapshot(server: SandboxServer) -> str:
    """Every record of the tenant, as text (much faster to take than a deep copy)."""
    halo = server.state.halopsa
    return json.dumps([halo.clients, halo.sites, halo.users, halo.assets], sort_keys=True)


# Sites


def test_site_create_and_update_in_one_array(halo: httpx.Client, server: SandboxServer) -> None:
    client, _ = two_clients_with_sites(server)
    sites = server.state.halopsa.sites
    main = sites[client["main_site_id"]]
    before = copy.deepcopy(main)
    body = [
        {"client_id": client["id"], "name": "Leeds Office", "phonenumber": "+44 113 496 0000"},
        {"id": main["id"], "phonenumber": "+44 113 000 0000"},
    ]
    response = halo.post("/api/Site", json=body)
    assert response.status_code == 201
    created, updated = response.json()
    assert created["id"] > max(i for i in sites if i != created["id"])
    assert (created["client_id"], created["client_name"]) == (client["id"], client["name"])
    assert created["inactive"] is False
    assert sites[created["id"]]["name"] == "Leeds Office"
    assert updated == {**before, "phonenumber": "+44 113 000 0000"}
    assert halo.get(f"/api/Site/{main['id']}").json() == updated


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"client_id": 999999, "name": "Nowhere"}], "Client 999999 does not exist."),
        ([{"name": "No Client"}], "Site object 1: Site client_id is required."),
        ([{"client_id": "12", "name": "Text Id"}], "expected a whole number"),
        ([{"client_id": None, "name": "Null Client"}], "client_id cannot be null"),
    ],
)
def test_site_references_are_checked(
    halo: httpx.Client, server: SandboxServer, body: list[dict[str, Any]], message: str
) -> None:
    before = snapshot(server)
    response = halo.post("/api/Site", json=body)
    assert response.status_code == 400
    assert response.json()["ClassName"] == "System.Exception"
    assert message in response.json()["Message"]
    assert snapshot(server) == before


def test_one_bad_object_writes_nothing(halo: httpx.Client, server: SandboxServer) -> None:
    client, _ = two_clients_with_sites(server)
    before = snapshot(server)
    body = [
        {"client_id": client["id"], "name": "Fine Site"},
        {"id": client["main_site_id"], "notes": "fine too"},
        {"client_id": 999999, "name": "Bad Site"},
    ]
    response = halo.post("/api/Site", json=body)
    assert response.status_code == 400
    assert response.json()["Message"] == "Client 999999 does not exist."
    assert snapshot(server) == before


def test_a_site_cannot_move_to_another_client(halo: httpx.Client, server: SandboxServer) -> None:
    first, second = two_clients_with_sites(server)
    response = halo.post(
        "/api/Site", json=[{"id": first["main_site_id"], "client_id": second["id"]}]
    )
    assert response.status_code == 400
    assert "cannot be moved" in response.json()["Message"]
    same = halo.post("/api/Site", json=[{"id": first["main_site_id"], "client_id": first["id"]}])
    assert same.status_code == 201


def test_address_keys_sent_change_the_others_stay(
    halo: httpx.Client, server: SandboxServer
) -> None:
    client, _ = two_clients_with_sites(server)
    site_id = client["main_site_id"]
    before = copy.deepcopy(server.state.halopsa.sites[site_id]["delivery_address"])
    body = [{"id": site_id, "delivery_address": {"Line2": "Unit 4", "country": "UK"}}]
    response = halo.post("/api/Site", json=body)
    assert response.status_code == 201
    assert response.json()["delivery_address"] == {**before, "line2": "Unit 4"}
    notes = server.state.requests.entries()[-1].notes
    assert "Site object 1: unknown key 'country' of delivery_address ignored" in notes
    bad = halo.post("/api/Site", json=[{"id": site_id, "invoice_address": {"line1": 5}}])
    assert bad.status_code == 400
    assert "invoice_address.line1" in bad.json()["Message"]


@pytest.mark.parametrize("options", [entity_options(address_merge=False)])
def test_address_can_be_replaced_whole(halo: httpx.Client, server: SandboxServer) -> None:
    site_id = next(iter(server.state.halopsa.clients.values()))["main_site_id"]
    response = halo.post(
        "/api/Site", json=[{"id": site_id, "delivery_address": {"line1": "1 A St"}}]
    )
    assert response.json()["delivery_address"] == {
        "line1": "1 A St",
        "line2": None,
        "line3": None,
        "line4": None,
        "postcode": None,
    }


# Users


def test_user_created_on_a_site_takes_the_site_client(
    halo: httpx.Client, server: SandboxServer
) -> None:
    client, _ = two_clients_with_sites(server)
    site = other_site(server, client)
    response = halo.post("/api/Users", json=[{"firstname": "Zoë", "site_id": site["id"]}])
    assert response.status_code == 201
    user = response.json()
    assert (user["client_id"], user["site_id"], user["site_name"]) == (
        client["id"],
        site["id"],
        site["name"],
    )
    assert user["name"] == "Zoë"  # from the parts
    assert user["surname"] is None
    assert server.state.halopsa.users[user["id"]] == user
    assert f"client_id {client['id']} taken from site {site['id']}" in " ".join(
        server.state.requests.entries()[-1].notes
    )


def test_user_created_for_a_client_lands_on_its_main_site(
    halo: httpx.Client, server: SandboxServer
) -> None:
    client, _ = two_clients_with_sites(server)
    body = [{"firstname": "Ana", "surname": "Ng", "client_id": client["id"], "name": ""}]
    user = halo.post("/api/Users", json=body).json()
    assert user["site_id"] == client["main_site_id"]
    assert user["name"] == "Ana Ng"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"firstname": "No", "surname": "Where"}, "User must belong to a client"),
        ({"surname": "Ghost", "client_id": 999999}, "Client 999999 does not exist."),
        ({"surname": "Ghost", "site_id": 999999}, "Site 999999 does not exist."),
        ({"client_id": "{client}", "emailaddress": "a@b.com"}, "User needs a name"),
        ({"firstname": " ", "surname": "", "client_id": "{client}"}, "User needs a name"),
        (
            {"surname": "Typo", "client_id": "{client}", "emailaddress": "not-an-email"},
            "valid email",
        ),
        (
            {"surname": "Mixed", "client_id": "{client}", "site_id": "{other_site}"},
            "does not belong",
        ),
    ],
)
def test_user_checks(
    halo: httpx.Client, server: SandboxServer, body: dict[str, Any], message: str
) -> None:
    client, other = two_clients_with_sites(server)
    values = {"{client}": client["id"], "{other_site}": other["main_site_id"]}
    sent = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = snapshot(server)
    response = halo.post("/api/Users", json=[sent])
    assert response.status_code == 400
    assert message in response.json()["Message"]
    assert snapshot(server) == before


def test_moving_a_user_to_another_client_site_moves_the_client_too(
    halo: httpx.Client, server: SandboxServer
) -> None:
    first, second = two_clients_with_sites(server)
    user = next(u for u in server.state.halopsa.users.values() if u["client_id"] == first["id"])
    moved = halo.post("/api/Users", json=[{"id": user["id"], "site_id": second["main_site_id"]}])
    assert moved.status_code == 201
    assert (moved.json()["client_id"], moved.json()["client_name"]) == (
        second["id"],
        second["name"],
    )
    stranded = halo.post("/api/Users", json=[{"id": user["id"], "client_id": first["id"]}])
    assert stranded.status_code == 400
    assert stranded.json()["Message"] == (
        f"Site {second['main_site_id']} does not belong to client {first['id']}."
    )


def test_user_update_keeps_other_fields(halo: httpx.Client, server: SandboxServer) -> None:
    user = next(u for u in server.state.halopsa.users.values() if u["emailaddress"])
    before = copy.deepcopy(user)
    response = halo.post("/api/Users", json=[{"id": user["id"], "emailaddress": "new@example.com"}])
    assert response.json() == {**before, "emailaddress": "new@example.com"}
    cleared = halo.post("/api/Users", json=[{"id": user["id"], "firstname": None, "surname": None}])
    assert cleared.status_code == 201  # the name still names them
    nameless = halo.post("/api/Users", json=[{"id": user["id"], "name": ""}])
    assert nameless.status_code == 400


@pytest.mark.parametrize("options", [entity_options(default_to_main_site=False)])
def test_site_can_be_required(halo: httpx.Client, server: SandboxServer) -> None:
    cid = next(iter(server.state.halopsa.clients))
    response = halo.post("/api/Users", json=[{"surname": "Solo", "client_id": cid}])
    assert response.status_code == 400
    assert response.json()["Message"] == "User site_id is required."


# Assets


def test_asset_create_and_update(halo: httpx.Client, server: SandboxServer) -> None:
    client, _ = two_clients_with_sites(server)
    asset = next(a for a in server.state.halopsa.assets.values() if a["assettype_id"] != 3)
    body = [
        {"client_id": client["id"], "assettype_id": 1, "inventory_number": "NEW-LT-0001"},
        {"id": asset["id"], "assettype_id": 3, "key_field": "SRV-01"},
    ]
    response = halo.post("/api/Asset", json=body)
    assert response.status_code == 201
    created, updated = response.json()
    assert created["site_id"] == client["main_site_id"]
    assert (created["assettype_name"], created["status_id"]) == ("Laptop", 1)
    assert (updated["assettype_name"], updated["key_field"]) == ("Server", "SRV-01")
    assert updated["inventory_number"] == asset["inventory_number"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"assettype_id": None}, "assettype_id is required"),
        ({"assettype_id": 99}, "Asset type 99 does not exist."),
        ({"status_id": 9}, "Asset status 9 does not exist."),
        ({"client_id": 999999}, "Client 999999 does not exist."),
    ],
)
def test_asset_checks(
    halo: httpx.Client, server: SandboxServer, change: dict[str, Any], message: str
) -> None:
    cid = next(iter(server.state.halopsa.clients))
    body = {
        k: v for k, v in ({"client_id": cid, "assettype_id": 1} | change).items() if v is not None
    }
    response = halo.post("/api/Asset", json=[body])
    assert response.status_code == 400
    assert message in response.json()["Message"]


# A new client's main site


def test_a_new_client_gets_a_real_main_site(halo: httpx.Client, server: SandboxServer) -> None:
    client = halo.post("/api/Client", json=[{"name": "Fresh Start Ltd"}]).json()
    site = halo.get(f"/api/Site/{client['main_site_id']}").json()
    assert (site["name"], site["client_id"], site["client_name"]) == (
        "Main",
        client["id"],
        "Fresh Start Ltd",
    )
    user = halo.post("/api/Users", json=[{"surname": "First", "client_id": client["id"]}]).json()
    assert user["site_id"] == site["id"]
    another = halo.post("/api/Site", json=[{"client_id": client["id"], "name": "Annex"}]).json()
    assert another["id"] > site["id"]


@pytest.mark.parametrize("options", [entity_options(create_main_site=False)])
def test_main_site_creation_is_a_switch(halo: httpx.Client, server: SandboxServer) -> None:
    client = halo.post("/api/Client", json=[{"name": "Bare Ltd"}]).json()
    assert halo.get(f"/api/Site/{client['main_site_id']}").status_code == 404
    user = halo.post("/api/Users", json=[{"surname": "X", "client_id": client["id"]}])
    assert user.status_code == 400
    assert user.json()["Message"] == f"Client {client['id']} has no main site; send site_id."


def test_reset_forgets_written_sites_users_and_assets(
    halo: httpx.Client, server: SandboxServer
) -> None:
    before = snapshot(server)
    cid = next(iter(server.state.halopsa.clients))
    halo.post("/api/Site", json=[{"client_id": cid, "name": "Temporary"}])
    halo.post("/api/Users", json=[{"surname": "Temporary", "client_id": cid}])
    server.state.reset()
    assert snapshot(server) == before
