"""m3ter on the wire: the bytes measured are the bytes sent (whatever httpx would encode),
the ingest cap of 512,000 bytes holds to the byte, a size 403 halves a batch instead of
failing it, numeric fields need a unit, and a stale version is a conflict whatever status
m3ter answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.connect import connect
from rowpush.engine.plan import plan_row
from rowpush.engine.send import apply_changes
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.http.client import build_client
from rowpush.model import Action, Change, Outcome, RawRow, Status
from rowpush.sandbox.m3ter.api import m3ter_connection
from rowpush.sandbox.m3ter.options import m3ter_options
from rowpush.sandbox.server import SandboxServer
from rowpush.targets.m3ter import (
    INGEST_ENVELOPE,
    MAX_INGEST_BYTES,
    M3terAccounts,
    M3terMeasurements,
    M3terMeters,
    is_version_conflict,
)
from rowpush.targets.wire import json_bytes

ORG = "8f0b6c2e-0000-4000-8000-000000000001"
ACCEPTED = {"result": "accepted"}


def _conn() -> Connection:
    return Connection(
        "m3",
        "m3ter",
        {
            "org_id": ORG,
            "access_key_id": "k",
            "api_secret": "s",
            "base_url": "https://api.m3ter.test",
            "ingest_url": "https://ingest.m3ter.test",
        },
    )


def _send(
    target: Any, batch: Sequence[Change], answer: Callable[[httpx.Request], httpx.Response]
) -> tuple[list[Outcome], list[httpx.Request]]:
    """Send one batch through a MockTransport; the outcomes and every request seen."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    async def go() -> list[Outcome]:
        client = build_client("https://api.m3ter.test", transport=httpx.MockTransport(handler))
        async with client:
            return list(await target.send(client, batch))

    return asyncio.run(go()), seen


def _measurement(n: int, text: str) -> dict[str, Any]:
    return {
        "uid": f"uid-{n:05d}",
        "meter": "api_calls",
        "account": "ACME-001",
        "ts": "2026-01-31T23:00:00Z",
        "who": {"user_id": f"u-{n}"},
        "what": {"endpoint": text},
        "measure": {"requests": n},
    }


def _batch_of_size(total: int, count: int = 1000, start: int = 0) -> list[Change]:
    """`count` measurements with non-ASCII text whose ingest body is `total` bytes."""
    # "é" is 2 bytes as sent here, 6 as httpx 0.27 would escape it (plus its spaces)
    payloads = [_measurement(start + n, "/v1/café") for n in range(count)]
    spare = total - len(json_bytes({"measurements": payloads}))
    assert spare >= 0
    for n in range(count):  # spread the rest as ASCII, so every item stays similar in size
        share = spare // (count - n)
        payloads[n]["what"]["endpoint"] += "x" * share
        spare -= share
    batch = [Change(start + n + 2, Action.CREATE, payload=p) for n, p in enumerate(payloads)]
    assert len(M3terMeasurements.ingest_body(batch)) == total
    return batch


def test_a_batch_just_under_the_cap_goes_out_as_exactly_its_bytes() -> None:
    batch = _batch_of_size(MAX_INGEST_BYTES - 1)
    outcomes, seen = _send(
        M3terMeasurements(_conn()), batch, lambda r: httpx.Response(200, json=ACCEPTED)
    )
    (request,) = seen
    assert request.content == M3terMeasurements.ingest_body(batch)
    assert len(request.content) == 511_999
    assert request.headers["content-type"] == "application/json"
    assert b'"what":{"endpoint":"/v1/caf\xc3\xa9' in request.content  # UTF-8, no escapes
    assert {o.status for o in outcomes} == {Status.CREATED}


def test_a_batch_one_byte_over_is_halved_before_it_is_sent() -> None:
    batch = _batch_of_size(MAX_INGEST_BYTES)
    outcomes, seen = _send(
        M3terMeasurements(_conn()), batch, lambda r: httpx.Response(200, json=ACCEPTED)
    )
    assert [len(json.loads(r.content)["measurements"]) for r in seen] == [500, 500]
    assert all(len(r.content) < MAX_INGEST_BYTES for r in seen)
    assert [o.row for o in outcomes] == [c.row for c in batch]
    assert {o.status for o in outcomes} == {Status.CREATED}


TEXTS = [
    "plain",
    "café crème",
    "東京都千代田区",
    "emoji 😀 and 🇫🇷",
    'quotes " and \\ backslashes',
    "line\nbreak\ttab\u0001control",
    "separators \u2028\u2029",
]


@pytest.mark.parametrize("text", TEXTS)
def test_payload_size_is_the_length_of_what_is_sent(text: str) -> None:
    payloads = [_measurement(1, text), _measurement(2, text[::-1])]
    batch = [Change(n + 2, Action.CREATE, payload=p) for n, p in enumerate(payloads)]
    _, seen = _send(M3terMeasurements(_conn()), batch, lambda r: httpx.Response(200, json=ACCEPTED))
    (request,) = seen
    sizes = [M3terMeasurements.payload_size(p) for p in payloads]
    # the envelope, each payload, and one comma between the two
    assert len(request.content) == INGEST_ENVELOPE + sum(sizes) + 1
    assert json.loads(request.content) == {"measurements": payloads}


