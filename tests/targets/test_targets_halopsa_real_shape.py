"""HaloPSA answers in the shape real Halo sends them, replayed over MockTransport.

Halo's OpenAPI (../shared/vendor/halopsa-openapi-subset.json) types `Site.client_id` and
`Users.site_id` as `number/double`, and a recorded real answer
(tests/fixtures/halopsa/user_recorded.json) carries `"site_id": 18.0` and a nested
`"client_id": 12.0`. Each test pins one thing rowpush must get right against such answers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from rowpush.config import Connection
from rowpush.engine.plan import plan_rows
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.http.client import build_client
from rowpush.model import Action, Change, RawRow
from rowpush.sandbox.halopsa.state import HaloState
from rowpush.sandbox.options import SandboxOptions
from rowpush.targets.base import ExportOptions, Target
from rowpush.targets.halopsa import ANSWERS, HALOPSA, HaloSites, HaloUsers, same_id

BASE = "https://acme.halopsa.test"
RECORDED = Path(__file__).parents[1] / "fixtures" / "halopsa" / "user_recorded.json"
OPENAPI = Path(__file__).parents[1] / "fixtures" / "vendor" / "halopsa-openapi-subset.json"


def _conn() -> Connection:
    return Connection("halo", "halopsa", {"base_url": BASE, "client_id": "c", "client_secret": "s"})


class RealShapedHalo:
    """A Halo that answers like the real one: doubles where its schema says double."""

    def __init__(self) -> None:
        self.sites = [
            {"id": 18, "name": "Org SIte", "client_id": 12.0, "client_name": "Some Org"},
            {"id": 19, "name": "Leeds office", "client_id": 13.0, "client_name": "Other Org"},
        ]
        self.users = [{k: v for k, v in json.loads(RECORDED.read_text()).items() if k != "_source"}]
        self.posted: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if request.method == "POST":
            body = json.loads(request.content)
            self.posted.append(body)
            saved = [{**item, "id": item.get("id") or 77, "client_id": 12.0} for item in body]
            return httpx.Response(201, json=saved[0] if len(saved) == 1 else saved)
        if path == "/api/Site":
            return httpx.Response(200, json={"record_count": len(self.sites), "sites": self.sites})
        if path == "/api/Users":
            return httpx.Response(200, json={"record_count": len(self.users), "users": self.users})
        if path.startswith("/api/Users/"):
            return httpx.Response(200, json=self.users[0])
        return httpx.Response(404, text="not here")


def _client(server: Callable[[httpx.Request], httpx.Response]) -> Any:
    async def no_sleep(seconds: float) -> None:
        return None

    conn = _conn()
    return build_client(
        HALOPSA.base_url(conn),
        auth=HALOPSA.auth(conn),
        transport=httpx.MockTransport(server),
        sleep=no_sleep,
    )


def _plan(target: Target, server: RealShapedHalo, rows: list[dict[str, str]]) -> list[Change]:
    hmap = map_headers(type(target), list(rows[0]), "s.csv")
    raw = [RawRow(n, cells) for n, cells in enumerate(rows, start=2)]

    async def go() -> list[Change]:
        async with _client(server) as client:
            valid = validate_rows(type(target), hmap, raw, "s.csv")
            return [c async for c in plan_rows(target, client, valid, hmap, "s.csv")]

    return asyncio.run(go())


def test_the_sandbox_answers_doubles_exactly_where_the_vendor_schema_says_double() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    state = HaloState.seeded(SandboxOptions(), time.monotonic)
    for path, schema in (("site", "Site"), ("users", "Users"), ("client", "Area")):
        kind = state.collection(path).kind
        emulated = {spec.name for spec in kind.fields} | set(kind.summary)
        doubles = {
            name
            for name, prop in schema_props(schemas, schema).items()
            if prop.get("type") == "number" and name in emulated and name.endswith("id")
        }
        assert kind.doubles == doubles, schema


def schema_props(schemas: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = schemas[name]["properties"]
    return props


def test_ids_compare_as_one_value_however_halo_writes_them() -> None:
    assert same_id(12.0) == same_id(12) == same_id("12") == same_id(" 12.0 ") == 12
    assert same_id(12.5) == 12.5
    assert same_id("S00012") == "S00012"
    assert same_id(None) is None
    assert same_id(True) is True


def test_a_new_site_named_like_its_clients_site_is_refused_when_ids_are_doubles() -> None:
    server = RealShapedHalo()
    rows = [
        {"id": "", "name": "Org SIte", "client_id": "12"},  # client 12 has it already
        {"id": "", "name": "Org SIte", "client_id": "13"},  # client 13 does not
    ]
    taken, fresh = _plan(HaloSites(_conn()), server, rows)
    assert taken.action is Action.INVALID
    assert "already exists (id 18)" in taken.errors[0].message
    assert "12.0" not in taken.errors[0].message
    assert fresh.action is Action.CREATE


def test_an_unchanged_site_id_is_unchanged_and_shown_whole() -> None:
    server = RealShapedHalo()
    (change,) = _plan(HaloUsers(_conn()), server, [{"id": "38", "site_id": "18"}])
    assert change.action is Action.UNCHANGED
    (moved,) = _plan(HaloUsers(_conn()), server, [{"id": "38", "site_id": "19"}])
    assert moved.fields == {"site_id": (18, 19)}  # never (18.0, 19)


def test_an_export_never_shows_a_double_id() -> None:
    async def go() -> list[dict[str, Any]]:
        async with _client(RealShapedHalo()) as client:
            fields = list(HaloUsers.Row.model_fields)
            target = HaloUsers(_conn())
            return [r async for r in target.iter_live(client, fields, ExportOptions())]

    (user,) = asyncio.run(go())
    assert user["site_id"] == 18
    assert isinstance(user["site_id"], int)


def test_a_lost_create_is_found_by_its_natural_key_when_ids_are_doubles() -> None:
    change = Change(2, Action.CREATE, payload={"name": "Org SIte", "client_id": 12})

    async def go() -> Any:
        async with _client(RealShapedHalo()) as client:
            return await HaloSites(_conn()).find_created(client, change)

    found = asyncio.run(go())
    assert found.known
    assert found.remote_id == "18"


def test_a_plain_text_429_reads_as_halos_own_words() -> None:
    answer = httpx.Response(
        429,
        text="Rate Limit Reached - 300 Requests per rolling 5 minute window",
        request=httpx.Request("GET", f"{BASE}/api/Client"),
    )
    assert ANSWERS.error_message(answer) == (
        "Rate Limit Reached - 300 Requests per rolling 5 minute window"
    )
