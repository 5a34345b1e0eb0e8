"""Usage Engine targets over MockTransport: a token with credentials and audience in the
body, meter types by name (cron-like schedules, whole-record updates), meters by a
composite key naming their meter type by id or by name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.plan import plan_rows
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.errors import AuthFailed, ConfigError
from rowpush.http.client import build_client
from rowpush.model import Action, Change, RawRow, Status
from rowpush.targets.base import ExportOptions, Target
from rowpush.targets.usage_engine import (
    USAGE_ENGINE,
    MeterKey,
    UsageEngine,
    UsageEngineMeters,
    UsageEngineMeterTypes,
    canonical_time,
)

BASE = "https://api.ue.test"
PRINT_ID = "645ed240-02b5-400c-9a3c-21857e8f2ac4"
API_ID = "7a0c1111-0000-4000-8000-000000000002"


def _conn(**extra: str) -> Connection:
    settings = {"client_id": "ue-id", "client_secret": "ue-secret", "base_url": BASE, **extra}
    return Connection("ue", "usage-engine", settings)


class FakeUsageEngine:
    """The vendor's side, as the notes describe it, recording what it was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.meter_types: list[dict[str, Any]] = [
            {
                "id": PRINT_ID,
                "accountId": "acc-1",
                "name": "Pay-Per-Print",
                "description": "Sheets printed",
                "unit": "sheets",
                "category": "Printing",
                "aggregation": {"type": "sum"},
                "resetSchedule": {"minute": "0", "hour": "0", "day": "1", "month": "*"},
                "timezone": "Etc/UTC",
                "activeFrom": "2025-01-15T10:00:00.000+00:00",
                "thresholds": [{"name": "warn", "capacityPercentage": 80}],
                "numberOfMeters": 1,
                "createdAt": "2025-01-15T10:00:00.000+00:00",
                "updatedAt": "2025-01-15T10:00:00.000+00:00",
            },
            {"id": API_ID, "name": "API Requests", "aggregation": {"type": "increment"}},
        ]
        self.meters: list[dict[str, Any]] = [
            {
                "id": "m-1",
                "userId": "101",
                "meterKey": "dd11",
                "meterTypeId": PRINT_ID,
                "deleteOnReset": False,
                "customFields": {"model": "MPS-Plus", "pages": 40},
            }
        ]
        self.answers: dict[tuple[str, str], httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/authentication/v1/oauth/token":
            return httpx.Response(
                200, json={"access_token": "jwt", "expires_in": 3600, "token_type": "Bearer"}
            )
        if request.headers.get("Authorization") != "Bearer jwt":
            return httpx.Response(401, json={"message": "Unauthorized"})
        if (request.method, path) in self.answers:
            return self.answers[(request.method, path)]
        if request.method == "GET" and path == "/usage-metering/v1/meter-types":
            return httpx.Response(200, json={"meterTypes": self.meter_types})
        if request.method == "GET" and path == "/usage-metering/v1/meters":
            params = request.url.params
            found = [
                m
                for m in self.meters
                if all(m[k] == params[k] for k in ("meterTypeId", "meterKey") if k in params)
            ]
            return httpx.Response(200, json={"meters": found})
        if request.method == "POST":
            return httpx.Response(201, json={"id": "new-1", **json.loads(request.content)})
        if request.method in ("PUT", "PATCH"):
            return httpx.Response(200, json={"id": path.rsplit("/", 1)[-1]})
        return httpx.Response(404, json={"message": "Not found"})

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


async def _no_sleep(seconds: float) -> None:
    return None


def _client(conn: Connection, server: Callable[[httpx.Request], httpx.Response]) -> Any:
    return build_client(
        USAGE_ENGINE.base_url(conn),
        auth=USAGE_ENGINE.auth(conn),
        transport=httpx.MockTransport(server),
        sleep=_no_sleep,
    )


def _export(target: Target, server: FakeUsageEngine) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        assert target.conn is not None
        async with _client(target.conn, server) as client:
            fields = list(type(target).Row.model_fields)
            return [r async for r in target.iter_live(client, fields, ExportOptions())]

    return asyncio.run(go())


def _plan(target: Target, server: FakeUsageEngine, rows: list[dict[str, str]]) -> list[Change]:
    hmap = map_headers(type(target), list(rows[0]), "u.csv")
    assert not hmap.errors
    assert not hmap.warnings
    raw = [RawRow(n, cells) for n, cells in enumerate(rows, start=2)]

    async def go() -> list[Change]:
        assert target.conn is not None
        async with _client(target.conn, server) as client:
            await target.load_reference(client)
            valid = validate_rows(type(target), hmap, raw, "u.csv")
            return [c async for c in plan_rows(target, client, valid, hmap, "u.csv")]

    return asyncio.run(go())


def _send(target: Target, server: FakeUsageEngine, change: Change) -> Any:
    async def go() -> Any:
        assert target.conn is not None
        async with _client(target.conn, server) as client:
            return await target.send(client, [change])

    return asyncio.run(go())


# -- auth --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "audience"),
    [({}, "https://api.ue.test/"), ({"audience": "https://api.digitalroute.io/"}, None)],
)
def test_token_sends_credentials_and_audience_in_a_json_body(
    settings: dict[str, str], audience: str | None
) -> None:
    server = FakeUsageEngine()
    _export(UsageEngineMeterTypes(_conn(**settings)), server)
    token, listing = server.requests
    assert str(token.url) == "https://api.ue.test/authentication/v1/oauth/token"
    assert "Authorization" not in token.headers  # no Basic header: the body carries them
    assert json.loads(token.content) == {
        "grant_type": "client_credentials",
        "client_id": "ue-id",
        "client_secret": "ue-secret",
        "audience": audience or settings["audience"],
    }
    assert listing.headers["Authorization"] == "Bearer jwt"