def _too_large_over(limit: int) -> Callable[[httpx.Request], httpx.Response]:
    """An ingest host that counts bytes differently: 403 for any body over `limit`."""

    def answer(request: httpx.Request) -> httpx.Response:
        if len(request.content) > limit:
            return httpx.Response(403, json={"message": "Request payload too large"})
        return httpx.Response(200, json=ACCEPTED)

    return answer


def test_a_403_for_the_size_halves_the_batch_instead_of_failing_every_row() -> None:
    batch = [Change(n + 2, Action.CREATE, payload=_measurement(n, "/v1/x")) for n in range(8)]
    outcomes, seen = _send(M3terMeasurements(_conn()), batch, _too_large_over(500))
    assert [len(json.loads(r.content)["measurements"]) for r in seen] == [8, 4, 2, 2, 4, 2, 2]
    assert [o.row for o in outcomes] == [c.row for c in batch]
    assert {o.status for o in outcomes} == {Status.CREATED}


def test_a_403_about_the_token_is_not_split() -> None:
    batch = [Change(n + 2, Action.CREATE, payload=_measurement(n, "/v1/x")) for n in range(3)]
    outcomes, seen = _send(
        M3terMeasurements(_conn()),
        batch,
        lambda r: httpx.Response(403, json={"message": "Unauthorized: invalid bearer token"}),
    )
    assert len(seen) == 1
    assert [(o.status, o.http_status) for o in outcomes] == [(Status.FAILED, 403)] * 3
    assert outcomes[0].message == "Unauthorized: invalid bearer token"


def test_nan_and_infinity_are_not_numbers() -> None:
    target = M3terMeasurements(_conn())
    target.meters = {"api_calls": {"measure": {"requests"}}}
    target.accounts = {"ACME-001"}
    base = {"meter": "api_calls", "account": "ACME-001", "ts": "2026-01-31"}
    for text in ("nan", "inf", "-Infinity"):
        problems = target.check({**base, "measure.requests": text}, None)
        assert problems == [("measure.requests", f"{text!r} is not a number")]


def _planned(target: M3terMeasurements, endpoint: str) -> Change:
    headers = ["meter", "account", "ts", "what.endpoint"]
    hmap = map_headers(M3terMeasurements, headers, "u.csv")
    cells = {"meter": "api_calls", "account": "ACME-001", "ts": "2026-01-31"}
    (row,) = validate_rows(
        M3terMeasurements, hmap, [RawRow(2, {**cells, "what.endpoint": endpoint})], "u.csv"
    )
    return plan_row(target, row, {}, hmap, "u.csv")


def test_a_measurement_too_big_for_any_request_is_a_plan_error() -> None:
    target = M3terMeasurements(_conn())
    target.meters = {"api_calls": {"what": {"endpoint"}}}
    target.accounts = {"ACME-001"}
    cap = M3terMeasurements.batch_bytes or 0
    one = M3terMeasurements.payload_size(_planned(target, "x").payload)  # a 1-char endpoint
    # the largest measurement one request can carry: the body is then 511,999 bytes
    fits = _planned(target, "x" * (cap - 1 - one + 1))
    assert fits.action is Action.CREATE
    assert len(M3terMeasurements.ingest_body([fits])) == 511_999
    over = _planned(target, "x" * (cap - one + 1))
    assert over.action is Action.INVALID
    (error,) = over.errors
    assert error.problem == (
        f"this row is {cap:,} bytes as JSON; m3ter takes at most {cap - 1:,} in one request: "
        "shorten its text values"
    )


# -- against the sandbox, over real HTTP ------------------------------------------------


class Recording(httpx.AsyncHTTPTransport):
    """The network, keeping the bytes of every ingest request sent."""

    def __init__(self) -> None:
        super().__init__()
        self.ingest: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/measurements"):
            self.ingest.append(request.content)
        return await super().handle_async_request(request)


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer) -> SandboxServer:
    return shared_sandbox  # the session's, reset (tests/conftest.py); no rate limit


