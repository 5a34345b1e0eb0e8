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
    "referentCivility": "MRS",
    "referentName": "Durand",
    "referentFirstName": "Marie",
    "referentMail": "marie.durand@acme.example",
    "referentFixPhone": "+33 1 23 45 67 89",
    "referentMobilePhone": "+33 6 12 34 56 78",
}
"""Every field of the vendor guide's "create contract" body, under its names."""


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
    assert detail.json()["contact"] == {
        "firstName": "Marie",
        "lastName": "Durand",
        "email": "marie.durand@acme.example",
    }
    assert detail.json()["offer"]["name"] == "Flexible Engine"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"contractName": None}, 23, "contractName"),
        ({"contractName": "   "}, 23, "contractName"),
        ({"referentMail": "not-an-email"}, 24, "referentMail"),
        ({"referentMail": None}, 23, "referentMail"),
        ({"referentName": ""}, 23, "referentName"),
        ({"referentCivility": "DR"}, 24, "referentCivility"),
        ({"offerCode": "GOLD"}, 24, "offerCode"),
        ({"supportLevel": "PLATINUM"}, 24, "supportLevel"),
        ({"billingAccountId": 55012}, 24, "billingAccountId"),
        ({"referentFixPhone": "call me"}, 24, "referentFixPhone"),
        ({"referentMobilePhone": "call me"}, 24, "referentMobilePhone"),
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


def test_the_phones_are_optional(server: SandboxServer) -> None:
    body = {k: v for k, v in NEW_CONTRACT.items() if not k.endswith("Phone")}
    with orange_client(server) as orange:
        assert orange.post("/contracts", json=body).status_code == 201


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("referentLastName", "referentName"),
        ("referentEmail", "referentMail"),
        ("referentPhone", "referentMobilePhone"),
    ],
)
def test_a_field_the_guide_does_not_list_is_refused_by_name(
    server: SandboxServer, old: str, new: str
) -> None:
    """The names an earlier version of our notes guessed are refused, named, with the
    guide's list in the answer: a misspelt field can no longer pass unseen."""
    body = {**{k: v for k, v in NEW_CONTRACT.items() if k != new}, old: NEW_CONTRACT[new]}
    with orange_client(server) as orange:
        description = gateway_error(orange.post("/contracts", json=body), 400, 24)
    assert description == (
        f"The body field {old!r} is not a field of this request; its fields are: "
        "billingAccountId, offerCode, contractName, supportLevel, referentCivility, "
        "referentName, referentFirstName, referentMail, referentFixPhone, referentMobilePhone."
    )
    assert len(server.state.orange.contracts) == 3


def test_unknown_fields_can_be_ignored_and_noted_instead(server: SandboxServer) -> None:
    settings(server).refuse_unknown_body_fields = False
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