def test_a_refused_list_names_the_call_and_the_message() -> None:
    server = FakeUsageEngine()
    server.answers[("GET", "/usage-metering/v1/meter-types")] = httpx.Response(
        403, json={"message": "Missing scope read:meter_types"}
    )
    with pytest.raises(AuthFailed) as caught:
        _export(UsageEngineMeterTypes(_conn()), server)
    assert caught.value.message == (
        "Usage Engine refused to list meterTypes: HTTP 403 at /usage-metering/v1/meter-types: "
        "Missing scope read:meter_types"
    )


def test_update_method_is_put_or_patch() -> None:
    assert UsageEngine.update_method(_conn(update_method="patch")) == "PATCH"
    with pytest.raises(ConfigError, match="update_method must be"):
        UsageEngine.update_method(_conn(update_method="POST"))


# -- meter types -------------------------------------------------------------------------


def test_meter_types_export_as_flat_columns() -> None:
    first, second = _export(UsageEngineMeterTypes(_conn()), FakeUsageEngine())
    assert first["aggregation"] == "sum"
    assert first["resetSchedule"] == "0 0 1 * *"  # a missing weekday is "*"
    assert first["activeFrom"] == "2025-01-15T10:00:00.000+00:00"
    assert (second["name"], second["aggregation"], second["resetSchedule"]) == (
        "API Requests",
        "increment",
        None,
    )


def test_an_exported_meter_type_plans_unchanged_even_written_differently() -> None:
    row = {
        "name": "Pay-Per-Print",
        "aggregation": "SUM",
        "resetSchedule": "0  0 1 * *",
        "activeFrom": "2025-01-15 10:00:00",
        "id": PRINT_ID,
    }
    (change,) = _plan(UsageEngineMeterTypes(_conn()), FakeUsageEngine(), [row])
    assert change.action is Action.UNCHANGED


def test_a_new_meter_type_is_created_with_api_shaped_fields() -> None:
    row = {
        "name": "Storage",
        "unit": "GB-hours",
        "aggregation": "sum",
        "resetSchedule": "59 23 L * *",
        "timezone": "Europe/London",
        "capacity": "100",
    }
    (change,) = _plan(UsageEngineMeterTypes(_conn()), FakeUsageEngine(), [row])
    assert change.action is Action.CREATE
    assert change.payload == {
        "name": "Storage",
        "unit": "GB-hours",
        "aggregation": {"type": "sum"},
        "resetSchedule": {"minute": "59", "hour": "23", "day": "L", "month": "*", "weekday": "*"},
        "timezone": "Europe/London",
        "capacity": 100,
    }
    server = FakeUsageEngine()
    (outcome,) = _send(UsageEngineMeterTypes(_conn()), server, change)
    (post,) = server.sent("POST", "/usage-metering/v1/meter-types")
    assert json.loads(post.content) == change.payload
    assert post.extensions["rowpush.idempotent"] is False
    assert (outcome.status, outcome.remote_id) == (Status.CREATED, "new-1")