@pytest.fixture
def live(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    sandbox.state.reset()
    yield sandbox
    sandbox.state.reset()


def _sandbox_conn(server: SandboxServer) -> Connection:
    settings = m3ter_connection(server.url, server.options)
    del settings["api"]  # the table's `api` key is Connection.api
    return Connection("m3ter", "m3ter", settings)


def _run(server: SandboxServer, target: Any, work: Any, transport: Any = None) -> Any:
    async def go() -> Any:
        async with connect(target, target.conn, rate="1000/s", transport=transport) as client:
            return await work(client)

    return asyncio.run(go())


def test_the_sandbox_takes_a_batch_of_511_999_bytes_and_refuses_512_000(
    live: SandboxServer,
) -> None:
    target = M3terMeasurements(_sandbox_conn(live))
    under = _batch_of_size(MAX_INGEST_BYTES - 1)
    wire = Recording()
    outcomes = _run(live, target, lambda c: target.send(c, under), wire)
    assert [len(body) for body in wire.ingest] == [511_999]
    assert wire.ingest[0] == M3terMeasurements.ingest_body(under)
    assert {o.status for o in outcomes} == {Status.CREATED}
    assert len(live.state.m3ter.measurements) == 1000
    # the same bytes plus one, sent as they are, are what the cap refuses
    over = M3terMeasurements.ingest_body(_batch_of_size(MAX_INGEST_BYTES, start=5000))

    async def post_raw(client: httpx.AsyncClient) -> httpx.Response:
        url = f"{live.url}/m3ter-ingest/organizations/{ORG}/measurements"
        headers = {"Content-Type": "application/json"}
        return await client.post(url, content=over, headers=headers)

    refused = _run(live, target, post_raw)
    assert refused.status_code == 403
    assert refused.json() == {"message": "Request payload too large"}


def test_the_engine_packs_ingest_batches_up_to_the_cap_and_every_one_lands(
    live: SandboxServer,
) -> None:
    target = M3terMeasurements(_sandbox_conn(live))
    # 1,500 payloads of about 820 bytes: the byte cap, not the 1,000 items, cuts the batches
    payloads = [_measurement(n, "/v1/" + "y" * 650) for n in range(1500)]
    changes = [Change(n + 2, Action.CREATE, payload=p) for n, p in enumerate(payloads)]
    outcomes: list[Outcome] = []
    wire = Recording()

    async def work(client: httpx.AsyncClient) -> None:
        await apply_changes(
            target, client, changes, on_sending=lambda b: None, on_outcomes=outcomes.extend
        )

    _run(live, target, work, wire)
    assert all(len(body) < MAX_INGEST_BYTES for body in wire.ingest)
    assert max(len(body) for body in wire.ingest) > MAX_INGEST_BYTES - 1000  # packed full
    assert sorted(o.row for o in outcomes if o.status is Status.CREATED) == [c.row for c in changes]
    assert len(live.state.m3ter.measurements) == 1500


@pytest.mark.parametrize("status", [400, 409, 412, 422])
def test_a_stale_version_is_changed_since_the_plan_whatever_the_status(
    live: SandboxServer, status: int
) -> None:
    m3ter_options(live.options).version_conflict_status = status
    target = M3terMeters(_sandbox_conn(live))
    rows = [
        (
            2,
            {
                "code": "seats",
                "name": "Seats (renamed)",
                "category": "WHO",
                "field_code": "user_id",
            },
        ),
        (3, {"code": "seats", "category": "WHAT", "field_code": "plan_tier"}),
        (4, {"code": "seats", "category": "MEASURE", "field_code": "active_seats"}),
    ]

    async def plan(client: httpx.AsyncClient) -> Any:
        await target.load_reference(client)
        live_meters = await target.fetch_live(client, ["seats"], [])
        return target.plan_group(rows, live_meters["seats"])

    planned = _run(live, target, plan)
    assert planned.action is Action.UPDATE
    stored = live.state.m3ter.meter_by_code("seats")
    stored["version"] += 1  # someone else saved the meter since the plan
    change = Change(2, Action.UPDATE, key="seats", payload=planned.payload)
    (outcome,) = _run(live, target, lambda c: target.send(c, [change]))
    assert (outcome.status, outcome.http_status) == (Status.FAILED, status)
    assert outcome.message.startswith("changed in m3ter since the plan (Version mismatch")
    assert outcome.message.endswith("plan again to see the new values")
    assert live.state.m3ter.meter_by_code("seats")["name"] == "Seats"


@pytest.mark.parametrize(
    ("status", "said", "conflict"),
    [
        (409, "Conflict", True),
        (412, "Precondition Failed", True),
        (400, "Version mismatch for Account a-1: expected 4, got 3", True),
        (422, "The entity version is out of date", True),
        (400, "Account: name is required", False),
        (404, "Account a-1 not found", False),
        (403, "Forbidden: no access to version 2", False),
    ],
)
def test_version_conflicts_are_recognised_by_status_or_by_text(
    status: int, said: str, conflict: bool
) -> None:
    response = httpx.Response(status, json={"message": said})
    assert is_version_conflict(response) is conflict


def test_a_create_never_reads_as_a_version_conflict() -> None:
    change = Change(2, Action.CREATE, key="X-1", payload={"code": "X-1"})
    (outcome,), _ = _send(
        M3terAccounts(_conn()),
        [change],
        lambda r: httpx.Response(400, json={"message": "version must not be sent on create"}),
    )
    assert (outcome.status, outcome.message) == (
        Status.FAILED,
        "version must not be sent on create",
    )
