"""The results workbook of a measurement run: `write_results` alone, on N rows.

    .venv/bin/python bench/results_speed.py --rows 200000
    .venv/bin/python bench/results_speed.py --rows 100000 --profile

Writes N measurement rows as a CSV (bench/million.py's `write_sheet`) and a real
journal of them as a measurement run leaves it: batches of 1,000 rows, each stored
once (`Journal.add_batch`, a distinct uuid per row) and answered whole (created, HTTP
200, one message, `at` moving on every batch). Then writes their results workbook with
the real `write_results`, which re-reads that CSV a block at a time beside the
journal's outcomes. Prints `write_results`'s CPU per row (`time.process_time`, CSV
re-read and journal read included), the part of it the CSV re-read and the journal
read cost by themselves (their modules' work, not the results writer's), and the
process's peak RSS. Figures, not assertions; the test suite runs it on a tiny N only
to prove it still works.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from million import write_sheet

from rowpush.engine.journal import Journal
from rowpush.engine.results_writer import RunInfo, write_results
from rowpush.model import Action, Change, Outcome, Status
from rowpush.sheets import open_sheet
from rowpush.sheets.formats import ColumnKind
from rowpush.targets.m3ter import M3terMeasurements

ACCOUNTS = [f"ACME-{n:03}" for n in range(1, 51)]
BATCH = 1000  # m3ter's measurements a request: the rows that settle together
START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def make_journal(path: Path, rows: int) -> Journal:
    """A journal of `rows` measurements all created, as a run stores them: a batch of
    `BATCH` rows at a time, answered whole, each row with its own uuid."""
    journal = Journal(path)
    for first in range(0, rows, BATCH):
        numbers = range(first + 2, min(first + BATCH, rows) + 2)
        batch = [Change(n, Action.CREATE, payload={"uid": f"u{n}"}) for n in numbers]
        journal.add_batch(batch, [str(uuid.UUID(int=n * 7919 + 1)) for n in numbers])
    for index, stored in enumerate(journal.pending_batches()):
        journal.mark_stored_sending(stored)
        at = START + timedelta(seconds=index)
        journal.answer_batch(stored, Outcome(0, Status.CREATED, 200, "ingested", None, at))
    return journal


def _cpu(items: Iterator[object]) -> float:
    """CPU seconds to go through `items`."""
    started = time.process_time()
    for _ in items:
        pass
    return time.process_time() - started


def measurement_kinds(headers: list[str]) -> dict[str, ColumnKind]:
    """Each header's kind as `input_kinds` finds it for m3ter.measurements."""
    by_header = {spec.header: spec.kind for spec in M3terMeasurements.columns()}
    return {h: by_header.get(h, ColumnKind.GENERAL) for h in headers}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="measurements (100000)")
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs; the quickest counts (a busy machine)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "usage.csv"
        write_sheet(source, args.rows, ACCOUNTS)
        sheet = open_sheet(source)
        journal = make_journal(folder / "results.xlsx.journal", args.rows)
        # What the inputs cost by themselves (their own modules' work, not the writer's)
        reread = min(_cpu(sheet.blocks(1024)) for _ in range(args.repeat))
        stream = min(_cpu(journal.outcome_blocks()) for _ in range(args.repeat))
        now = datetime.now(UTC)
        info = RunInfo(
            target=M3terMeasurements.name,
            connection="m3ter",
            base_url="https://ingest.m3ter.com",
            input_file=source,
            input_sha256="0" * 64,
            sheet=None,
            started=now,
            finished=now,
        )
        kinds = measurement_kinds(list(sheet.headers))
        out = folder / "results.xlsx"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        profile = cProfile.Profile() if args.profile else None
        took = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            if profile is not None:
                profile.enable()
            counts = write_results(out, sheet, journal, info, kinds=kinds)
            if profile is not None:
                profile.disable()
            took = min(took, time.process_time() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = out.stat().st_size
        journal.close()
    per_row = took / args.rows * 1e6
    print(f"python {sys.version.split()[0]}; {args.rows:,} measurement rows (CSV), 14 columns")
    inputs = (reread + stream) / args.rows * 1e6
    print(f"write_results {took:7.2f} s CPU  {per_row:6.2f} µs/row  {size / 1e6:,.1f} MB written")
    print(
        f"of which inputs {inputs:6.2f} µs/row (CSV re-read {reread / args.rows * 1e6:.2f}, "
        f"journal outcomes {stream / args.rows * 1e6:.2f}); "
        f"the results writer's own {per_row - inputs:6.2f} µs/row"
    )
    print(
        f"peak RSS {peak / 1024:,.0f} MiB (before writing {rss_before / 1024:,.0f} MiB); "
        f"created {counts['created']:,}"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
