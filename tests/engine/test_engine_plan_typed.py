"""A target with nothing live to read plans its rows typed by column (a chunk at a time):
every change, valid or not, is the one row-by-row planning makes."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
from m3ter_loaded import Loaded

from rowpush.engine.plan import plan_rows
from rowpush.engine.prepare import TYPED_CHUNK, Prepared, prepare
from rowpush.engine.validate_columns import ColumnTyper
from rowpush.model import Action, Change

HEADER = "meter,account,ts,ets,uid,measure.requests,who.user_id,where.region"
CELLS = {
    "meter": ["api_calls"] * 6 + ["nope", "", " api_calls "],
    "account": ["ACME-001"] * 6 + ["ACME-404", ""],
    "ts": ["2026-01-31 10:00:00"] * 4 + ["46000", "2026-01-31T10:00:00+02:00", "bad", ""],
    "ets": [""] * 6 + ["2026-02-01 00:00:00", "later"],
    "uid": [""] * 8 + ["given-1", "x" * 201],
    "measure.requests": ["1", "2.5", " 3 ", "", "abc", "1e3"],
    "who.user_id": ["u-1", "é", 'say "hi"', ""],
    "where.region": ["eu-west-1", "x" * 30_000],
}


def _sheet(path: Path, rows: int) -> Path:
    rnd = random.Random(7)
    headers = HEADER.split(",")
    lines = [HEADER]
    for _ in range(rows):
        cells = []
        for h in headers:
            value = rnd.choice(CELLS[h]) if h != "where.region" or rnd.random() < 0.01 else "eu"
            cells.append('"' + value.replace('"', '""') + '"' if '"' in value else value)
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _typed(prep: Prepared) -> list[Change]:
    async with httpx.AsyncClient() as client:
        return [c async for chunk in prep.change_chunks(Loaded(), client) for c in chunk]


async def _row_by_row(prep: Prepared) -> list[Change]:
    target = Loaded()
    async with httpx.AsyncClient() as client:
        await target.load_reference(client)
        return [c async for c in plan_rows(target, client, prep.rows(), prep.hmap, prep.file)]


def test_typed_planning_makes_the_changes_row_by_row_planning_makes(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path / "usage.csv", 3 * TYPED_CHUNK + 17)
    prep = prepare(sheet, target="m3ter.measurements")
    assert ColumnTyper.of(prep.target, prep.hmap) is not None  # the typed path is taken
    typed = asyncio.run(_typed(prep))
    by_row = asyncio.run(_row_by_row(prep))
    assert [c.row for c in typed] == list(range(2, 3 * TYPED_CHUNK + 19))
    assert typed == by_row  # actions, fields, payloads, wire bytes, errors, labels
    actions = {c.action for c in typed}
    assert actions == {Action.CREATE, Action.INVALID}
    assert sum(c.action is Action.CREATE for c in typed) > 20
