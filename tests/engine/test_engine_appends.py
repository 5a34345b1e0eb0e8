"""Apply's bulk lane (engine/appends.py) journals a sheet of appends exactly as the Change
path does: the same batches (rows, wire bytes, planned ids) and the same invalid rows
with the same messages, on a sheet of every kind of odd row."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from m3ter_loaded import Loaded

from rowpush.config import Connection
from rowpush.engine.appends import LANE_BLOCK, lane_typer
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.prepare import Prepared, prepare
from rowpush.engine.run import ApplyRun
from rowpush.engine.run_files import journal_path
from rowpush.engine.send import Cutter
from rowpush.model import Change
from rowpush.sheets import write_table
from rowpush.targets.m3ter import M3terMeasurements

CONN = Connection(
    "m3ter",
    "m3ter",
    {
        "org_id": "org-1",
        "access_key_id": "k",
        "api_secret": "s",
        "base_url": "https://api.m3ter.test",
        "ingest_url": "https://ingest.m3ter.test",
    },
)

HEADER = "meter,account,ts,ets,uid,measure.requests,who.user_id,where.region,cost.eur"
CELLS = {
    "meter": ["api_calls"] * 8 + ["nope", "", " api_calls ", "storage"],
    "account": ["ACME-001"] * 6 + ["ACME-002", "ACME-404", ""],
    "ts": ["2026-01-31 10:00:00"] * 4
    + ["2026-01-31 10:01:00", "46000", "2026-01-31T10:00:00+02:00", "bad", ""],
    "ets": [""] * 12 + ["2026-02-01 00:00:00", "later"],
    "uid": [""] * 12 + ["given-1", "x" * 201, "  "],
    "measure.requests": ["1", "2.5", " 3 ", "", "abc", "1e3", "007", "nan", "-0"],
    "who.user_id": ["u-1", "é", 'say "hi"', "", "\\", "日本"],
    "where.region": ["eu-west-1"] * 20 + ["x" * 30_000, "=1+1"],
    "cost.eur": ["1.5"] * 10 + ["", "1e400"],
}


class Counted(Loaded):
    """The loaded target, counting the rows its own column encoder made appends of."""

    encoded_rows = 0
    """Rows the target's own column encoder made an append of."""

    def encode_appends(self, columns: Any, count: int) -> Any:
        found = super().encode_appends(columns, count)
        if found is not None:
            Counted.encoded_rows += sum(f is not None for f in found)
        return found


class NoEncoder(Counted):
    """A target without a column encoder: the lane plans its rows one by one."""

    def encode_appends(self, columns: Any, count: int) -> Any:
        return None


class Counting(Callbacks):
    each_change = False

    def __init__(self) -> None:
        self.rows = 0
        self.changes: list[Change] = []

    def planned(self, change: Change) -> None:
        self.changes.append(change)

    def planned_rows(self, count: int) -> None:
        self.rows += count


