"""Writing Halo clients: POST takes an array, upserts, validates the whole array first."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer


def some_ids(server: SandboxServer, n: int) -> list[int]:
    return [cid for cid, c in server.state.halopsa.clients.items() if not c["inactive"]][:n]


def test_update_changes_only_the_fields_sent(halo: httpx.Client, server: SandboxServer) -> None:
    clients = server.state.halopsa.clients
    cid = next(i for i, c in clients.items() if c["item_tax_code"] != 2)
    before = copy.deepcopy(clients[cid])
    response = halo.post("/api/Client", json=[{"id": cid, "item_tax_code": 2}])
    assert response.status_code == 201
    after = clients[cid]
    assert after["item_tax_code"] == 2
    assert after["item_tax_code_name"] == "Reduced 5%"
    assert {k: v for k, v in after.items() if not k.startswith("item_tax_code")} == {
        k: v for k, v in before.items() if not k.startswith("item_tax_code")
    }
    assert response.json() == after
    assert halo.get(f"/api/Client/{cid}").json()["item_tax_code"] == 2


def test_create_assigns_a_new_id(halo: httpx.Client, server: SandboxServer) -> None:
    clients = server.state.halopsa.clients
    highest = max(clients)
    response = halo.post("/api/Client", json=[{"name": "Fresh Start Ltd", "toplevel_id": 2}])
    assert response.status_code == 201
    created = response.json()
    assert created["id"] > highest
    assert clients[created["id"]]["name"] == "Fresh Start Ltd"
    assert created["toplevel_name"] == "Partners"
    assert created["inactive"] is False
    assert created["main_site_id"] not in {
        c["main_site_id"] for i, c in clients.items() if i != created["id"]
    }
    again = halo.post("/api/Client", json=[{"id": 0, "name": "Second Start Ltd"}]).json()
    assert again["id"] == created["id"] + 1


def test_one_element_answers_an_object_many_answer_an_array_in_order(
    halo: httpx.Client, server: SandboxServer
) -> None:
    first, second = some_ids(server, 2)
    single = halo.post("/api/Client", json=[{"id": first, "notes": "one"}]).json()
    assert isinstance(single, dict)
    assert single["id"] == first
    body = [{"id": second, "notes": "b"}, {"name": "Middle Co"}, {"id": first, "notes": "a"}]
    many = halo.post("/api/Client", json=body)
    assert many.status_code == 201
    result = many.json()
    assert isinstance(result, list)
    assert [r["id"] for r in result][0::2] == [second, first]
    assert result[1]["name"] == "Middle Co"
    assert [r["notes"] for r in result] == ["b", "", "a"]


@pytest.mark.parametrize(
    "options", [SandboxOptions(halo_post_many_shape="last", halo_post_status=200)]
)
def test_post_answer_shape_is_switchable(halo: httpx.Client, server: SandboxServer) -> None:
    first, second = some_ids(server, 2)
    response = halo.post(
        "/api/Client", json=[{"id": first, "notes": "x"}, {"id": second, "notes": "y"}]
    )
    assert response.status_code == 200
    assert response.json()["id"] == second


@pytest.mark.parametrize("body", ['{"id": 12, "notes": "x"}', '"x"', "5", "null"])
def test_body_that_is_not_an_array_answers_400(
    halo: httpx.Client, server: SandboxServer, body: str
) -> None:
    before = copy.deepcopy(server.state.halopsa.clients)
    response = halo.post("/api/Client", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["ClassName"] == "System.Exception"
    assert "array" in response.json()["Message"]
    assert server.state.halopsa.clients == before


def test_unknown_tax_code_answers_400_and_applies_nothing(
    halo: httpx.Client, server: SandboxServer
) -> None:
    first, second = some_ids(server, 2)
    before = copy.deepcopy(server.state.halopsa.clients)
    body = [
        {"id": first, "notes": "valid change"},
        {"name": "Valid New Co"},
        {"id": second, "item_tax_code": 99},
    ]
    response = halo.post("/api/Client", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "ClassName": "System.Exception",
        "Message": "Tax code 99 does not exist.",
    }
    assert server.state.halopsa.clients == before
    # The id that the refused create would have used is still free.
    created = halo.post("/api/Client", json=[{"name": "Valid New Co"}]).json()
    assert created["id"] == max(before) + 1


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"inactive": "yes"}, "inactive"),
        ({"inactive": 1}, "inactive"),
        ({"toplevel_id": 9}, "Top level 9 does not exist."),
        ({"toplevel_id": None}, "toplevel_id cannot be null"),
        ({"name": "   "}, "name cannot be empty"),
        ({"name": 42}, "'name'"),
        ({"service_tax_code": "1"}, "service_tax_code"),
        ({"contract_tax_code": 7}, "Tax code 7 does not exist."),
        ({"customfields": [{"id": 999, "value": "x"}]}, "Custom field 999 does not exist."),
        ({"customfields": [{"id": 203, "value": "next tuesday"}]}, "CFRenewalDate"),
    ],
)
def test_invalid_update_answers_400_with_a_halo_message(
    halo: httpx.Client, server: SandboxServer, change: dict[str, Any], fragment: str
) -> None:
    (cid,) = some_ids(server, 1)
    before = copy.deepcopy(server.state.halopsa.clients)
    response = halo.post("/api/Client", json=[{"id": cid, **change}])
    assert response.status_code == 400
    assert fragment in response.json()["Message"]
    assert server.state.halopsa.clients == before


def test_create_without_name_answers_400(halo: httpx.Client, server: SandboxServer) -> None:
    count = len(server.state.halopsa.clients)
    response = halo.post("/api/Client", json=[{"toplevel_id": 1}])
    assert response.status_code == 400
    assert response.json()["Message"].endswith("Client name is required.")
    assert len(server.state.halopsa.clients) == count


def test_unknown_id_answers_400(halo: httpx.Client, server: SandboxServer) -> None:
    missing = max(server.state.halopsa.clients) + 500
    response = halo.post("/api/Client", json=[{"id": missing, "notes": "x"}])
    assert response.status_code == 400
    assert response.json()["Message"] == f"Client {missing} does not exist."
    assert missing not in server.state.halopsa.clients


@pytest.mark.parametrize("options", [SandboxOptions(halo_unknown_id="create")])
def test_unknown_id_can_be_switched_to_create(halo: httpx.Client, server: SandboxServer) -> None:
    missing = max(server.state.halopsa.clients) + 500
    response = halo.post("/api/Client", json=[{"id": missing, "name": "Phoenix Ltd"}])
    assert response.status_code == 201
    assert response.json()["id"] != missing
    assert response.json()["name"] == "Phoenix Ltd"


def test_read_only_twins_and_control_flags_are_ignored(
    halo: httpx.Client, server: SandboxServer
) -> None:
    (cid,) = some_ids(server, 1)
    body = [
        {
            "id": cid,
            "toplevel_id": 3,
            "toplevel_name": "Something Else",
            "item_tax_code_name": "Made Up",
            "_dont_fire_automations": True,
            "not_a_field": "x",
        }
    ]
    response = halo.post("/api/Client", json=body)
    assert response.status_code == 201
    record = server.state.halopsa.clients[cid]
    assert record["toplevel_name"] == "Internal"
    assert record["item_tax_code_name"] != "Made Up"
    assert "_dont_fire_automations" not in record
    assert "not_a_field" not in record
    notes = server.state.requests.entries()[-1].notes
    assert any("not_a_field" in n for n in notes)
    assert any("toplevel_name" in n for n in notes)


def test_posting_some_customfields_clears_the_others(
    halo: httpx.Client, server: SandboxServer
) -> None:
    cid = next(
        i
        for i, c in server.state.halopsa.clients.items()
        if c["customfields"][1]["value"] is not None
    )
    halo.post(
        "/api/Client", json=[{"id": cid, "customfields": [{"name": "CFPONumber", "value": "PO-1"}]}]
    )
    values = [f["value"] for f in server.state.halopsa.clients[cid]["customfields"]]
    assert values == ["PO-1", None, None]


@pytest.mark.parametrize("options", [SandboxOptions(halo_customfields_replace=False)])
def test_customfields_merge_when_replace_is_off(halo: httpx.Client, server: SandboxServer) -> None:
    cid = next(
        i
        for i, c in server.state.halopsa.clients.items()
        if c["customfields"][1]["value"] is not None
    )
    manager = server.state.halopsa.clients[cid]["customfields"][1]["value"]
    halo.post("/api/Client", json=[{"id": cid, "customfields": [{"id": 201, "value": "PO-2"}]}])
    values = [f["value"] for f in server.state.halopsa.clients[cid]["customfields"]]
    assert values[:2] == ["PO-2", manager]


def test_post_needs_a_json_content_type(halo: httpx.Client, server: SandboxServer) -> None:
    (cid,) = some_ids(server, 1)
    response = halo.post(
        "/api/Client",
        content=f'[{{"id": {cid}, "notes": "x"}}]',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert server.state.halopsa.clients[cid]["notes"] != "x"


def test_invalid_json_answers_400(halo: httpx.Client) -> None:
    response = halo.post("/api/Client", content="[{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_field_names_match_ignoring_case(halo: httpx.Client, server: SandboxServer) -> None:
    (cid,) = some_ids(server, 1)
    assert halo.post("/api/Client", json=[{"ID": cid, "Notes": "case"}]).status_code == 201
    assert server.state.halopsa.clients[cid]["notes"] == "case"


@pytest.mark.parametrize("options", [SandboxOptions(halo_case_insensitive_names=False)])
def test_field_names_can_be_made_case_sensitive(halo: httpx.Client, server: SandboxServer) -> None:
    (cid,) = some_ids(server, 1)
    before = server.state.halopsa.clients[cid]["notes"]
    assert halo.post("/api/Client", json=[{"id": cid, "Notes": "case"}]).status_code == 201
    assert server.state.halopsa.clients[cid]["notes"] == before
    assert any("'Notes' ignored" in n for n in server.state.requests.entries()[-1].notes)
