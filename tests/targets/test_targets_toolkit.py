"""The vendor toolkit every target shares: answers, paging, custom fields, the target
contract's own checks, and the one clock of `_at` times."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from rowpush.errors import AuthFailed, BadInput, ConnectionFailed
from rowpush.model import Action, Change, Outcome, Status, now, use_clock
from rowpush.targets import custom_fields
from rowpush.targets.answers import Answers, pages
from rowpush.targets.base import Target, outcome_for
from rowpush.targets.halopsa import ANSWERS as HALO
from rowpush.targets.halopsa import HALOPSA
from rowpush.targets.hyalto import ANSWERS as HYALTO
from rowpush.targets.orange import ANSWERS as ORANGE
from rowpush.targets.registry import all_targets
from rowpush.targets.usage_engine import ANSWERS as USAGE_ENGINE

REQUEST = httpx.Request("GET", "https://api.example.test/things")


def _answer(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=REQUEST, **kwargs)


@pytest.mark.parametrize(
    ("answers", "body", "said"),
    [
        (HALO, {"ClassName": "x", "Message": "Client name is required"}, "Client name is required"),
        (
            ORANGE,
            {"code": 53, "message": "Too many", "description": "Slow down"},
            "Too many: Slow down (code 53)",
        ),
        (
            HYALTO,
            {"error": "Forbidden", "message": "Missing permission"},
            "Missing permission (Forbidden)",
        ),
        (
            USAGE_ENGINE,
            {"message": "Meter type exists", "code": "DUPLICATE"},
            "Meter type exists (code DUPLICATE)",
        ),
        (
            USAGE_ENGINE,
            {"error": "invalid_client", "error_description": "Bad secret"},
            "Bad secret",
        ),
    ],
)
def test_each_vendor_error_body_reads_as_one_line(answers: Answers, body: Any, said: str) -> None:
    assert answers.error_message(_answer(400, json=body)) == said


def test_a_plain_text_error_is_one_short_line() -> None:
    text = "Rate Limit Reached -\n 300 Requests per rolling 5 minute window" + "!" * 600
    said = HALO.error_message(_answer(429, text=text))
    assert said.startswith("Rate Limit Reached - 300 Requests per rolling")
    assert len(said) == 500
    assert HALO.error_message(_answer(502, text="")) == "HTTP 502"


def test_a_refused_read_is_an_auth_or_connection_error() -> None:
    with pytest.raises(AuthFailed, match="HaloPSA refused to list clients: HTTP 401 at /things"):
        HALO.json(_answer(401, json={"error": "invalid_token"}), "list clients")
    with pytest.raises(ConnectionFailed, match="HTTP 500"):
        HALO.json(_answer(500, text="boom"), "list clients")
    with pytest.raises(ConnectionFailed, match="not JSON"):
        HALO.json(_answer(200, text="<html>"), "list clients")
    with pytest.raises(ConnectionFailed, match="unexpected JSON"):
        HALO.json_object(_answer(200, json=[1, 2]), "list clients")


def test_orange_throttling_is_told_apart_from_a_refusal() -> None:
    with pytest.raises(ConnectionFailed, match="Orange throttled the request to list contracts"):
        ORANGE.json(_answer(403, json={"code": 53, "message": "Too many"}), "list contracts")
    with pytest.raises(AuthFailed):
        ORANGE.json(_answer(403, json={"code": 42, "message": "Expired"}), "list contracts")


@pytest.mark.parametrize(
    ("body", "records"),
    [
        ([{"id": 1}, "x", {"id": 2}], [{"id": 1}, {"id": 2}]),
        ({"users": [{"id": 1}]}, [{"id": 1}]),
        ({"users": None}, []),
    ],
)
def test_a_list_answer_gives_its_records(body: Any, records: list[Any]) -> None:
    assert ORANGE.records(body, "users", "list users") == records


def test_a_list_answer_without_its_list_is_an_error() -> None:
    with pytest.raises(ConnectionFailed, match="no users list"):
        ORANGE.records({"data": []}, "users", "list users")


def test_pages_follow_the_vendor_cursor_until_the_last() -> None:
    asked: list[dict[str, str]] = []

    def server(request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        asked.append(query)
        token = query.get("next")
        if token is None:
            return httpx.Response(200, json={"data": [{"n": 1}, {"n": 2}], "next": "b"})
        return httpx.Response(200, json={"data": [{"n": 3}]})

    def following(body: Any, number: int, seen: int) -> dict[str, str] | None:
        return {"next": body["next"]} if body.get("next") else None

    async def read() -> list[list[dict[str, Any]]]:
        transport = httpx.MockTransport(server)
        async with httpx.AsyncClient(transport=transport, base_url="https://x.test") as client:
            found = pages(
                client,
                HALO,
                "/things",
                envelope="data",
                what="list things",
                params={"size": "2"},
                following=following,
            )
            return [page async for page in found]

    assert asyncio.run(read()) == [[{"n": 1}, {"n": 2}], [{"n": 3}]]
    assert asked == [{"size": "2"}, {"size": "2", "next": "b"}]


def test_custom_columns_map_to_the_custom_fields_object() -> None:
    assert custom_fields.column_for("Custom.region") == "custom.region"
    assert custom_fields.column_for("customer.region") is None
    assert custom_fields.column_for("custom.") is None
    record = {"code": "a", "customFields": {"region": "EU", "seats": 12.0}}
    assert custom_fields.live_values(record, str) == {"custom.region": "EU", "custom.seats": "12.0"}
    assert custom_fields.split({"name": "A", "custom.region": "EU"}) == (
        {"name": "A"},
        {"region": "EU"},
    )
    assert custom_fields.columns_in([record, {"customFields": {"tier": 1, "region": 2}}]) == [
        "custom.region",
        "custom.seats",
        "custom.tier",
    ]


def test_targets_with_custom_fields_accept_custom_columns_only() -> None:
    targets = all_targets()
    assert targets["m3ter.accounts"].extra_field("custom.region") == "custom.region"
    assert targets["usage-engine.meters"].extra_field("CUSTOM.site") == "custom.site"
    assert targets["halopsa.clients"].extra_field("custom.region") is None


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int | None = None


def test_a_writable_target_without_send_is_refused_where_it_is_declared() -> None:
    wanted = r"target fake\.broken is not export_only, so it must define send, fetch_live"
    with pytest.raises(TypeError, match=wanted):

        class Broken(Target):
            name = "fake.broken"
            api = HALOPSA
            description = "no send"
            Row = _Row
            key = "id"


def test_an_export_only_target_needs_no_stubs() -> None:
    class Report(Target):
        name = "fake.report"
        api = HALOPSA
        description = "read only"
        Row = _Row
        export_only = True

    assert Report().name == "fake.report"


def test_a_target_that_cannot_be_exported_says_why() -> None:
    target = all_targets()["m3ter.measurements"]()
    with pytest.raises(BadInput, match="the Ingest API only takes measurements in"):
        target.iter_live(None, [], None)  # type: ignore[arg-type]


def test_every_outcome_time_comes_from_the_one_clock() -> None:
    pinned = datetime(2026, 12, 6, 14, 5, 12, 999, tzinfo=UTC)
    change = Change(2, Action.CREATE)
    with use_clock(lambda: pinned):
        outcome = outcome_for(change, ok=True, http_status=201)
        assert now() == pinned.replace(microsecond=0)
    assert outcome == Outcome(2, Status.CREATED, 201, "", None, pinned.replace(microsecond=0))
    assert now() != pinned.replace(microsecond=0)


class _Sends(Target):
    name = "fake.sends"
    api = HALOPSA
    description = "test double"
    Row = _Row
    key = "id"

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        return {}

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        return []


def test_a_target_without_a_list_cannot_be_exported() -> None:
    with pytest.raises(BadInput, match=r"fake.sends cannot be exported \(no list to read\)"):
        _Sends().iter_live(None, [], None)  # type: ignore[arg-type]
