"""Orange: users of a contract; creating one is checked, and is not idempotent."""

from __future__ import annotations

import pytest
from sandbox_orange_client import first_contract, gateway_error, orange_client, settings

from rowpush.sandbox.server import SandboxServer

NEW_USER = {
    "civility": "MRS",
    "lastName": "Durand",
    "firstName": "Marie",
    "email": "marie.durand@acme.example",
    "login": "mdurand-new",
    "fixPhone": "+33 1 23 45 67 89",
    "mobilePhone": "+33 6 12 34 56 78",
}


def test_users_of_a_contract_are_listed(server: SandboxServer) -> None:
    cid = first_contract(server)
    with orange_client(server, contract=cid) as orange:
        response = orange.get(f"/contracts/{cid}/users")
    assert response.status_code == 200
    users = response.json()
    assert 8 <= len(users) <= 12
    assert users == server.state.orange.users[cid]
    for user in users:
        assert set(NEW_USER) | {"id", "status"} == set(user)
        assert user["civility"] in {"MR", "MRS", "MS"}
        assert "@" in user["email"]
    every_login = [u["login"] for us in server.state.orange.users.values() for u in us]
    assert len(every_login) == len(set(every_login))


def test_creating_a_user_answers_its_id_and_lists_it(server: SandboxServer) -> None:
    cid = first_contract(server)
    with orange_client(server, contract=cid) as orange:
        created = orange.post(f"/contracts/{cid}/user", json=NEW_USER)
        assert created.status_code == 201
        assert created.json() == {
            "id": created.json()["id"],
            "login": "mdurand-new",
            "status": "PENDING_ACTIVATION",
        }
        listed = orange.get(f"/contracts/{cid}/users").json()
    assert listed[-1] == {**NEW_USER, "id": created.json()["id"], "status": "PENDING_ACTIVATION"}
    assert created.json()["id"] not in {u["id"] for u in listed[:-1]}


def test_phones_are_optional(server: SandboxServer) -> None:
    cid = first_contract(server)
    body = {k: v for k, v in NEW_USER.items() if not k.endswith("Phone")}
    with orange_client(server, contract=cid) as orange:
        assert orange.post(f"/contracts/{cid}/user", json=body).status_code == 201
    assert server.state.orange.users[cid][-1]["mobilePhone"] is None


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"lastName": None}, 23, "lastName"),
        ({"email": ""}, 23, "email"),
        ({"civility": "DR"}, 24, "civility"),
        ({"civility": "mrs"}, 24, "civility"),
        ({"email": "marie.durand"}, 24, "email"),
        ({"firstName": 42}, 24, "firstName"),
        ({"login": "m durand"}, 24, "login"),
        ({"login": "md"}, 24, "login"),
        ({"mobilePhone": "call me"}, 24, "mobilePhone"),
        ({"lastName": "x" * 65}, 24, "lastName"),
    ],
)
def test_user_fields_are_checked(
    server: SandboxServer, change: dict[str, object], code: int, field: str
) -> None:
    cid = first_contract(server)
    before = len(server.state.orange.users[cid])
    body = {k: v for k, v in {**NEW_USER, **change}.items() if v is not None}
    with orange_client(server, contract=cid) as orange:
        assert field in gateway_error(orange.post(f"/contracts/{cid}/user", json=body), 400, code)
    assert len(server.state.orange.users[cid]) == before


def test_the_same_user_posted_twice_makes_one_user_and_a_conflict(server: SandboxServer) -> None:
    cid = first_contract(server)
    before = len(server.state.orange.users[cid])
    with orange_client(server, contract=cid) as orange:
        assert orange.post(f"/contracts/{cid}/user", json=NEW_USER).status_code == 201
        again = orange.post(f"/contracts/{cid}/user", json=NEW_USER)
        assert "mdurand-new" in gateway_error(again, 409, 24)
        shouting = orange.post(f"/contracts/{cid}/user", json={**NEW_USER, "login": "MDURAND-NEW"})
        gateway_error(shouting, 409, 24)
    assert len(server.state.orange.users[cid]) == before + 1


def test_logins_are_unique_across_contracts_by_default(server: SandboxServer) -> None:
    first, second = list(server.state.orange.contracts)[:2]
    taken = server.state.orange.users[first][0]["login"]
    with orange_client(server, contract=second) as orange:
        clash = orange.post(f"/contracts/{second}/user", json={**NEW_USER, "login": taken})
        gateway_error(clash, 409, 24)
        settings(server).unique_login = "contract"
        assert (
            orange.post(f"/contracts/{second}/user", json={**NEW_USER, "login": taken}).status_code
            == 201
        )


def test_without_unique_logins_two_posts_make_two_users(server: SandboxServer) -> None:
    settings(server).unique_login = "off"
    settings(server).duplicate_login_status = 400
    cid = first_contract(server)
    with orange_client(server, contract=cid) as orange:
        ids = [orange.post(f"/contracts/{cid}/user", json=NEW_USER).json()["id"] for _ in range(2)]
    assert ids[0] != ids[1]
    assert [u["login"] for u in server.state.orange.users[cid]].count("mdurand-new") == 2


def test_creating_a_user_needs_no_contract_header_but_a_wrong_one_is_refused(
    server: SandboxServer,
) -> None:
    """The guide's "create user" sends no X-ECCS-Contract-Id (the contract is in the path)."""
    first, second = list(server.state.orange.contracts)[:2]
    with orange_client(server) as orange:
        assert orange.post(f"/contracts/{first}/user", json=NEW_USER).status_code == 201
    with orange_client(server, contract=second) as orange:
        other = {**NEW_USER, "login": "mdurand-other"}
        mismatch = orange.post(f"/contracts/{first}/user", json=other)
        assert "does not match" in gateway_error(mismatch, 403, 50)
    assert [u["login"] for u in server.state.orange.users[first]].count("mdurand-new") == 1
    assert all(u["login"] != "mdurand-other" for u in server.state.orange.users[first])


def test_listing_users_needs_the_matching_contract_header(server: SandboxServer) -> None:
    first, second = list(server.state.orange.contracts)[:2]
    with orange_client(server, contract=second) as orange:
        gateway_error(orange.get(f"/contracts/{first}/users"), 403, 50)
        gateway_error(orange.get("/contracts/CT-000000000/users"), 404, 60)
    with orange_client(server) as orange:
        gateway_error(orange.get(f"/contracts/{first}/users"), 403, 50)
        settings(server).user_list_needs_contract_header = False
        assert orange.get(f"/contracts/{first}/users").status_code == 200


def test_a_user_field_the_guide_does_not_list_is_refused(server: SandboxServer) -> None:
    cid = first_contract(server)
    before = len(server.state.orange.users[cid])
    body = {**NEW_USER, "phone": "+33 6 12 34 56 78"}
    with orange_client(server) as orange:
        description = gateway_error(orange.post(f"/contracts/{cid}/user", json=body), 400, 24)
    assert description.startswith("The body field 'phone' is not a field of this request")
    assert len(server.state.orange.users[cid]) == before
