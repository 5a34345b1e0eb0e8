"""Engine hooks any target can use: reference checks, keyless creates, byte-capped batches,
export-only refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import BaseModel, Field

from rowpush.engine.plan import plan_row
from rowpush.engine.prepare import ensure_writable
from rowpush.engine.send import apply_changes, payload_bytes
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.errors import BadInput
from rowpush.http.client import build_client
from rowpush.http.rate import Rate
from rowpush.model import Action, Change, Outcome, RawRow, Status
from rowpush.targets.base import Target, outcome_for
from rowpush.targets.halopsa import HALOPSA


class UsageRow(BaseModel):
    meter: str | None = Field(None, description="Meter code.")
    amount: float | None = None
    note: str | None = None


class FakeUsage(Target):
    """An append-only target: no key, meters checked against live reference data."""

    name = "fake.usage"
    api = HALOPSA
    description = "test double"
    Row = UsageRow
    batch_size = 100
    batch_bytes = 200
    posted: ClassVar[list[list[dict[str, Any]]]] = []

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        self.meters = {"api_calls", "storage"}

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        if values.get("meter") not in self.meters:
            return [("meter", f"no live meter has code {values.get('meter')!r}")]
        return []

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        raise AssertionError("a keyless target never fetches by key")

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: Any
    ) -> AsyncIterator[dict[str, Any]]:
        if False:
            yield {}

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        response = await client.post("/ingest", json=[c.payload for c in batch])
        return [
            outcome_for(c, ok=response.is_success, http_status=response.status_code) for c in batch
        ]


class ExportOnly(FakeUsage):
    name = "fake.reports"
    export_only = True


def _plan(cells: dict[str, str]) -> Change:
    target = FakeUsage()
    asyncio.run(target.load_reference(None))  # type: ignore[arg-type]
    hmap = map_headers(FakeUsage, ["meter", "amount", "note"], "u.csv")
    (row,) = validate_rows(FakeUsage, hmap, [RawRow(2, cells)], "u.csv")
    return plan_row(target, row, {}, hmap, "u.csv")


def test_keyless_rows_are_creates() -> None:
    change = _plan({"meter": "api_calls", "amount": "12.5"})
    assert change.action is Action.CREATE
    assert change.payload == {"meter": "api_calls", "amount": 12.5}


def test_reference_check_names_the_column() -> None:
    change = _plan({"meter": "api_calsl", "amount": "1"})
    assert change.action is Action.INVALID
    (error,) = change.errors
    assert (error.row, error.column, error.header, error.value) == (2, "A", "meter", "api_calsl")
    assert error.problem == "no live meter has code 'api_calsl'"
    assert "u.csv: row 2, column A (meter): no live meter" in error.message


def test_batches_close_before_the_byte_cap() -> None:
    changes = [
        Change(r, Action.CREATE, payload={"meter": "storage", "note": "x" * 30})
        for r in range(2, 14)
    ]
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200, json={"result": "accepted"})

    outcomes: list[Outcome] = []

    async def go() -> None:
        client = build_client(
            "https://x.test", rate=Rate.parse("1000/s"), transport=httpx.MockTransport(handler)
        )
        async with client:
            await apply_changes(
                FakeUsage(),
                client,
                changes,
                on_sending=lambda b: None,
                on_outcomes=outcomes.extend,
                concurrency=1,
            )

    asyncio.run(go())
    per_change = payload_bytes(FakeUsage(), changes[0])
    assert per_change * 3 <= 200 < per_change * 4
    assert [len(json.loads(b)) for b in bodies] == [3, 3, 3, 3]
    assert all(len(b) <= 200 for b in bodies)
    assert sorted(o.row for o in outcomes) == list(range(2, 14))
    assert all(o.status is Status.CREATED for o in outcomes)


class HeavyUsage(FakeUsage):
    """A target whose own encoding makes every payload 99 bytes."""

    name = "fake.heavy"

    @staticmethod
    def payload_size(payload: Mapping[str, Any]) -> int:
        return 99


def test_the_byte_cap_weighs_payloads_as_the_target_encodes_them() -> None:
    changes = [Change(r, Action.CREATE, payload={"meter": "storage"}) for r in range(2, 8)]
    batches: list[list[int]] = []

    async def go() -> None:
        client = build_client(
            "https://x.test",
            rate=Rate.parse("1000/s"),
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
        )
        async with client:
            await apply_changes(
                HeavyUsage(),
                client,
                changes,
                on_sending=lambda b: batches.append([c.row for c in b]),
                on_outcomes=lambda o: None,
                concurrency=1,
            )

    asyncio.run(go())
    assert batches == [[2, 3], [4, 5], [6, 7]]  # 2 x (99 + 1) fit in 200, a third does not


def test_export_only_targets_refuse_plan_and_apply() -> None:
    with pytest.raises(BadInput, match=r"fake\.reports can only be exported") as caught:
        ensure_writable(ExportOnly)
    assert "rowpush export fake.reports" in str(caught.value)
    ensure_writable(FakeUsage)  # a writable target passes