def test_a_new_meter_type_needs_a_unit_and_an_aggregation() -> None:
    (change,) = _plan(UsageEngineMeterTypes(_conn()), FakeUsageEngine(), [{"name": "Bare"}])
    assert change.action is Action.INVALID
    assert [e.problem for e in change.errors] == [
        "unit is needed to create meter type 'Bare'",
        "aggregation is needed to create meter type 'Bare'",
    ]


def test_an_update_puts_the_whole_record_without_read_only_fields() -> None:
    row = {"name": "Pay-Per-Print", "description": "Pages printed", "capacity": "500"}
    (change,) = _plan(UsageEngineMeterTypes(_conn()), FakeUsageEngine(), [row])
    assert change.action is Action.UPDATE
    assert change.fields == {
        "description": ("Sheets printed", "Pages printed"),
        "capacity": (None, 500),
    }
    body = change.payload["body"]
    assert change.payload["id"] == PRINT_ID
    assert body["description"] == "Pages printed"
    assert body["capacity"] == 500
    assert body["thresholds"] == [{"name": "warn", "capacityPercentage": 80}]  # kept
    assert not {"id", "accountId", "numberOfMeters", "createdAt", "updatedAt"} & set(body)
    server = FakeUsageEngine()
    (outcome,) = _send(UsageEngineMeterTypes(_conn()), server, change)
    (put,) = server.sent("PUT", f"/usage-metering/v1/meter-types/{PRINT_ID}")
    assert json.loads(put.content) == body
    assert (outcome.status, outcome.remote_id) == (Status.UPDATED, PRINT_ID)


def test_patch_sends_only_the_changes() -> None:
    row = {"name": "Pay-Per-Print", "description": "Pages printed"}
    target = UsageEngineMeterTypes(_conn(update_method="PATCH"))
    (change,) = _plan(target, FakeUsageEngine(), [row])
    assert change.payload == {"id": PRINT_ID, "body": {"description": "Pages printed"}}
    server = FakeUsageEngine()
    _send(target, server, change)
    assert server.sent("PATCH", f"/usage-metering/v1/meter-types/{PRINT_ID}")


def test_a_duplicate_name_is_refused_once_with_the_api_message() -> None:
    server = FakeUsageEngine()
    server.answers[("POST", "/usage-metering/v1/meter-types")] = httpx.Response(
        409, json={"message": "Meter type with name 'X' already exists"}
    )
    change = Change(2, Action.CREATE, "X", payload={"name": "X"})
    (outcome,) = _send(UsageEngineMeterTypes(_conn()), server, change)
    assert len(server.sent("POST", "/usage-metering/v1/meter-types")) == 1
    assert (outcome.status, outcome.http_status) == (Status.FAILED, 409)
    assert outcome.message == "Meter type with name 'X' already exists"


def test_bad_schedules_zones_and_times_are_row_errors() -> None:
    row = {"name": "T", "resetSchedule": "0 0 1", "timezone": "Mars/Olympus", "activeTo": "soon"}
    (change,) = _plan(UsageEngineMeterTypes(_conn()), FakeUsageEngine(), [row])
    assert sorted(e.header or "" for e in change.errors) == [
        "activeTo",
        "resetSchedule",
        "timezone",
    ]


def test_canonical_time_is_utc_with_milliseconds() -> None:
    assert canonical_time("2025-01-15T11:00:00.5+01:00") == "2025-01-15T10:00:00.500+00:00"


# -- meters ------------------------------------------------------------------------------

METER = {"meterType": "Pay-Per-Print", "meterTypeId": "", "meterKey": "dd11", "userId": "101"}


def test_a_meter_is_keyed_by_its_type_key_and_user() -> None:
    assert UsageEngineMeters.key_of(METER) == MeterKey("Pay-Per-Print", "dd11", "101")
    assert UsageEngineMeters.key_of({**METER, "meterTypeId": PRINT_ID})[0] == PRINT_ID
    assert str(MeterKey("Pay-Per-Print", "dd11", "101")) == "dd11 of user 101 (Pay-Per-Print)"


def test_meters_export_with_their_type_name_and_custom_fields() -> None:
    target = UsageEngineMeters(_conn())
    server = FakeUsageEngine()
    (meter,) = _export(target, server)
    assert meter == {
        "meterTypeId": PRINT_ID,
        "meterType": "Pay-Per-Print",
        "meterKey": "dd11",
        "userId": "101",
        "deleteOnReset": False,
        "custom.model": "MPS-Plus",
        "custom.pages": "40",
    }

    async def extra() -> list[str]:
        async with _client(_conn(), server) as client:
            return await target.export_extra_headers(client)

    assert asyncio.run(extra()) == ["custom.model", "custom.pages"]


