"""m3ter targets over MockTransport: measurement payloads and checks, account merges."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.plan import plan_row
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.http.client import build_client
from rowpush.model import Action, RawRow
from rowpush.targets.m3ter import M3terAccounts, M3terMeasurements

ORG = "8f0b6c2e-0000-4000-8000-000000000001"


def _conn(**extra: str) -> Connection:
    settings = {
        "org_id": ORG,
        "access_key_id": "k",
        "api_secret": "s",
        "base_url": "https://api.m3ter.test",
        "ingest_url": "https://ingest.m3ter.test",
        **extra,
    }
    return Connection("m3", "m3ter", settings)


METERS = [
    {
        "code": "api_calls",
        "dataFields": [
            {"category": "WHO", "code": "user_id"},
            {"category": "MEASURE", "code": "requests"},
        ],
        "derivedFields": [{"category": "MEASURE", "code": "billable", "calculation": "requests"}],
    },
]
ACCOUNTS = [
    {
        "id": "a-1",
        "version": 3,
        "code": "ACME-001",
        "name": "Acme",
        "emailAddress": "b@acme.test",
        "currency": "USD",
        "customFields": {"crmId": "0015", "tier": 2},
        "dtCreated": "2025-01-01",
    },
]


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/oauth/token"):
        return httpx.Response(200, json={"access_token": "t", "expires_in": 18000})
    if request.url.path.endswith("/meters"):
        return httpx.Response(200, json={"data": METERS})
    if request.url.path.endswith("/accounts"):
        return httpx.Response(200, json={"data": ACCOUNTS})
    return httpx.Response(404, json={"message": "no"})


def _plan(target: Any, headers: list[str], cells: dict[str, str]) -> Any:
    async def load() -> None:
        client = build_client("https://api.m3ter.test", transport=httpx.MockTransport(_handler))
        async with client:
            await target.load_reference(client)
            if target.key:
                target.live = await target.fetch_live(client, ["ACME-001"], [])

    asyncio.run(load())
    hmap = map_headers(type(target), headers, "m.csv")
    assert not hmap.warnings, hmap.warnings
    (row,) = validate_rows(type(target), hmap, [RawRow(2, cells)], "m.csv")
    return plan_row(target, row, getattr(target, "live", {}), hmap, "m.csv")


MEASURE_HEADERS = ["meter", "account", "ts", "who.user_id", "measure.requests"]


def test_measurement_payload_has_categories_utc_time_and_a_stable_uid() -> None:
    cells = {
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": "2026-01-31 23:00:00",
        "who.user_id": "u-42",
        "measure.requests": "1250",
    }
    first = _plan(M3terMeasurements(_conn()), MEASURE_HEADERS, cells)
    again = _plan(M3terMeasurements(_conn()), MEASURE_HEADERS, cells)
    assert first.action is Action.CREATE
    body = first.payload
    assert body["ts"] == "2026-01-31T23:00:00Z"
    assert body["who"] == {"user_id": "u-42"}
    assert body["measure"] == {"requests": 1250}
    assert body["uid"] == again.payload["uid"]  # a re-run sends the same uid
    changed = _plan(
        M3terMeasurements(_conn()), MEASURE_HEADERS, {**cells, "measure.requests": "1251"}
    )
    assert changed.payload["uid"] != body["uid"]


def test_naive_times_follow_the_connection_timezone() -> None:
    cells = {
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": "2026-07-01 12:00:00",
        "measure.requests": "1",
    }
    change = _plan(M3terMeasurements(_conn(timezone="Europe/Paris")), MEASURE_HEADERS, cells)
    assert change.payload["ts"] == "2026-07-01T10:00:00Z"


@pytest.mark.parametrize(
    ("cells", "column", "problem"),
    [
        ({"meter": "api_callz"}, "A", "no m3ter meter has code 'api_callz'"),
        ({"account": "NOPE"}, "B", "no m3ter account has code 'NOPE'"),
        ({"measure.requests": "lots"}, "E", "'lots' is not a number"),
    ],
)
def test_measurements_are_checked_against_live_meters_and_accounts(
    cells: dict[str, str], column: str, problem: str
) -> None:
    base = {
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": "2026-01-31",
        "who.user_id": "u",
        "measure.requests": "1",
    }
    change = _plan(M3terMeasurements(_conn()), MEASURE_HEADERS, {**base, **cells})
    assert change.action is Action.INVALID
    assert [(e.column, e.problem) for e in change.errors] == [(column, problem)]


def test_unknown_data_field_of_the_meter_is_an_error() -> None:
    headers = ["meter", "account", "ts", "where.region"]
    cells = {"meter": "api_calls", "account": "ACME-001", "ts": "2026-01-31", "where.region": "eu"}
    change = _plan(M3terMeasurements(_conn()), headers, cells)
    assert change.errors[0].problem == "meter 'api_calls' has no WHERE field 'region'"


def test_a_missing_ts_names_its_column() -> None:
    change = _plan(
        M3terMeasurements(_conn()),
        MEASURE_HEADERS,
        {"meter": "api_calls", "account": "ACME-001", "ts": "", "measure.requests": "1"},
    )
    assert change.action is Action.INVALID
    assert (change.errors[0].column, change.errors[0].expected) == ("C", "a value")


def test_account_update_puts_the_whole_entity_with_its_version() -> None:
    target = M3terAccounts(_conn())
    change = _plan(
        target,
        ["code", "currency", "custom.tier"],
        {"code": "ACME-001", "currency": "eur", "custom.tier": "3"},
    )
    assert change.action is Action.UPDATE
    assert change.fields == {"currency": ("USD", "EUR"), "custom.tier": ("2", "3")}
    assert change.payload["id"] == "a-1"
    body = change.payload["body"]
    assert body["version"] == 3
    assert body["currency"] == "EUR"
    assert body["name"] == "Acme"  # kept: a PUT replaces what it is not given
    assert body["customFields"] == {"crmId": "0015", "tier": 3}
    assert "dtCreated" not in body


def test_account_unchanged_when_custom_number_matches() -> None:
    change = _plan(
        M3terAccounts(_conn()),
        ["code", "custom.tier", "custom.crmId"],
        {"code": "ACME-001", "custom.tier": "2", "custom.crmId": "0015"},
    )
    assert change.action is Action.UNCHANGED


def test_measurement_batches_go_to_the_ingest_host() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 18000})
        sent.append(request)
        return httpx.Response(200, json={"result": "accepted"})

    target = M3terMeasurements(_conn())
    from rowpush.model import Change

    change = Change(
        2,
        Action.CREATE,
        payload={"uid": "u1", "meter": "m", "account": "a", "ts": datetime(2026, 1, 1).isoformat()},
    )

    async def go() -> Any:
        client = build_client("https://api.m3ter.test", transport=httpx.MockTransport(handler))
        async with client:
            return await target.send(client, [change])

    (outcome,) = asyncio.run(go())
    assert sent[0].url == f"https://ingest.m3ter.test/organizations/{ORG}/measurements"
    assert json.loads(sent[0].content) == {"measurements": [change.payload]}
    assert outcome.remote_id == "u1"
    assert "accepted" in outcome.message


# -- meters: one row per field, rows sharing a code make one meter ------------------------

LIVE_METER = {
    "id": "m-1",
    "version": 4,
    "code": "api_calls",
    "name": "API calls",
    "productId": "p-1",
    "groupId": None,
    "customFields": {"owner": "platform"},
    "dtCreated": "2025-01-01",
    "dataFields": [
        {"category": "WHO", "code": "user_id", "name": "User"},
        {"category": "MEASURE", "code": "requests", "name": "Requests", "unit": "{request}"},
    ],
    "derivedFields": [],
}
METER_HEADERS = [
    "code",
    "name",
    "product",
    "kind",
    "category",
    "field_code",
    "field_name",
    "unit",
    "calculation",
]


def _plan_meters(rows: list[dict[str, str]]) -> list[Any]:
    from rowpush.engine.plan import plan_groups
    from rowpush.targets.m3ter import M3terMeters

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 18000})
        if request.url.path.endswith("/products"):
            return httpx.Response(
                200,
                json={
                    "data": [{"id": "p-1", "code": "platform"}, {"id": "p-2", "code": "storage"}]
                },
            )
        if request.url.path.endswith("/meters"):
            codes = request.url.params.get("codes", "").split(",")
            return httpx.Response(
                200, json={"data": [m for m in [LIVE_METER] if m["code"] in codes]}
            )
        return httpx.Response(404)

    target = M3terMeters(_conn())
    hmap = map_headers(M3terMeters, METER_HEADERS, "meters.csv")
    raws = [RawRow(n + 2, {h: r.get(h, "") for h in METER_HEADERS}) for n, r in enumerate(rows)]

    async def go() -> list[Any]:
        client = build_client("https://api.m3ter.test", transport=httpx.MockTransport(handler))
        async with client:
            await target.load_reference(client)
            valid = validate_rows(M3terMeters, hmap, raws, "meters.csv")
            return await plan_groups(target, client, valid, hmap, "meters.csv")

    return asyncio.run(go())


def _row(**cells: str) -> dict[str, str]:
    return {"code": "api_calls", **cells}


def test_unchanged_meter_rows_plan_unchanged() -> None:
    changes = _plan_meters(
        [
            _row(
                name="API calls",
                product="platform",
                category="WHO",
                field_code="user_id",
                field_name="User",
            ),
            _row(
                category="MEASURE", field_code="requests", field_name="Requests", unit="{request}"
            ),
        ]
    )
    assert [c.action for c in changes] == [Action.UNCHANGED, Action.UNCHANGED]
    assert changes[1].lead == 2


def test_added_removed_and_changed_fields_are_one_update_carried_by_the_first_row() -> None:
    changes = _plan_meters(
        [
            _row(name="API requests", category="MEASURE", field_code="requests", unit="{call}"),
            _row(category="WHERE", field_code="region", field_name="Region"),
        ]
    )
    lead, follower = changes
    assert lead.action is Action.UPDATE
    assert follower.lead == 2
    assert follower.payload == {}
    assert lead.fields == {
        "data field requests": (
            'MEASURE requests "Requests" [{request}]',
            'MEASURE requests "Requests" [{call}]',
        ),
        "data field region": (None, 'WHERE region "Region"'),
        "data field user_id": ('WHO user_id "User"', None),
        "name": ("API calls", "API requests"),
    }
    body = lead.payload["body"]
    assert lead.payload["id"] == "m-1"
    assert body["version"] == 4
    assert body["customFields"] == {"owner": "platform"}  # kept: PUT replaces the whole meter
    assert [f["code"] for f in body["dataFields"]] == ["requests", "region"]
    assert body["derivedFields"] == []


def test_meter_level_values_that_disagree_spoil_the_meter() -> None:
    changes = _plan_meters(
        [
            _row(name="API calls", category="WHO", field_code="user_id"),
            _row(name="Calls", category="MEASURE", field_code="requests"),
        ]
    )
    assert [c.action for c in changes] == [Action.INVALID, Action.INVALID]
    assert (
        changes[1].errors[0].problem
        == "meter api_calls: name 'Calls' here but 'API calls' on row 2"
    )
    assert changes[1].errors[0].column == "B"
    assert changes[0].errors[0].problem == "another row of the same record (row 3) is invalid"


def test_a_new_meter_is_a_create_with_its_fields() -> None:
    changes = _plan_meters(
        [
            {
                "code": "egress",
                "name": "Egress",
                "product": "storage",
                "category": "measure",
                "field_code": "gb",
                "unit": "GBy",
            },
        ]
    )
    (create,) = changes
    assert create.action is Action.CREATE
    assert create.payload == {
        "code": "egress",
        "name": "Egress",
        "productId": "p-2",
        "dataFields": [{"category": "MEASURE", "code": "gb", "name": "gb", "unit": "GBy"}],
        "derivedFields": [],
    }


def test_unknown_product_and_missing_calculation_are_row_errors() -> None:
    changes = _plan_meters(
        [
            {"code": "x", "name": "X", "product": "nope", "category": "MEASURE", "field_code": "a"},
            {"code": "x", "kind": "derived", "category": "MEASURE", "field_code": "b"},
        ]
    )
    assert changes[0].errors[0].problem == "no m3ter product has code 'nope'"
    assert changes[1].errors[0].problem == "a derived field needs a calculation"


def test_a_derived_field_in_a_measurement_is_an_error() -> None:
    headers = ["meter", "account", "ts", "measure.billable"]
    cells = {
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": "2026-01-31",
        "measure.billable": "3",
    }
    change = _plan(M3terMeasurements(_conn()), headers, cells)
    assert change.action is Action.INVALID
    assert change.errors[0].problem == "meter 'api_calls' has no MEASURE field 'billable'"


@pytest.mark.parametrize("category", ["MEASURE", "INCOME", "COST"])
def test_a_numeric_field_without_a_unit_is_a_plan_error(category: str) -> None:
    changes = _plan_meters(
        [
            {"code": "egress", "name": "Egress", "category": "WHERE", "field_code": "region"},
            {"code": "egress", "category": category.lower(), "field_code": "gb"},
        ]
    )
    assert [c.action for c in changes] == [Action.INVALID, Action.INVALID]
    (error,) = changes[1].errors
    assert (error.row, error.column) == (3, "H")  # the unit column
    assert error.problem == (
        f"meter egress: the {category} field 'gb' needs a unit (m3ter requires one for "
        "MEASURE, INCOME and COST fields); write a UCUM unit such as {request}, GiBy or h"
    )


def test_a_derived_numeric_field_without_a_unit_is_a_plan_error() -> None:
    changes = _plan_meters(
        [
            _row(category="WHO", field_code="user_id"),
            _row(category="MEASURE", field_code="requests"),
            _row(kind="derived", category="MEASURE", field_code="twice", calculation="requests*2"),
        ]
    )
    assert [e.problem.split(" needs")[0] for e in changes[2].errors] == [
        "meter api_calls: the MEASURE field 'twice'"
    ]


def test_a_blank_unit_keeps_the_live_one() -> None:
    changes = _plan_meters(
        [
            _row(category="WHO", field_code="user_id", field_name="User"),
            _row(category="MEASURE", field_code="requests", field_name="Requests"),
        ]
    )
    assert [c.action for c in changes] == [Action.UNCHANGED, Action.UNCHANGED]
