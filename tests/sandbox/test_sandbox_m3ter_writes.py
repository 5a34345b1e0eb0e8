"""m3ter Config API writes: create, whole-entity PUT with optimistic locking, delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from m3ter_fixtures import m3ter_body_copy, m3ter_opts, meter_body, org_client

from rowpush.sandbox.server import SandboxServer


@pytest.fixture
def config(server: SandboxServer) -> Iterator[httpx.Client]:
    with org_client(server) as client:
        yield client


def _meter(server: SandboxServer, code: str) -> dict[str, Any]:
    meter = server.state.m3ter.meter_by_code(code)
    assert meter is not None
    return meter


def test_create_meter_adds_server_fields(config: httpx.Client, server: SandboxServer) -> None:
    response = config.post("/meters", json=meter_body())
    assert response.status_code == 200
    meter = response.json()
    assert meter["version"] == 1
    assert meter["code"] == "new_meter"
    assert meter["productId"] is None
    assert meter["createdBy"] == meter["lastModifiedBy"] == "service-user-7"
    assert meter["dtCreated"].endswith("Z")
    assert server.state.m3ter.meters[meter["id"]] == meter
    assert config.get(f"/meters/{meter['id']}").json() == meter


def test_duplicate_meter_code_is_400(config: httpx.Client, server: SandboxServer) -> None:
    before = len(server.state.m3ter.meters)
    response = config.post("/meters", json=meter_body("api_calls"))
    assert response.status_code == 400
    assert "already exists" in response.json()["message"]
    assert len(server.state.m3ter.meters) == before


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"derivedFields": None}, "not null"),
        ({"dataFields": []}, "dataFields"),
        (
            {"dataFields": [{"category": "WHO", "code": f"f{i}", "name": "F"} for i in range(16)]},
            "1 to 15",
        ),
        ({"dataFields": [{"category": "VOLUME", "code": "x", "name": "X"}]}, "category"),
        ({"dataFields": [{"category": "WHO", "code": "1st", "name": "X"}]}, "must not start"),
        ({"dataFields": [{"category": "WHO", "code": "a-b", "name": "X"}]}, "letters"),
        ({"code": " padded"}, "whitespace"),
        ({"code": "tab\there"}, "whitespace"),
        ({"code": "x" * 81}, "1 to 80"),
        ({"name": ""}, "name"),
        ({"customFields": {"flag": True}}, "customFields"),
        ({"productId": "00000000-0000-4000-8000-000000000000"}, "does not exist"),
        ({"version": 1}, "version"),
    ],
)
def test_invalid_meter_bodies_are_400(
    config: httpx.Client, overrides: dict[str, Any], words: str
) -> None:
    response = config.post("/meters", json=meter_body(**overrides))
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]


def test_missing_derived_fields_is_400(config: httpx.Client) -> None:
    body = meter_body()
    del body["derivedFields"]
    assert config.post("/meters", json=body).status_code == 400


def test_inner_spaces_in_a_meter_code_are_fine(config: httpx.Client) -> None:
    assert config.post("/meters", json=meter_body("api calls v2")).status_code == 200


def test_version_on_create_can_be_ignored(config: httpx.Client, server: SandboxServer) -> None:
    m3ter_opts(server).version_on_create = "ignore"
    response = config.post("/meters", json=meter_body(version=7))
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_put_with_the_right_version_replaces_the_whole_meter(
    config: httpx.Client, server: SandboxServer
) -> None:
    current = _meter(server, "api_calls")
    assert current["customFields"] == {"owner": "platform-team"}
    body = m3ter_body_copy(current)
    body["name"] = "API calls (renamed)"
    del body["customFields"]
    del body["productId"]
    response = config.put(f"/meters/{current['id']}", json=body)
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["version"] == current["version"] + 1
    assert saved["name"] == "API calls (renamed)"
    assert saved["customFields"] == {}  # omitted means gone: PUT replaces the entity
    assert saved["productId"] is None
    assert saved["dtCreated"] == current["dtCreated"]
    assert saved["createdBy"] == current["createdBy"]
    assert saved["lastModifiedBy"] == "service-user-7"
    assert _meter(server, "api_calls") == saved


def test_get_then_put_back_unchanged_is_accepted(
    config: httpx.Client, server: SandboxServer
) -> None:
    meter_id = _meter(server, "egress_gb")["id"]
    fetched = config.get(f"/meters/{meter_id}").json()
    saved = config.put(f"/meters/{meter_id}", json=fetched)
    assert saved.status_code == 200
    assert saved.json()["version"] == fetched["version"] + 1
    assert saved.json()["derivedFields"] == fetched["derivedFields"]
    assert any("read-only field 'id' ignored" in n for n in server.state.requests[-1].notes)


def test_stale_version_is_409_with_the_message(config: httpx.Client, server: SandboxServer) -> None:
    current = _meter(server, "seats")
    body = {**m3ter_body_copy(current), "version": current["version"] - 1, "name": "Stale"}
    response = config.put(f"/meters/{current['id']}", json=body)
    assert response.status_code == 409
    assert response.json() == {
        "message": f"Version mismatch for Meter {current['id']}: "
        f"expected {current['version']}, got {current['version'] - 1}"
    }
    assert _meter(server, "seats")["name"] == "Seats"


def test_version_conflict_status_switch(config: httpx.Client, server: SandboxServer) -> None:
    m3ter_opts(server).version_conflict_status = 400
    current = _meter(server, "seats")
    body = {**m3ter_body_copy(current), "version": current["version"] + 5}
    assert config.put(f"/meters/{current['id']}", json=body).status_code == 400


def test_put_without_version_is_400(config: httpx.Client, server: SandboxServer) -> None:
    current = _meter(server, "seats")
    body = m3ter_body_copy(current)
    del body["version"]
    response = config.put(f"/meters/{current['id']}", json=body)
    assert response.status_code == 400
    assert "version is required" in response.json()["message"]


def test_put_cannot_take_another_meters_code(config: httpx.Client, server: SandboxServer) -> None:
    current = _meter(server, "seats")
    body = {**m3ter_body_copy(current), "code": "api_calls"}
    assert config.put(f"/meters/{current['id']}", json=body).status_code == 400


def test_delete_returns_the_meter_and_removes_it(
    config: httpx.Client, server: SandboxServer
) -> None:
    meter_id = _meter(server, "sms_segments")["id"]
    response = config.delete(f"/meters/{meter_id}")
    assert response.status_code == 200
    assert response.json()["code"] == "sms_segments"
    assert meter_id not in server.state.m3ter.meters
    assert config.get(f"/meters/{meter_id}").status_code == 404
    assert config.delete(f"/meters/{meter_id}").status_code == 404


def test_create_account_requires_code_name_and_email(config: httpx.Client) -> None:
    body = {"code": "NEWCO-001", "name": "NewCo", "emailAddress": "billing@newco.example"}
    for missing in body:
        partial = {k: v for k, v in body.items() if k != missing}
        response = config.post("/accounts", json=partial)
        assert response.status_code == 400
        assert missing in response.json()["message"]
    created = config.post("/accounts", json={**body, "currency": "GBP"}).json()
    assert (created["version"], created["currency"], created["customFields"]) == (1, "GBP", {})


@pytest.mark.parametrize(
    "overrides",
    [
        {"emailAddress": "not-an-email"},
        {"currency": "pounds"},
        {"billEpoch": "2024-02-30"},
        {"parentAccountId": "00000000-0000-4000-8000-000000000000"},
        {"daysBeforeBillDue": "30"},
    ],
)
def test_invalid_account_fields_are_400(config: httpx.Client, overrides: dict[str, Any]) -> None:
    body = {"code": "NEWCO-001", "name": "NewCo", "emailAddress": "b@newco.example", **overrides}
    assert config.post("/accounts", json=body).status_code == 400


def test_account_put_drops_custom_fields_when_omitted(
    config: httpx.Client, server: SandboxServer
) -> None:
    account = server.state.m3ter.account_by_code("ACME-001")
    assert account is not None
    assert account["customFields"]
    body = {k: account[k] for k in ("code", "name", "emailAddress", "version")}
    saved = config.put(f"/accounts/{account['id']}", json=body).json()
    assert saved["customFields"] == {}
    assert saved["currency"] is None
    assert saved["version"] == account["version"] + 1


def test_products_and_org_config(config: httpx.Client, server: SandboxServer) -> None:
    product = config.post("/products", json={"code": "analytics", "name": "Analytics"}).json()
    assert product["version"] == 1
    assert config.post("/products", json={"code": "analytics", "name": "Again"}).status_code == 400
    org_config = config.get("/organizationconfig").json()
    assert org_config["currency"] == "USD"
    changed = {**org_config, "daysBeforeBillDue": 14}
    saved = config.put("/organizationconfig", json=changed).json()
    assert (saved["daysBeforeBillDue"], saved["version"]) == (14, org_config["version"] + 1)
    stale = config.put("/organizationconfig", json=changed)
    assert stale.status_code == 409


def test_write_bodies_must_be_json_objects(config: httpx.Client) -> None:
    assert (
        config.post(
            "/products", content=b"code=x", headers={"Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    bad_json = config.post("/products", content=b"{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert config.post("/products", json=[{"code": "x", "name": "X"}]).status_code == 400


@pytest.mark.parametrize("category", ["MEASURE", "INCOME", "COST"])
@pytest.mark.parametrize("kind", ["dataFields", "derivedFields"])
def test_a_numeric_field_without_a_unit_is_400(
    config: httpx.Client, server: SandboxServer, category: str, kind: str
) -> None:
    """The SDK's DataFieldParam: unit "Required only for numeric field categories"."""
    field: dict[str, Any] = {"category": category, "code": "amount", "name": "Amount"}
    if kind == "derivedFields":
        field["calculation"] = "units * 2"
    before = len(server.state.m3ter.meters)
    response = config.post("/meters", json=meter_body(**{kind: [field]}))
    assert response.status_code == 400
    assert response.json() == {
        "message": f"Meter {kind}[0]: unit is required for a {category} field"
    }
    assert len(server.state.m3ter.meters) == before


def test_a_numeric_field_without_a_unit_passes_when_the_switch_is_off(
    config: httpx.Client, server: SandboxServer
) -> None:
    m3ter_opts(server).numeric_unit_required = False
    field = {"category": "MEASURE", "code": "amount", "name": "Amount"}
    response = config.post("/meters", json=meter_body(dataFields=[field]))
    assert response.status_code == 200
    assert any("numeric field without a unit" in n for n in server.state.requests[-1].notes)


@pytest.mark.parametrize("status", [400, 409, 412, 422])
def test_every_plausible_version_conflict_status_can_be_served(
    config: httpx.Client, server: SandboxServer, status: int
) -> None:
    m3ter_opts(server).version_conflict_status = status
    current = _meter(server, "seats")
    body = {**m3ter_body_copy(current), "version": current["version"] - 1}
    response = config.put(f"/meters/{current['id']}", json=body)
    assert response.status_code == status
    assert response.json()["message"].startswith("Version mismatch for Meter")
