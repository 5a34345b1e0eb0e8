"""m3ter Ingest API: accept first, validate after (events), uid dedupe, size and count caps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from m3ter_fixtures import fetch_m3ter_token, m3ter_opts, org_client

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer

TS = "2025-01-31T23:00:00Z"
ACCEPTED = {"result": "accepted"}
DAY = 86_400.0


@pytest.fixture
def token(server: SandboxServer) -> str:
    return fetch_m3ter_token(server)


@pytest.fixture
def ingest(server: SandboxServer, token: str) -> Iterator[httpx.Client]:
    with org_client(server, "m3ter-ingest", token=token) as client:
        yield client


@pytest.fixture
def config(server: SandboxServer, token: str) -> Iterator[httpx.Client]:
    with org_client(server, token=token) as client:
        yield client


def api_call(uid: str | None = None, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": TS,
        "who": {"user_id": "u-42"},
        "where": {"region": "eu-west-1"},
        "what": {"endpoint": "/v1/send"},
        "measure": {"requests": 1250},
    }
    if uid is not None:
        item["uid"] = uid
    item.update(overrides)
    return item


def post(ingest: httpx.Client, items: list[Any]) -> httpx.Response:
    return ingest.post("/measurements", json={"measurements": items})


def test_valid_measurements_are_accepted_and_stored(
    ingest: httpx.Client, server: SandboxServer
) -> None:
    items = [api_call("r-1"), api_call("r-2", measure={"requests": -3.5})]
    response = post(ingest, items)
    assert (response.status_code, response.json()) == (200, ACCEPTED)
    assert server.state.m3ter.measurements == items
    assert set(server.state.m3ter.uids) == {"r-1", "r-2"}
    assert server.state.m3ter.events == []


def test_a_uid_seen_again_is_stored_once(ingest: httpx.Client, server: SandboxServer) -> None:
    assert post(ingest, [api_call("dup"), api_call("dup")]).json() == ACCEPTED
    assert post(ingest, [api_call("dup"), api_call("other")]).json() == ACCEPTED
    assert post(ingest, [api_call(), api_call()]).json() == ACCEPTED  # no uid: no dedupe
    stored = server.state.m3ter.measurements
    assert [m.get("uid") for m in stored] == ["dup", "other", None, None]
    assert any("already ingested" in n for n in server.state.requests[-2].notes)


@pytest.mark.parametrize(("count", "status"), [(0, 400), (1001, 403)])
def test_measurement_count_outside_1_to_1000_is_refused(
    ingest: httpx.Client, server: SandboxServer, count: int, status: int
) -> None:
    response = post(ingest, [api_call(f"u{i}") for i in range(count)])
    assert response.status_code == status
    assert "1 to 1000" in response.json()["message"]
    assert server.state.m3ter.measurements == []


def test_1000_measurements_are_fine(ingest: httpx.Client, server: SandboxServer) -> None:
    assert post(ingest, [api_call(f"u{i}") for i in range(1000)]).json() == ACCEPTED
    assert len(server.state.m3ter.measurements) == 1000


def _body_of_size(size: int) -> bytes:
    """A one-measurement body of exactly ``size`` bytes (the uid pads it)."""
    empty = json.dumps({"measurements": [api_call("")]}, separators=(",", ":")).encode()
    padded = {"measurements": [api_call("x" * (size - len(empty)))]}
    raw = json.dumps(padded, separators=(",", ":")).encode()
    assert len(raw) == size
    return raw


def test_payload_of_512000_bytes_or_more_is_403(
    ingest: httpx.Client, server: SandboxServer
) -> None:
    headers = {"Content-Type": "application/json"}
    too_big = ingest.post("/measurements", content=_body_of_size(512_000), headers=headers)
    assert too_big.status_code == 403
    assert too_big.json() == {"message": "Request payload too large"}
    assert server.state.m3ter.measurements == []
    just_under = ingest.post("/measurements", content=_body_of_size(511_999), headers=headers)
    assert (just_under.status_code, just_under.json()) == (200, ACCEPTED)
    assert len(server.state.m3ter.measurements) == 1


@pytest.mark.parametrize(
    ("item", "error"),
    [
        (api_call(meter="no_such_meter"), 'Meter "no_such_meter" does not exist'),
        (api_call(where={"country": "FR"}), "where.country is not a WHERE data field"),
        (api_call(measure={"requests": "1250"}), "measure.requests must be a number"),
        (api_call(measure={"requests": True}), "measure.requests must be a number"),
        (api_call(who={"user_id": 42}), "who.user_id must be a string"),
        (api_call(measure={"billable_requests": 3}), "not a MEASURE data field"),
        (api_call(ts="31/01/2025"), 'ts "31/01/2025" is not an ISO-8601'),
    ],
)
def test_invalid_measurements_are_accepted_then_listed_as_events(
    ingest: httpx.Client,
    config: httpx.Client,
    server: SandboxServer,
    item: dict[str, Any],
    error: str,
) -> None:
    assert post(ingest, [item, api_call("fine")]).json() == ACCEPTED
    assert [m.get("uid") for m in server.state.m3ter.measurements] == ["fine"]
    listed = config.get(
        "/events", params={"eventName": "ingest.validation.failure", "pageSize": "10"}
    ).json()
    assert len(listed["data"]) == 1
    event = listed["data"][0]
    assert event["eventName"] == "ingest.validation.failure"
    assert event["m3terEvent"]["measurement"] == item
    assert any(error in text for text in event["m3terEvent"]["errors"]), event
    assert config.get(f"/events/{event['id']}").json() == event
    assert config.get("/events", params={"eventName": "other.event"}).json()["data"] == []


def test_unknown_account_gets_a_skeleton_account(
    ingest: httpx.Client, config: httpx.Client, server: SandboxServer
) -> None:
    assert server.state.m3ter.account_by_code("NEWCUST-9") is None
    assert post(ingest, [api_call("a", account="NEWCUST-9")] * 2).json() == ACCEPTED
    found = config.get("/accounts", params={"codes": "NEWCUST-9"}).json()["data"]
    assert len(found) == 1
    assert (found[0]["name"], found[0]["version"]) == ("NEWCUST-9", 1)
    assert len(server.state.m3ter.measurements) == 1


def test_skeleton_accounts_switched_off_makes_an_event(
    ingest: httpx.Client, server: SandboxServer
) -> None:
    m3ter_opts(server).skeleton_accounts = False
    assert post(ingest, [api_call(account="NOBODY-1")]).json() == ACCEPTED
    assert server.state.m3ter.account_by_code("NOBODY-1") is None
    assert server.state.m3ter.measurements == []
    assert "does not exist" in server.state.m3ter.events[0]["m3terEvent"]["errors"][0]


@pytest.mark.parametrize(
    "item",
    [
        "not an object",
        {"account": "ACME-001", "ts": TS},
        {"meter": "seats", "account": "ACME-001"},
        {"meter": "seats", "account": 7, "ts": TS},
    ],
)
def test_measurements_without_meter_account_ts_fail_the_request(
    ingest: httpx.Client, server: SandboxServer, item: Any
) -> None:
    response = post(ingest, [api_call("ok"), item])
    assert response.status_code == 400
    assert "measurements[1]" in response.json()["message"]
    assert server.state.m3ter.measurements == []
    m3ter_opts(server).ingest_schema_check = False
    assert post(ingest, [api_call("ok"), item]).json() == ACCEPTED
    assert len(server.state.m3ter.measurements) == 1
    assert len(server.state.m3ter.events) == 1


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"measurements": [', "application/json", 400),
        (b'{"measurement": []}', "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"measurements": []}', "text/plain", 415),
    ],
)
def test_malformed_envelopes(
    ingest: httpx.Client, content: bytes, content_type: str, status: int
) -> None:
    response = ingest.post("/measurements", content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert "message" in response.json()


def test_a_mixed_request_stores_its_valid_new_measurements_as_sent(
    ingest: httpx.Client, server: SandboxServer
) -> None:
    first, second = api_call("x"), api_call("y", extra={"kept": True})
    body = {"measurements": [first, api_call("x"), api_call(meter="nope"), second], "v": 2}
    assert ingest.post("/measurements", json=body).json() == ACCEPTED
    stored = server.state.m3ter.measurements
    assert stored == [first, second]  # the duplicate and the invalid one left out
    assert (stored[1], stored[-2], stored[0:5]) == (second, first, [first, second])
    stored[0]["uid"] = "edited"  # a read is a copy: what is stored does not change
    assert stored[0]["uid"] == "x"
    third = api_call("z")
    assert post(ingest, [api_call("x"), third, api_call("y")]).json() == ACCEPTED
    assert list(stored) == [first, second, third]
    assert (len(stored), stored[2], stored[-1]) == (3, third, third)
    assert set(server.state.m3ter.uids) == {"x", "y", "z"}
    assert len(server.state.m3ter.events) == 1
    with pytest.raises(IndexError):
        stored[3]


def test_the_logged_ingest_body_reads_back_as_sent(
    ingest: httpx.Client, server: SandboxServer
) -> None:
    items = [api_call(f"u{i}") for i in range(1000)]
    raw = json.dumps({"measurements": items}).encode()
    headers = {"Content-Type": "application/json"}
    assert ingest.post("/measurements", content=raw, headers=headers).json() == ACCEPTED
    logged = server.state.requests[-1]
    assert (logged.path.startswith("/m3ter-ingest/"), logged.status) == (True, 200)
    assert logged.body == {"measurements": items}
    assert logged.body_size == len(raw)
    assert server.state.requests.body_bytes == sum(e.body_size for e in server.state.requests)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def timed(clock: ManualClock) -> Iterator[tuple[SandboxServer, httpx.Client]]:
    """A server of its own on a manual clock, and an ingest client for it."""
    options = SandboxOptions(token_ttl=int(40 * DAY))  # the token outlives the test's days
    with SandboxServer(options, clock=clock) as own, org_client(own, "m3ter-ingest") as client:
        yield own, client


def test_a_uid_counts_again_once_its_35_days_are_over(
    timed: tuple[SandboxServer, httpx.Client], clock: ManualClock
) -> None:
    server, ingest = timed
    assert post(ingest, [api_call("late")]).json() == ACCEPTED
    clock.advance(34 * DAY)
    assert post(ingest, [api_call("late")]).json() == ACCEPTED
    assert len(server.state.m3ter.measurements) == 1  # within the window: skipped
    clock.advance(2 * DAY)
    assert post(ingest, [api_call("late"), api_call("late")]).json() == ACCEPTED
    assert [m["uid"] for m in server.state.m3ter.measurements] == ["late", "late"]
