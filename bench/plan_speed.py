"""Read → validate → plan of N m3ter measurements from CSV, in process, without a network.

    .venv/bin/python bench/plan_speed.py --rows 100000

Writes N measurement rows as bench/million.py does, then runs `prepare(...)` and
`Prepared.changes` against an m3ter.measurements target whose reference data (meters,
accounts) is set directly, so no request is made. Each change is weighed as planning
weighs it (its one wire encoding). Prints rowpush's CPU per row (`time.process_time`)
for the whole path and for reading the CSV alone, and the peak RSS. Figures, not
assertions; the test suite runs it on a tiny N only to prove it still works.
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

from rowpush.engine.prepare import prepare
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
    per_row = planning / args.rows * 1e6
    print(f"python {sys.version.split()[0]}; {args.rows:,} m3ter measurements (CSV)")
    print(f"read          {reading:7.2f} s CPU  {reading / max(read, 1) * 1e6:7.1f} µs/row")
    print(f"read+plan     {planning:7.2f} s CPU  {per_row:7.1f} µs/row")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS      {peak:7,.0f} MiB (memory stays flat: rows stream)")
    shown = ", ".join(f"{n:,} {a.value}" for a, n in sorted(counts.items()))
    print(f"planned: {shown}")
    return 0 if counts.get(Action.CREATE) == args.rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