def test_a_meter_named_by_type_name_is_found_by_its_type_id_and_key() -> None:
    server = FakeUsageEngine()
    rows = [{**METER, "custom.model": "MPS-Plus"}, {**METER, "meterTypeId": PRINT_ID}]
    named, by_id = _plan(UsageEngineMeters(_conn()), server, rows)
    assert named.action is by_id.action is Action.UNCHANGED
    lookups = [dict(r.url.params) for r in server.sent("GET", "/usage-metering/v1/meters")]
    assert {"meterTypeId": PRINT_ID, "meterKey": "dd11"} in lookups


def test_a_new_meter_resolves_its_type_name_to_an_id() -> None:
    row = {**METER, "meterType": "API Requests", "userId": "202", "custom.model": "X1"}
    (change,) = _plan(UsageEngineMeters(_conn()), FakeUsageEngine(), [row])
    assert change.action is Action.CREATE
    assert change.payload == {
        "userId": "202",
        "meterKey": "dd11",
        "meterTypeId": API_ID,
        "customFields": {"model": "X1"},
    }


def test_a_meter_update_merges_custom_fields_and_keeps_numbers_numeric() -> None:
    row = {**METER, "deleteOnReset": "TRUE", "custom.pages": "41"}
    (change,) = _plan(UsageEngineMeters(_conn()), FakeUsageEngine(), [row])
    assert change.action is Action.UPDATE
    assert change.fields == {"deleteOnReset": (False, True), "custom.pages": ("40", "41")}
    assert change.payload == {
        "id": "m-1",
        "body": {
            "userId": "101",
            "meterKey": "dd11",
            "meterTypeId": PRINT_ID,
            "deleteOnReset": True,
            "customFields": {"model": "MPS-Plus", "pages": 41},
        },
    }
    server = FakeUsageEngine()
    _send(UsageEngineMeters(_conn()), server, change)
    (put,) = server.sent("PUT", "/usage-metering/v1/meters/m-1")
    assert json.loads(put.content) == change.payload["body"]


@pytest.mark.parametrize(
    ("cells", "header", "problem"),
    [
        ({"meterType": "Nope"}, "meterType", "no Usage Engine meter type is named 'Nope'"),
        ({"meterTypeId": "x-1"}, "meterTypeId", "no Usage Engine meter type has id 'x-1'"),
        (
            {"meterTypeId": API_ID},
            "meterType",
            f"meter type {API_ID} is named 'API Requests'",
        ),
    ],
)
def test_a_meter_type_that_does_not_match_is_a_row_error(
    cells: dict[str, str], header: str, problem: str
) -> None:
    (change,) = _plan(UsageEngineMeters(_conn()), FakeUsageEngine(), [{**METER, **cells}])
    assert change.action is Action.INVALID
    assert [(e.header, e.problem) for e in change.errors] == [(header, problem)]


def test_a_meter_needs_its_type_key_and_user() -> None:
    (change,) = _plan(
        UsageEngineMeters(_conn()), FakeUsageEngine(), [{**METER, "meterType": "", "userId": ""}]
    )
    assert change.action is Action.INVALID
    assert change.errors[0].problem == (
        "userId and meterTypeId or meterType are needed: they identify the meter"
    )


def test_the_same_meter_again_is_an_error_on_the_later_row() -> None:
    first, again = _plan(UsageEngineMeters(_conn()), FakeUsageEngine(), [METER, METER])
    assert first.action is not Action.INVALID
    assert again.action is Action.INVALID
    assert again.errors[0].problem == (
        "meterKey dd11 of user 101 (Pay-Per-Print) appears again (first on row 2)"
    )


def test_many_meters_of_one_type_are_listed_once() -> None:
    server = FakeUsageEngine()
    rows = [{**METER, "userId": str(n)} for n in range(100, 130)]
    changes = _plan(UsageEngineMeters(_conn()), server, rows)
    assert [c.action for c in changes].count(Action.UNCHANGED) == 1  # user 101 exists
    lookups = server.sent("GET", "/usage-metering/v1/meters")
    assert [dict(r.url.params) for r in lookups] == [{"meterTypeId": PRINT_ID}]
