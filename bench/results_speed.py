"""The results workbook of a measurement run: `write_results` alone, on N rows.

    .venv/bin/python bench/results_speed.py --rows 200000
    .venv/bin/python bench/results_speed.py --rows 100000 --profile

Writes N measurement rows as a CSV (bench/million.py's `write_sheet`), then writes
their results workbook with the real `write_results`, re-reading that CSV beside a
journal-like outcome stream (no SQLite: every row `created`, HTTP 200, one message,
a uuid remote id, `at` moving on every 1,000 rows as one batch after another). Prints
`write_results`'s CPU per row (`time.process_time`, CSV re-read included), the part of
it the CSV re-read and the stand-in outcome stream cost by themselves (their modules'
work, not the results writer's), and the process's peak RSS. Figures, not assertions;
the test suite runs it on a tiny N only to prove it still works.
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

from rowpush.engine.results_writer import RunInfo, write_results
from rowpush.model import Outcome, Status
from rowpush.sheets import open_sheet
from rowpush.sheets.formats import ColumnKind
from rowpush.targets.m3ter import M3terMeasurements

ACCOUNTS = [f"ACME-{n:03}" for n in range(1, 51)]
BATCH = 1000  # m3ter's measurements a request: the rows that settle together
START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


class FakeJournal:
    """What `write_results` reads of a journal, for `rows` rows all created: outcomes in
    row order (a new `Outcome` and `at` each row, as the journal makes them)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        # Uuids made once: making them is no part of writing results.
        self.ids = [str(uuid.UUID(int=n * 7919 + 1)) for n in range(BATCH)]

    def outcomes(self) -> Iterator[Outcome]:
        ids, created = self.ids, Status.CREATED
        for index in range(self.rows):
            at = (START + timedelta(seconds=index // BATCH)).isoformat()
            yield Outcome(
                index + 2,
                created,
                200,
                "ingested",
                ids[index % BATCH],
                datetime.fromisoformat(at),
            )

    def befores(self) -> Iterator[tuple[int, str]]:
        return iter(())  # measurements are created: no update, no old values

    def status_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        counts[Status.CREATED.value] = self.rows
        return counts


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
        journal = FakeJournal(args.rows)
        # What the inputs cost by themselves (their own modules' work, not the writer's)
        reread = min(_cpu(sheet.rows()) for _ in range(args.repeat))
        stream = min(_cpu(journal.outcomes()) for _ in range(args.repeat))
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
            counts = write_results(out, sheet, journal, info, kinds=kinds)  # type: ignore[arg-type]
            if profile is not None:
                profile.disable()
            took = min(took, time.process_time() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = out.stat().st_size
    per_row = took / args.rows * 1e6
    print(f"python {sys.version.split()[0]}; {args.rows:,} measurement rows (CSV), 14 columns")
    inputs = (reread + stream) / args.rows * 1e6
    print(f"write_results {took:7.2f} s CPU  {per_row:6.2f} µs/row  {size / 1e6:,.1f} MB written")
    print(
        f"of which inputs {inputs:6.2f} µs/row (CSV re-read {reread / args.rows * 1e6:.2f}, "
        f"outcome stand-in {stream / args.rows * 1e6:.2f}); "
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
