"""Read → validate → plan of N m3ter measurements from CSV, in process, without a network.

    .venv/bin/python bench/plan_speed.py --rows 100000

Writes N measurement rows as bench/million.py does, then plans them against an
m3ter.measurements target whose reference data (meters, accounts) is set directly, so no
request is made, both ways: `Prepared.changes` (a change per row: `plan`, the TUI) and
apply's bulk lane (engine/appends.py: a block at a time, no object per row, the
journal's batches cut as apply cuts them). Prints rowpush's CPU per row
(`time.process_time`) for each and for reading the CSV alone, and the peak RSS. Figures,
not assertions; the test suite runs it on a tiny N only to prove it still works.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx
from million import write_sheet  # the yardstick's sheet (bench/ is this script's folder)

from rowpush.engine.appends import append_blocks, lane_typer
from rowpush.engine.prepare import prepare
from rowpush.engine.send import Cutter
from rowpush.model import Action
from rowpush.targets.m3ter import M3terMeasurements

ACCOUNTS = [f"ACME-{n:03}" for n in range(1, 21)]


class _Loaded(M3terMeasurements):
    """The target with its reference data set here: nothing to load."""

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        return


def target() -> M3terMeasurements:
    found = _Loaded()
    found.meters = {
        "api_calls": {
            "who": {"user_id"},
            "where": {"region"},
            "what": {"endpoint"},
            "measure": {"requests"},
        }
    }
    found.accounts = set(ACCOUNTS)
    return found


async def plan_all(sheet: Path) -> dict[Action, int]:
    prepared = prepare(sheet, target="m3ter.measurements")
    counts: dict[Action, int] = {}
    async with httpx.AsyncClient() as client:
        async for change in prepared.changes(target(), client):
            counts[change.action] = counts.get(change.action, 0) + 1
    return counts


def lane_all(sheet: Path) -> tuple[int, int]:
    """Apply's bulk lane: (rows planned as appends, batches cut)."""
    prepared = prepare(sheet, target="m3ter.measurements")
    found = target()
    typer = lane_typer(prepared, found)
    assert typer is not None
    cutter: Cutter[tuple[int, bytes, str | None]] = Cutter(found.batch_size, found.batch_bytes)
    appended = batches = 0
    for block in append_blocks(prepared, found, typer):
        appended += len(block.appends)
        weights = [len(wire) + 1 for _, wire, _ in block.appends]
        batches += len(cutter.add_many(block.appends, weights))
    return appended, batches + (cutter.rest() is not None)


def read_all(sheet: Path) -> int:
    prepared = prepare(sheet, target="m3ter.measurements")
    return sum(1 for _ in prepared.sheet.rows())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="measurements (100000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "usage.csv"
        write_sheet(sheet, args.rows, ACCOUNTS)
        started = time.process_time()
        read = read_all(sheet)
        reading = time.process_time() - started
        started = time.process_time()
        counts = asyncio.run(plan_all(sheet))
        planning = time.process_time() - started
        started = time.process_time()
        appended, batches = lane_all(sheet)
        lane = time.process_time() - started
    per_row = planning / args.rows * 1e6
    print(f"python {sys.version.split()[0]}; {args.rows:,} m3ter measurements (CSV)")
    print(f"read          {reading:7.2f} s CPU  {reading / max(read, 1) * 1e6:7.1f} µs/row")
    print(f"read+plan     {planning:7.2f} s CPU  {per_row:7.1f} µs/row  (a change per row)")
    print(
        f"bulk lane     {lane:7.2f} s CPU  {lane / args.rows * 1e6:7.1f} µs/row  "
        f"({appended:,} appends in {batches:,} batches)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS      {peak:7,.0f} MiB (memory stays flat: rows stream)")
    shown = ", ".join(f"{n:,} {a.value}" for a, n in sorted(counts.items()))
    print(f"planned: {shown}")
    return 0 if counts.get(Action.CREATE) == args.rows == appended else 1


if __name__ == "__main__":
    raise SystemExit(main())