def _sheet(path: Path, rows: int, seed: int, headers: list[str]) -> Path:
    rnd = random.Random(seed)
    lines = [",".join(headers)]
    for n in range(rows):
        # long stretches of plain rows (a block the target encodes whole), odd ones between
        plain = (n // 150) % 2 == 0 and rnd.random() < 0.97
        cells = []
        for h in headers:
            value = CELLS[h][0] if plain else rnd.choice(CELLS[h])
            if plain and h in ("measure.requests", "who.user_id"):
                value = str(n) if h == "measure.requests" else f"u-{n % 7}"
            cells.append('"' + value.replace('"', '""') + '"' if '"' in value else value)
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _loaded(prep: Prepared, kind: type[Loaded] = Counted) -> Prepared:
    prep.target = kind
    return prep


def _journal(results: Path) -> dict[str, list[Any]]:
    db = sqlite3.connect(journal_path(results))
    try:
        return {
            "batches": db.execute(
                "SELECT first, last, runs, size, wires, ids, state FROM stored ORDER BY first"
            ).fetchall(),
            "rows": db.execute(
                "SELECT row, action, key, label, fields, payload, errors, state FROM rows"
                " ORDER BY row"
            ).fetchall(),
        }
    finally:
        db.close()


def _plan_both(
    sheet: Path, tmp_path: Path, batch_size: int | None, kind: type[Loaded] = Counted
) -> tuple[Any, ...]:
    async def lane() -> Counting:
        prep = _loaded(prepare(sheet, target="m3ter.measurements"), kind)
        run = ApplyRun.create(prep, CONN, tmp_path / "lane.xlsx", batch_size=batch_size)
        typer = lane_typer(prep, run.target)
        assert typer is not None  # the lane is taken
        cb = Counting()
        await run._plan_appends(cb, typer)
        run.journal.close()
        return cb

    async def changes() -> int:
        prep = _loaded(prepare(sheet, target="m3ter.measurements"))
        run = ApplyRun.create(prep, CONN, tmp_path / "changes.xlsx", batch_size=batch_size)
        count = sum([len(chunk) async for chunk in run.plan_chunks()])
        run.journal.close()
        return count

    cb = asyncio.run(lane())
    count = asyncio.run(changes())
    return cb, count, _journal(tmp_path / "lane.xlsx"), _journal(tmp_path / "changes.xlsx")


@pytest.mark.parametrize(("seed", "batch_size"), [(1, None), (2, 7), (3, 1)])
def test_the_lane_journals_what_the_change_path_journals(
    tmp_path: Path, seed: int, batch_size: int | None
) -> None:
    rows = 2 * LANE_BLOCK + 137
    sheet = _sheet(tmp_path / "usage.csv", rows, seed, HEADER.split(","))
    Counted.encoded_rows = 0
    cb, count, lane, changes = _plan_both(sheet, tmp_path, batch_size)
    assert count == rows
    assert Counted.encoded_rows > rows // 2  # most rows went through the column encoder
    assert lane == changes
    batched = sum(size for _, _, _, size, _, _, _ in lane["batches"])
    invalid = len(lane["rows"])
    assert batched + invalid == rows
    assert batched > rows // 2  # both kinds of row are in the sheet
    assert invalid > 10
    assert cb.rows + len(cb.changes) == rows  # every row reported once
    assert [c.row for c in cb.changes] == [r[0] for r in lane["rows"]]


def test_the_lane_journals_a_sheet_without_optional_columns_alike(tmp_path: Path) -> None:
    headers = ["meter", "account", "ts", "measure.requests", "who.user_id"]
    sheet = _sheet(tmp_path / "usage.csv", LANE_BLOCK + 5, 4, headers)
    _, count, lane, changes = _plan_both(sheet, tmp_path, None)
    assert lane == changes
    assert count == LANE_BLOCK + 5


def test_without_a_column_encoder_the_lane_plans_rows_one_by_one_alike(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path / "usage.csv", LANE_BLOCK + 40, 6, HEADER.split(","))
    _, _, lane, changes = _plan_both(sheet, tmp_path, 10, NoEncoder)
    assert lane == changes
    assert lane["batches"]
    assert lane["rows"]


def test_the_lane_is_only_for_appends_planned_on_the_command_line(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path / "usage.csv", 3, 5, HEADER.split(","))
    prep = prepare(sheet, target="m3ter.measurements")
    assert lane_typer(prep, M3terMeasurements(CONN)) is not None
    clients = tmp_path / "clients.csv"
    clients.write_text("id,name\n,Acme\n", encoding="utf-8")
    halo = prepare(clients, target="halopsa.clients")
    assert lane_typer(halo, halo.target(None)) is None  # keyed: the Change path
    assert Callbacks.each_change  # a face that looks at each change keeps the Change path


def _cut_one_by_one(weights: list[int], size: int, cap: int | None) -> list[list[int]]:
    """The batching rule, an item at a time: the byte cap first (an empty batch takes any
    item), then the count."""
    batches: list[list[int]] = []
    batch: list[int] = []
    used = 0
    for item, weight in enumerate(weights):
        if cap and batch and used + weight > cap:
            batches.append(batch)
            batch, used = [], 0
        batch.append(item)
        used += weight
        if len(batch) >= size:
            batches.append(batch)
            batch, used = [], 0
    return [*batches, batch] if batch else batches


@pytest.mark.parametrize("seed", range(40))
def test_a_cutter_cuts_runs_of_items_as_it_cuts_them_one_at_a_time(seed: int) -> None:
    rnd = random.Random(seed)
    size = rnd.choice([1, 2, 3, 7, 1000])
    cap = rnd.choice([None, 10, 50, 300])
    weights = [rnd.choice([1, 2, 5, 9, 30, 70, 400]) for _ in range(rnd.randrange(0, 120))]
    cutter: Cutter[int] = Cutter(size, cap)
    got: list[list[int]] = []
    at = 0
    while at < len(weights):  # runs of random lengths, as blocks come
        step = rnd.randrange(1, 40)
        items = list(range(at, min(at + step, len(weights))))
        got += cutter.add_many(items, weights[at : at + step])
        at += step
    if (rest := cutter.rest()) is not None:
        got.append(rest)
    assert got == _cut_one_by_one(weights, size, cap)


def test_the_lane_journals_a_workbook_of_typed_cells_alike(tmp_path: Path) -> None:
    """An XLSX gives date cells as dates (numbers and booleans as the text Excel keeps,
    "1", "TRUE"): the lane must journal them as the Change path does."""
    rnd = random.Random(8)
    moments = [datetime(2026, 1, 31, 10, m) for m in range(5)] + [date(2026, 2, 1)]
    numbers: list[object] = [1, 2, 1.0, 2.5, 0.1, 10**20, True, -3, "7", "x", 1e300]
    users: list[object] = ["u-1", 17, 17.5, False, "", "é"]
    rows = []
    for n in range(LANE_BLOCK + 300):
        plain = (n // 200) % 2 == 0
        rows.append(
            [
                "api_calls",
                "ACME-001" if plain or rnd.random() < 0.8 else "ACME-404",
                moments[n % 5] if plain else rnd.choice(moments),
                n if plain else rnd.choice(numbers),
                f"u-{n % 9}" if plain else rnd.choice(users),
            ]
        )
    sheet = tmp_path / "usage.xlsx"
    write_table(sheet, ["meter", "account", "ts", "measure.requests", "who.user_id"], rows)
    Counted.encoded_rows = 0
    _, count, lane, changes = _plan_both(sheet, tmp_path, None)
    assert count == len(rows)
    assert lane == changes
    assert Counted.encoded_rows > len(rows) // 3
    assert lane["rows"]  # some rows refused
