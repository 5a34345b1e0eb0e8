"""Usage Engine meter types and meters: seeds, lists, creates, updates, deletes, errors."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from usage_engine_helpers import (
    METER_TYPES,
    METERS,
    fetch_ue_token,
    meter_type_body,
    ue_client,
    ue_opts,
)

from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer
from rowpush.sandbox.usage_engine.options import UsageEngineOptions
from rowpush.sandbox.usage_engine.seed import seed_account
from rowpush.sandbox.usage_engine.state import UsageEngineState


def ue_options_of(**fields: Any) -> SandboxOptions:
    return SandboxOptions(halo_clients=3, apis={"usage-engine": UsageEngineOptions(**fields)})


@pytest.fixture
def ue(server: SandboxServer) -> Iterator[httpx.Client]:
    """A client of the emulation carrying a fresh token."""
    with ue_client(server, fetch_ue_token(server)) as client:
        yield client


def account(server: SandboxServer) -> UsageEngineState:
    state: UsageEngineState = server.state.usage_engine
    return state


def type_named(server: SandboxServer, name: str) -> dict[str, Any]:
    return next(t for t in account(server).meter_types.values() if t["name"] == name)


# Seeds and reads


def test_seeded_account_has_six_meter_types_and_forty_distinct_meters(
    ue: httpx.Client, server: SandboxServer
) -> None:
    types = ue.get(METER_TYPES).json()["meterTypes"]
    meters = ue.get(METERS).json()["meters"]
    assert len(types) == 6
    assert len({t["name"] for t in types}) == 6
    assert len(meters) == 40
    assert len({(m["meterTypeId"], m["meterKey"], m["userId"]) for m in meters}) == 40
    per_type = Counter(m["meterTypeId"] for m in meters)
    assert {t["id"]: t["numberOfMeters"] for t in types} == {
        t["id"]: per_type[t["id"]] for t in types
    }
    account_id = account(server).account_id
    for meter_type in types:
        uuid.UUID(meter_type["id"])
        assert meter_type["accountId"] == account_id
        assert meter_type["aggregation"]["type"] in ("sum", "increment")
        assert meter_type["createdAt"].endswith("+00:00")
    assert {m["meterTypeId"] for m in meters} <= {t["id"] for t in types}
    assert all(isinstance(m["userId"], str) and m["deleteOnReset"] in (True, False) for m in meters)


def test_seeds_are_the_same_for_the_same_seed() -> None:
    assert seed_account(1, 40) == seed_account(1, 40)
    assert seed_account(1, 40).account_id != seed_account(2, 40).account_id


def test_name_filter_matches_exactly(ue: httpx.Client, server: SandboxServer) -> None:
    found = ue.get(METER_TYPES, params={"name": "Pay-Per-Print"}).json()["meterTypes"]
    assert [t["id"] for t in found] == [type_named(server, "Pay-Per-Print")["id"]]
    assert ue.get(METER_TYPES, params={"name": "pay-per-print"}).json() == {"meterTypes": []}
    assert ue.get(METER_TYPES, params={"name": "Pay-Per"}).json() == {"meterTypes": []}


def test_get_meter_type_by_id_and_unknown_id(ue: httpx.Client, server: SandboxServer) -> None:
    seeded = type_named(server, "API Requests")
    body = ue.get(f"{METER_TYPES}/{seeded['id']}").json()
    assert body["name"] == "API Requests"
    assert body["thresholds"][0] == {"name": "Warning", "capacityPercentage": 80}
    assert body["numberOfMeters"] == sum(
        1 for m in account(server).meters.values() if m["meterTypeId"] == seeded["id"]
    )
    missing = ue.get(f"{METER_TYPES}/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["message"].startswith("Meter type ")


def test_meters_are_filtered_by_meter_type_and_key(ue: httpx.Client, server: SandboxServer) -> None:
    meters = list(account(server).meters.values())
    sample = meters[0]
    by_type = ue.get(METERS, params={"meterTypeId": sample["meterTypeId"]}).json()["meters"]
    assert {m["id"] for m in by_type} == {
        m["id"] for m in meters if m["meterTypeId"] == sample["meterTypeId"]
    }
    both = ue.get(
        METERS, params={"meterTypeId": sample["meterTypeId"], "meterKey": sample["meterKey"]}
    ).json()["meters"]
    assert {m["id"] for m in both} == {
        m["id"]
        for m in meters
        if (m["meterTypeId"], m["meterKey"]) == (sample["meterTypeId"], sample["meterKey"])
    }
    assert 0 < len(both) <= len(by_type) < 40


def test_an_undocumented_filter_is_ignored_and_noted(
    ue: httpx.Client, server: SandboxServer
) -> None:
    response = ue.get(METERS, params={"userId": "101"})
    assert len(response.json()["meters"]) == 40  # as a real API ignoring it would answer
    assert "query parameter 'userId' ignored" in server.state.requests.entries()[-1].notes


# Meter types: create, conflicts, validation


def test_create_meter_type_answers_201_and_lists_it(
    ue: httpx.Client, server: SandboxServer
) -> None:
    body = meter_type_body()
    del body["timezone"]
    response = ue.post(METER_TYPES, json=body)
    assert response.status_code == 201
    created = response.json()
    uuid.UUID(created["id"])
    assert created["accountId"] == account(server).account_id
    assert {k: created[k] for k in body} == body
    assert created["timezone"] == "Etc/UTC"
    assert created["numberOfMeters"] == 0
    assert created["activeFrom"] == created["createdAt"] == created["updatedAt"]
    assert ue.get(f"{METER_TYPES}/{created['id']}").json() == created
    assert ue.get(METER_TYPES, params={"name": "Pay-Per-Scan"}).json() == {"meterTypes": [created]}
    assert len(account(server).meter_types) == 7


@pytest.mark.parametrize("name", ["Pay-Per-Print", "PAY-PER-PRINT"])
def test_duplicate_meter_type_name_answers_409(ue: httpx.Client, name: str) -> None:
    response = ue.post(METER_TYPES, json=meter_type_body(name))
    assert response.status_code == 409
    assert response.json() == {"message": "Meter type with name 'Pay-Per-Print' already exists"}


@pytest.mark.parametrize("options", [ue_options_of(names_ignore_case=False)])
def test_names_differing_in_case_may_be_allowed(ue: httpx.Client) -> None:
    assert ue.post(METER_TYPES, json=meter_type_body("PAY-PER-PRINT")).status_code == 201


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "name must be a non-empty string, got null"),
        ({"name": "  "}, 'name must be a non-empty string, got "  "'),
        (
            {"aggregation": {"type": "max"}},
            'aggregation.type must be one of sum, increment, got "max"',
        ),
        (
            {"aggregation": "sum"},
            'aggregation must be an object such as {"type": "sum"}, got "sum"',
        ),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone must be an IANA time zone name"),
        ({"activeFrom": "2025-01-15"}, "activeFrom must be an ISO-8601 date-time with an offset"),
        ({"capacity": -1}, "capacity must be a number of 0 or more, got -1"),
        ({"thresholds": [{"name": "x"}]}, "thresholds[0] needs exactly one of"),
        (
            {"activeFrom": "2025-02-01T00:00:00Z", "activeTo": "2025-01-01T00:00:00Z"},
            "activeTo must be after activeFrom",
        ),
    ],
)
def test_meter_type_validation(
    ue: httpx.Client, server: SandboxServer, change: dict[str, Any], message: str
) -> None:
    response = ue.post(METER_TYPES, json=meter_type_body(**change))
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert len(account(server).meter_types) == 6


@pytest.mark.parametrize(
    ("part", "value"),
    [("day", "32"), ("hour", "24"), ("minute", "L"), ("weekday", "mon"), ("month", 1)],
)
def test_reset_schedule_fields_are_cron_like(ue: httpx.Client, part: str, value: Any) -> None:
    schedule = {"minute": "0", "hour": "0", "day": "1", "month": "*", "weekday": "*", part: value}
    response = ue.post(METER_TYPES, json=meter_type_body(resetSchedule=schedule))
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"resetSchedule.{part} must be a cron field")


def test_reset_schedule_accepts_last_day_ranges_and_steps(ue: httpx.Client) -> None:
    schedule = {"minute": "*/15", "hour": "8-17", "day": "L", "month": "1,7", "weekday": "*"}
    response = ue.post(METER_TYPES, json=meter_type_body(resetSchedule=schedule))
    assert response.status_code == 201
    assert response.json()["resetSchedule"] == schedule


@pytest.mark.parametrize("missing", ["name", "unit", "aggregation", "resetSchedule"])
def test_required_meter_type_fields(ue: httpx.Client, missing: str) -> None:
    body = meter_type_body()
    del body[missing]
    response = ue.post(METER_TYPES, json=body)
    assert response.status_code == 400
    assert response.json() == {"message": f"{missing} is required"}


@pytest.mark.parametrize("options", [ue_options_of(aggregation_types=("sum", "increment", "max"))])
def test_more_aggregation_types_can_be_allowed(ue: httpx.Client) -> None:
    response = ue.post(METER_TYPES, json=meter_type_body(aggregation={"type": "max"}))
    assert response.status_code == 201


def test_read_only_and_unknown_fields_are_ignored_and_noted(
    ue: httpx.Client, server: SandboxServer
) -> None:
    body = meter_type_body(id="mine", numberOfMeters=99, colour="blue")
    created = ue.post(METER_TYPES, json=body).json()
    assert created["id"] != "mine"
    assert created["numberOfMeters"] == 0
    assert "colour" not in created
    notes = server.state.requests.entries()[-1].notes
    assert "read-only field 'id' ignored" in notes
    assert "unknown field 'colour' ignored" in notes
    ue_opts(server).unknown_fields = "reject"
    rejected = ue.post(METER_TYPES, json=meter_type_body("Other", colour="blue"))
    assert rejected.status_code == 400
    assert rejected.json() == {"message": "Unknown field 'colour'"}


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b'[{"name": "x"}]', "application/json", "The request body must be a JSON object"),
        (b'{"name": ', "application/json", "The request body is not valid JSON"),
        (b'{"name": "x"}', "text/plain", "Content-Type must be application/json"),
    ],
)
def test_body_must_be_one_json_object(
    ue: httpx.Client, content: bytes, content_type: str, message: str
) -> None:
    response = ue.post(METER_TYPES, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json() == {"message": message}


@pytest.mark.parametrize("options", [ue_options_of(max_body_bytes=2_000)])
def test_oversized_body_answers_413_and_changes_nothing(
    ue: httpx.Client, server: SandboxServer
) -> None:
    body = meter_type_body(description="x" * 2_000)
    response = ue.post(METER_TYPES, json=body)
    assert response.status_code == 413
    assert response.json() == {"message": "Request body too large"}
    assert len(account(server).meter_types) == 6
    assert ue.post(METER_TYPES, json=meter_type_body()).status_code == 201


# Meter types: update and delete


@pytest.mark.parametrize(
    ("method", "options"),
    [("PATCH", ue_options_of()), ("PUT", ue_options_of(update_methods=("PUT", "PATCH")))],
)
def test_update_meter_type_changes_only_what_is_sent(
    ue: httpx.Client, server: SandboxServer, method: str
) -> None:
    before = ue.get(f"{METER_TYPES}/{type_named(server, 'Pay-Per-Print')['id']}").json()
    response = ue.request(method, f"{METER_TYPES}/{before['id']}", json={"unit": "pages"})
    assert response.status_code == 200
    after = response.json()
    assert after["unit"] == "pages"
    assert after["updatedAt"] != before["updatedAt"]
    unchanged = {k: v for k, v in before.items() if k not in ("unit", "updatedAt")}
    assert {k: after[k] for k in unchanged} == unchanged


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Pay-Per-Page"),
        ("description", "Pages"),
        ("aggregation", {"type": "increment"}),
        ("capacity", 5),
    ],
)
def test_a_field_the_docs_do_not_list_as_editable_is_refused(
    ue: httpx.Client, server: SandboxServer, field: str, value: Any
) -> None:
    record = type_named(server, "Pay-Per-Print")
    before = dict(record)
    refused = ue.patch(f"{METER_TYPES}/{record['id']}", json={field: value, "unit": "pages"})
    assert refused.status_code == 400
    assert refused.json() == {
        "message": f"{field} of a meter type cannot be changed; editable fields: externalRef, "
        "unit, resetSchedule, category, activeFrom, activeTo, timezone"
    }
    assert type_named(server, "Pay-Per-Print") == before  # nothing changed, unit neither


def test_a_whole_record_sent_back_unchanged_but_for_editable_fields_is_accepted(
    ue: httpx.Client, server: SandboxServer
) -> None:
    record = ue.get(f"{METER_TYPES}/{type_named(server, 'Pay-Per-Print')['id']}").json()
    response = ue.patch(f"{METER_TYPES}/{record['id']}", json={**record, "category": "Print"})
    assert response.status_code == 200
    assert response.json()["category"] == "Print"


@pytest.mark.parametrize("options", [ue_options_of(editable_meter_type_fields=None)])
def test_update_to_a_taken_name_answers_409(ue: httpx.Client, server: SandboxServer) -> None:
    type_id = type_named(server, "SMS Messages")["id"]
    response = ue.patch(f"{METER_TYPES}/{type_id}", json={"name": "Pay-Per-Print"})
    assert response.status_code == 409
    assert ue.patch(f"{METER_TYPES}/{type_id}", json={"name": "SMS messages"}).status_code == 200


def test_unset_optional_field_disappears(ue: httpx.Client, server: SandboxServer) -> None:
    type_id = type_named(server, "Pay-Per-Print")["id"]
    response = ue.patch(f"{METER_TYPES}/{type_id}", json={"externalRef": None})
    assert "externalRef" not in response.json()
    assert ue.patch(f"{METER_TYPES}/{type_id}", json={"unit": None}).status_code == 400


def test_updates_are_patch_by_default_and_put_is_a_switch(
    ue: httpx.Client, server: SandboxServer
) -> None:
    type_id = type_named(server, "Pay-Per-Print")["id"]
    refused = ue.put(f"{METER_TYPES}/{type_id}", json={"unit": "x"})
    assert refused.status_code == 405
    assert refused.json() == {"message": "Method not allowed"}
    assert refused.headers["allow"] == "DELETE, GET, PATCH"
    assert ue.patch(f"{METER_TYPES}/{type_id}", json={"unit": "x"}).status_code == 200
    ue_opts(server).update_methods = ("PUT", "PATCH")
    assert ue.put(f"{METER_TYPES}/{type_id}", json={"unit": "y"}).status_code == 200


def test_meter_type_in_use_cannot_be_deleted(ue: httpx.Client, server: SandboxServer) -> None:
    type_id = type_named(server, "Pay-Per-Print")["id"]
    refused = ue.delete(f"{METER_TYPES}/{type_id}")
    assert refused.status_code == 409
    assert "still has" in refused.json()["message"]
    for meter in ue.get(METERS, params={"meterTypeId": type_id}).json()["meters"]:
        assert ue.delete(f"{METERS}/{meter['id']}").status_code == 204
    deleted = ue.delete(f"{METER_TYPES}/{type_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert ue.get(f"{METER_TYPES}/{type_id}").status_code == 404


@pytest.mark.parametrize("options", [ue_options_of(delete_meter_type_in_use="cascade")])
def test_cascading_delete_removes_the_meters(ue: httpx.Client, server: SandboxServer) -> None:
    type_id = type_named(server, "Pay-Per-Print")["id"]
    assert ue.delete(f"{METER_TYPES}/{type_id}").status_code == 204
    assert ue.get(METERS, params={"meterTypeId": type_id}).json() == {"meters": []}


# Meters


def meter_body(server: SandboxServer, **extra: Any) -> dict[str, Any]:
    return {
        "userId": "990",
        "meterKey": "dd11e0a0-1381-11ef-9a8f-cdc91c56d42c",
        "meterTypeId": type_named(server, "Pay-Per-Print")["id"],
        "customFields": {"model": "MPS-Plus", "department": "Research"},
        **extra,
    }


def test_create_meter_then_duplicate_answers_409(ue: httpx.Client, server: SandboxServer) -> None:
    body = meter_body(server)
    response = ue.post(METERS, json=body)
    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in body} == body
    assert created["deleteOnReset"] is False
    assert ue.get(f"{METERS}/{created['id']}").json() == created
    duplicate = ue.post(METERS, json={**body, "customFields": {}})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["message"]
    assert ue.post(METERS, json={**body, "userId": "991"}).status_code == 201
    assert ue.get(f"{METER_TYPES}/{body['meterTypeId']}").json()["numberOfMeters"] == (
        sum(1 for m in account(server).meters.values() if m["meterTypeId"] == body["meterTypeId"])
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"userId": None}, "userId is required"),
        ({"meterKey": None}, "meterKey is required"),
        ({"userId": 101}, "userId must be a non-empty string, got 101"),
        ({"meterTypeId": "no-such-type"}, "meterTypeId no-such-type does not refer to"),
        ({"customFields": {"a": {"b": 1}}}, "customFields must be an object of plain values"),
        ({"deleteOnReset": "yes"}, 'deleteOnReset must be true or false, got "yes"'),
    ],
)
def test_meter_validation(
    ue: httpx.Client, server: SandboxServer, change: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in (meter_body(server) | change).items() if v is not None}
    response = ue.post(METERS, json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert len(account(server).meters) == 40


def test_update_meter_delete_on_reset_but_not_its_identity(
    ue: httpx.Client, server: SandboxServer
) -> None:
    meter = next(iter(account(server).meters.values()))
    response = ue.patch(
        f"{METERS}/{meter['id']}", json={"deleteOnReset": not meter["deleteOnReset"]}
    )
    assert response.status_code == 200
    assert response.json()["deleteOnReset"] is account(server).meters[meter["id"]]["deleteOnReset"]
    same_key = ue.patch(f"{METERS}/{meter['id']}", json={"meterKey": meter["meterKey"]})
    assert same_key.status_code == 200
    moved = ue.patch(f"{METERS}/{meter['id']}", json={"meterKey": "another"})
    assert moved.status_code == 400
    assert moved.json()["message"].startswith("meterKey of a meter cannot be changed")


def test_a_meter_refuses_new_custom_fields_but_takes_them_back_unchanged(
    ue: httpx.Client, server: SandboxServer
) -> None:
    meter = next(m for m in account(server).meters.values() if m["customFields"])
    custom = dict(meter["customFields"])
    refused = ue.patch(f"{METERS}/{meter['id']}", json={"customFields": {**custom, "x": "1"}})
    assert refused.status_code == 400
    assert refused.json() == {
        "message": "customFields of a meter cannot be changed; editable fields: deleteOnReset"
    }
    assert account(server).meters[meter["id"]]["customFields"] == custom
    sent_back = ue.patch(
        f"{METERS}/{meter['id']}", json={"customFields": custom, "deleteOnReset": True}
    )
    assert sent_back.status_code == 200
    ue_opts(server).editable_meter_fields = None
    assert ue.patch(f"{METERS}/{meter['id']}", json={"customFields": {}}).status_code == 200


def test_delete_meter_then_404(ue: httpx.Client, server: SandboxServer) -> None:
    meter_id = next(iter(account(server).meters))
    assert ue.delete(f"{METERS}/{meter_id}").status_code == 204
    assert ue.get(f"{METERS}/{meter_id}").status_code == 404
    assert ue.delete(f"{METERS}/{meter_id}").status_code == 404
    assert len(ue.get(METERS).json()["meters"]) == 39


# Paths, methods, gateway


def test_unknown_paths_and_methods_answer_json(ue: httpx.Client) -> None:
    assert ue.get("/usage-metering/v1/nothing").json() == {"message": "Not found"}
    assert ue.get(METER_TYPES + "/").status_code == 404  # no redirect, as at a gateway
    refused = ue.delete(METER_TYPES)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, POST"


def test_reset_restores_the_seeded_account(ue: httpx.Client, server: SandboxServer) -> None:
    before = {k: dict(v) for k, v in account(server).meter_types.items()}
    ue.post(METER_TYPES, json=meter_type_body())
    server.state.reset()
    assert account(server).meter_types == before
    assert len(account(server).tokens) == 0


@pytest.mark.parametrize(
    "options", [SandboxOptions(halo_clients=3, rate_window=RateWindow(2, 60), retry_after=True)]
)
def test_shared_rate_limit_answers_json_429(server: SandboxServer) -> None:
    token = fetch_ue_token(server)  # 1 of 2
    with ue_client(server, token) as client:
        assert client.get(METER_TYPES).status_code == 200
        limited = client.get(METER_TYPES)
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too many requests"}
        assert int(limited.headers["Retry-After"]) >= 1


def test_injected_faults_answer_json_and_change_nothing(
    ue: httpx.Client, server: SandboxServer
) -> None:
    server.options.fail_rate = 1.0
    response = ue.post(METER_TYPES, json=meter_type_body())
    assert response.status_code in (500, 502, 503)
    assert "message" in response.json()
    assert len(account(server).meter_types) == 6
