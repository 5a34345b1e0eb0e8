"""Planning does each row's work once: the JSON dump reuses the Python one where they
agree, a keyless target is planned row by row, and the wire a target builds is kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, field_serializer

from rowpush.engine.plan import _json_values, plan_rows
from rowpush.engine.validate import ValidRow, map_headers, validate_rows
from rowpush.model import Action, RawRow
from rowpush.targets.m3ter import M3terMeasurements
from rowpush.targets.wire import json_bytes


class Colour(StrEnum):
    RED = "red"


class Plain(BaseModel):
    text: str | None = None
    whole: int | None = None
    flag: bool | None = None
    ratio: float | None = None
    day: date | None = None
    moment: datetime | None = None
    colour: Colour | None = None


class Serialized(BaseModel):
    text: str | None = None

    @field_serializer("text", when_used="json")
    def _shout(self, value: str | None) -> str | None:
        return value.upper() if value else value


@pytest.mark.parametrize(
    "model",
    [
        Plain(text="a", whole=3, flag=True),
        Plain(text=None, whole=10**30),
        Plain(ratio=1.5),
        Plain(ratio=float("inf")),
        Plain(day=date(2026, 1, 31), text="x"),
        Plain(moment=datetime(2026, 1, 31, 23, tzinfo=UTC)),
        Plain(colour=Colour.RED),
        Serialized(text="quiet"),
    ],
)
def test_json_values_are_the_models_json_dump(model: BaseModel) -> None:
    values = model.model_dump(exclude_unset=True)
    got = _json_values(model, values)
    assert got == model.model_dump(mode="json", exclude_unset=True)
    assert [type(v) for v in got.values()] == [
        type(v) for v in model.model_dump(mode="json", exclude_unset=True).values()
    ]
    assert got is not values  # the payload may keep it: never the row's own dict


def _measurements(count: int, seen: list[int]) -> Iterator[RawRow]:
    for n in range(count):
        seen.append(n)
        yield RawRow(
            n + 2,
            {"meter": "api_calls", "account": "A", "ts": "2026-01-31", "measure.requests": str(n)},
        )


def test_keyless_rows_are_planned_as_they_come_not_a_chunk_at_a_time() -> None:
    target = M3terMeasurements()
    target.meters = {"api_calls": {"measure": {"requests"}}}
    target.accounts = {"A"}
    headers = ["meter", "account", "ts", "measure.requests"]
    hmap = map_headers(M3terMeasurements, headers, "m.csv")
    seen: list[int] = []
    rows: Iterator[ValidRow] = validate_rows(
        M3terMeasurements, hmap, _measurements(5000, seen), "m.csv"
    )

    async def first_two() -> list[Any]:
        async with httpx.AsyncClient() as client:
            out = []
            async for change in plan_rows(target, client, rows, hmap, "m.csv"):
                out.append((change, len(seen)))
                if len(out) == 2:
                    break
            return out

    (first, read_first), (second, read_second) = asyncio.run(first_two())
    assert (read_first, read_second) == (1, 2)  # not 1,000 rows held for the first change
    assert first.action is Action.CREATE
    assert first.wire == json_bytes(first.payload)  # the target's own encoding, kept
    assert second.payload["measure"] == {"requests": 1}
