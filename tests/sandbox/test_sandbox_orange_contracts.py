"""Orange: listing, reading and ordering contracts."""

from __future__ import annotations

import pytest
from sandbox_orange_client import first_contract, gateway_error, orange_client, settings

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.orange.seed import contract_ids
from rowpush.sandbox.server import SandboxServer

NEW_CONTRACT = {
    "billingAccountId": "BA-55012",
    "offerCode": "FE-PAYG",
    "contractName": "acme-analytics",
    "supportLevel": "STANDARD",
    "referentFirstName": "Marie",
    "referentLastName": "Durand",
    "referentEmail": "marie.durand@acme.example",
    "referentPhone": "+33 6 12 34 56 78",
}


def test_contracts_list_is_a_plain_array_of_summaries(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        response = orange.get("/contracts")
    assert response.status_code == 200
    contracts = response.json()
    assert isinstance(contracts, list)
    assert [c["id"] for c in contracts] == list(server.state.orange.contracts)
    assert [c["id"] for c in contracts] == contract_ids(server.options.seed, 3)
    for contract in contracts:
        assert set(contract) == {"id", "name", "createdAt", "offer"}
        assert contract["id"].startswith("CT-")
        assert contract["offer"]["name"] in {"Flexible Engine", "Cloud Avenue"}
        assert contract["createdAt"].endswith("Z")
    assert len({c["name"] for c in contracts}) == len(contracts)


def test_seed_decides_the_contracts() -> None:
    assert contract_ids(1, 3) == contract_ids(1, 3)
    assert contract_ids(1, 3) != contract_ids(2, 3)
    with SandboxServer(SandboxOptions(seed=2)) as other:
        assert list(other.state.orange.contracts) == contract_ids(2, 3)


def test_contract_details_come_from_the_contract_header(server: SandboxServer) -> None:
    ids = list(server.state.orange.contracts)
    with orange_client(server, contract=ids[1]) as orange:
        detail = orange.get("/contract").json()
    assert detail["id"] == ids[1]
    assert {"id", "name", "contractType", "customer", "offer", "contact", "createdAt"} <= set(
        detail
    )
    assert set(detail["contact"]) == {"firstName", "lastName", "email"}
    assert set(detail["customer"]) == {"id", "name"}
    assert detail["contractType"] in {"PAYG", "RESERVED"}
    assert detail["updatedAt"] >= detail["createdAt"]


def test_ordering_a_contract_adds_one_each_time(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        first = orange.post("/contracts", json=NEW_CONTRACT)
        again = orange.post("/contracts", json=NEW_CONTRACT)
        assert first.status_code == again.status_code == 201
        assert set(first.json()) == {"id", "name", "status"}
        assert first.json()["status"] == "IN_PROGRESS"
        assert first.json()["name"] == "acme-analytics"
        assert first.json()["id"] != again.json()["id"]  # not idempotent
        listed = [c["id"] for c in orange.get("/contracts").json()]
        assert listed[-2:] == [first.json()["id"], again.json()["id"]]
        detail = orange.get("/contract", headers={"X-ECCS-Contract-Id": first.json()["id"]})
    assert detail.json()["contact"]["email"] == "marie.durand@acme.example"
    assert detail.json()["offer"]["name"] == "Flexible Engine"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"contractName": None}, 23, "contractName"),
        ({"contractName": "   "}, 23, "contractName"),
        ({"referentEmail": "not-an-email"}, 24, "referentEmail"),
        ({"offerCode": "GOLD"}, 24, "offerCode"),
        ({"supportLevel": "PLATINUM"}, 24, "supportLevel"),
        ({"billingAccountId": 55012}, 24, "billingAccountId"),
        ({"referentPhone": "call me"}, 24, "referentPhone"),
    ],
)
def test_contract_fields_are_checked(
    server: SandboxServer, change: dict[str, object], code: int, field: str
) -> None:
    body = {k: v for k, v in {**NEW_CONTRACT, **change}.items() if v is not None}
    with orange_client(server) as orange:
        assert field in gateway_error(orange.post("/contracts", json=body), 400, code)
    assert len(server.state.orange.contracts) == 3


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        (b"", "application/json", 21),
        (b"{not json", "application/json", 22),
        (b"[]", "application/json", 22),
        (b"contractName=x", "application/x-www-form-urlencoded", 26),
    ],
)
def test_contract_bodies_must_be_json_objects(
    server: SandboxServer, content: bytes, content_type: str, code: int
) -> None:
    with orange_client(server) as orange:
        response = orange.post(
            "/contracts", content=content, headers={"Content-Type": content_type}
        )
    gateway_error(response, 400, code)
    assert len(server.state.orange.contracts) == 3


def test_unknown_fields_are_ignored_and_noted(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        assert orange.post("/contracts", json={**NEW_CONTRACT, "colour": "red"}).status_code == 201
    assert "unknown body field 'colour' ignored" in server.state.requests[-1].notes


def test_write_endpoints_can_be_switched_off(server: SandboxServer) -> None:
    settings(server).writes = False
    cid = first_contract(server)
    with orange_client(server, contract=cid) as orange:
        gateway_error(orange.post("/contracts", json=NEW_CONTRACT), 404, 60)
        gateway_error(orange.post(f"/contracts/{cid}/user", json={}), 404, 60)
        assert orange.get("/contracts").status_code == 200
    assert len(server.state.orange.contracts) == 3


def test_unknown_paths_answer_the_gateway_404(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        description = gateway_error(orange.get("/invoices"), 404, 60)
        assert description == "No resource at /cloud/b2b/v1/invoices."
        gateway_error(orange.get("/contracts/"), 404, 60)
