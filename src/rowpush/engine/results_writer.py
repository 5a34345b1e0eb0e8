"""Write the results workbook: every input row as written, with what happened to it.

Sheet `Results`: the input columns, then `_row`, `_status`, `_http_status`,
`_message`, `_remote_id`, `_at` (a date cell in UTC), `_before` (for an update, the
old value of each field it changed, as a JSON object: `{"item_tax_code": 3}`; blank
for any other row) and, after `apply --verify`, `_verify` (holds / changed since /
gone). Sheet `Summary`: counts by status, target, connection and base URL (never a
secret), input file and its SHA-256, times and duration, requests sent, retries,
throttle pauses, rowpush version. Built by streaming the input sheet again beside
the journal (all in row order), so memory stays flat.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rowpush import __version__
from rowpush.engine.journal import OutcomeRun
from rowpush.model import CellValue, Outcome, Status
from rowpush.sheets import ColumnSpec, Sheet, write_table
from rowpush.sheets.cell_blocks import CellBlock, CellBlocks, Same, Typer
from rowpush.sheets.formats import ColumnKind, cell_value, naive_utc

if TYPE_CHECKING:
    from rowpush.engine.journal import Journal
    from rowpush.engine.validate import HeaderMap
    from rowpush.targets.base import Target

__all__ = [
    "BEFORE_COLUMN",
    "RESULT_COLUMNS",
    "STAT_LABELS",
    "VERIFY_COLUMN",
    "RunInfo",
    "Verdicts",
    "file_sha256",
    "input_kinds",
    "write_results",
]

RESULT_COLUMNS = ("_row", "_status", "_http_status", "_message", "_remote_id", "_at")
BEFORE_COLUMN = "_before"
"""Old values of an update's changed fields, header → value, as one JSON object: one
column whatever the target, readable in a cell and exact to read back (revert)."""
VERIFY_COLUMN = "_verify"
"""What `apply --verify` found live right after the run."""
#: Journal meta counter → Summary label: what the connection did during the run.
STAT_LABELS = {
    "requests": "Requests sent",
    "retries": "Retries",
    "throttled": "Throttle pauses",
    "held": "Rate-window waits",
    "giveups": "Gave up",
}


@dataclass(frozen=True)
class RunInfo:
    """What the Summary sheet says about a run."""

    target: str
    connection: str
    base_url: str
    input_file: Path
    input_sha256: str
    sheet: str | None
    started: datetime
    finished: datetime
    retry_of: str | None = None
    """The results workbook whose failed rows this run retried."""
    stats: Mapping[str, int] = field(default_factory=dict)
    """The run's counters (`STAT_LABELS`), summed over every session of it."""
    verify: str | None = None
    """One line of what `apply --verify` found (None: not verified)."""
    plan: str | None = None
    """The saved plan this run applied (`apply PLAN.rowplan`), with when it was made."""


class Verdicts:
    """What a verify found for a run's changed rows: only rows that do not hold are kept
    (a flat dict for a clean million-row run); every other changed row holds."""

    def __init__(self) -> None:
        self.problems: dict[int, str] = {}
        self.holds = 0

    def column(self, row: int, status: str) -> str | None:
        if status not in ("created", "updated"):
            return None
        return self.problems.get(row, "holds")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_kinds(target: type[Target], hmap: HeaderMap) -> dict[str, ColumnKind]:
    """Each input header's column kind (sheets/formats.py), from the target's columns."""
    by_alias = {spec.header: spec.kind for spec in target.columns()}
    return {
        header: by_alias.get(column.alias, ColumnKind.GENERAL)
        for header, column in hmap.columns.items()
    }


def write_results(
    path: Path,
    sheet: Sheet,
    journal: Journal,
    info: RunInfo,
    *,
    kinds: Mapping[str, ColumnKind] | None = None,
    verdicts: Verdicts | None = None,
) -> dict[str, int]:
    """Write the results workbook; returns the counts by status. `kinds` (see
    `input_kinds`) types the input columns: text stays text (in the Text format), a
    date without a zone becomes a date cell, the rest reads as typed (`as_written`).
    `verdicts`: what `apply --verify` found, in a `_verify` column."""
    counts = journal.status_counts()
    headers = list(sheet.headers)
    column_kinds = [(kinds or {}).get(h, ColumnKind.GENERAL) for h in headers]
    typers: list[Typer | None] = [_TYPERS.get(kind, as_written) for kind in column_kinds]
    # An XLSX holds `_at` as a date cell, in UTC (Excel has no time zones); a CSV says
    # the zone in the ISO 8601 text
    stamps = _Stamps(naive_utc if path.suffix.lower() == ".xlsx" else datetime.isoformat)
    extra = [BEFORE_COLUMN] if verdicts is None else [BEFORE_COLUMN, VERIFY_COLUMN]
    tail = len(RESULT_COLUMNS) + len(extra)
    blocks = _ResultBlocks(journal, stamps, verdicts)

    summary: list[list[object]] = [["Field", "Value"], *_summary_head(info), ["", ""]]
    summary.append(["Status", "Rows"])
    # `stale` belongs to saved plans only: listed when some row is
    summary.extend([s, n] for s, n in counts.items() if n or s != Status.STALE.value)
    summary.append(["total", sum(counts.values())])
    meta = {
        "target": info.target,
        "rowpush_version": __version__,
        "kind": "results",
        "connection": info.connection,
    }
    with _collector_paused():
        write_table(
            path,
            [
                *(ColumnSpec(h, kind=k) for h, k in zip(headers, column_kinds, strict=True)),
                *RESULT_COLUMNS,
                *extra,
            ],
            CellBlocks([*typers, *[None] * tail], blocks.of(sheet)),
            sheet_title="Results",
            meta=meta,
            extra_sheets=[("Summary", summary)],
        )
    return counts


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the results are written: the sheet's
    blocks (a list a row) would start a collection every 700 rows, ~15% of the time,
    and nothing written makes a cycle (all else is freed as usual, by reference count)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?")
#: The longest text `_NUMBER` matches: a longer one (a uuid) is no number.
_NUMBER_MAX = 23
_STATUS_TEXT = {status: status.value for status in Status}  # `.value` is a slow property
#: Input rows read at a time.
_BLOCK = 1024


class _Stamps:
    """`_at` cells: one stamp for the rows of a batch (equal moments stamp alike only in
    UTC: a CSV's ISO text keeps each moment's offset)."""

    def __init__(self, stamp: Callable[[datetime], object]) -> None:
        self.stamp = stamp
        self.reuse = stamp is naive_utc
        self.last: datetime | None = None
        self.last_stamp: object = None

    def of(self, at: datetime | None) -> object:
        if at is None:
            return None
        if at != self.last or not self.reuse:
            self.last, self.last_stamp = at, self.stamp(at)
        return self.last_stamp


class _ResultBlocks:
    """The results' rows as `CellBlock`s: the input sheet read a block at a time beside
    the journal's outcomes (all in row order). The rows of a batch answered as one share
    their outcome's cells (`Same`); other rows have theirs row by row."""

    def __init__(self, journal: Journal, stamps: _Stamps, verdicts: Verdicts | None) -> None:
        self.items = journal.outcome_blocks()
        self.item: Outcome | OutcomeRun | None = next(self.items, None)
        self.befores = journal.befores()
        self.before: tuple[int, str] | None = next(self.befores, None)
        self.stamps = stamps
        self.verdicts = verdicts

    def of(self, sheet: Sheet) -> Iterator[CellBlock]:
        for block in sheet.blocks(_BLOCK):
            numbers = block.numbers
            inputs: list[tuple[CellValue, ...]] = list(zip(*block.cells, strict=True))
            count = len(numbers)
            i = 0
            while i < count:
                self._skip(numbers[i])
                item = self.item
                if isinstance(item, OutcomeRun) and item.first <= numbers[i]:
                    j = bisect.bisect_right(numbers, item.last, i)
                    tail = self._run_tail(item, numbers[i:j])
                else:
                    j, tail = self._row_tail(numbers, i)
                whole = i == 0 and j == count
                columns: list[Sequence[object] | Same] = [
                    column if whole else column[i:j] for column in inputs
                ]
                columns += tail
                yield CellBlock(j - i, columns)
                i = j

    def _skip(self, row: int) -> None:
        """Pass the outcomes of rows before `row` (rows the sheet no longer has)."""
        item = self.item
        while item is not None and (item.last if isinstance(item, OutcomeRun) else item.row) < row:
            item = next(self.items, None)
        self.item = item

    def _run_tail(self, run: OutcomeRun, rows: list[int]) -> list[Sequence[object] | Same]:
        """The result cells of `rows`, all in `run`: one outcome, each row's remote id."""
        status = _STATUS_TEXT[run.status]
        ids: Sequence[object] | Same = Same("")
        if run.ids is not None:
            start, stop = rows[0] - run.first, rows[-1] - run.first + 1
            named = run.ids[start:stop]
            if stop - start != len(rows):  # rows the sheet no longer has (cannot be)
                named = [run.ids[r - run.first] for r in rows]
            # a uuid is no number; shorter ids are typed one by one
            if None in named or min(map(len, cast("list[str]", named))) <= _NUMBER_MAX:
                ids = list(map(_typed_id, named))
            else:
                ids = named
        tail: list[Sequence[object] | Same] = [
            rows,
            Same(status),
            Same(run.http_status),
            Same(run.message),
            ids,
            Same(self.stamps.of(run.at)),
            self._olds(rows),
        ]
        if self.verdicts is not None:
            tail.append(list(map(self.verdicts.column, rows, repeat(status))))
        return tail

    def _row_tail(self, numbers: list[int], i: int) -> tuple[int, list[Sequence[object] | Same]]:
        """The result cells of the rows from `numbers[i]` on that have an outcome each (up
        to a run's first row): where that ends, and the cells."""
        columns: list[list[object]] = [[] for _ in range(len(RESULT_COLUMNS))]
        row_of, status_of, http_of, message_of, id_of, at_of = columns
        verify: list[object] = []
        j = i
        while j < len(numbers):
            row = numbers[j]
            self._skip(row)
            item = self.item
            if isinstance(item, OutcomeRun):
                if item.first <= row:
                    break
                outcome = None
            else:
                outcome = item if item is not None and item.row == row else None
            if outcome is None:  # read after the plan (should not happen): say so
                outcome = Outcome(row, Status.SKIPPED, message="not planned")
            status = _STATUS_TEXT[outcome.status]
            row_of.append(row)
            status_of.append(status)
            http_of.append(outcome.http_status)
            message_of.append(outcome.message)
            id_of.append(_typed_id(outcome.remote_id))
            at_of.append(self.stamps.of(outcome.at))
            if self.verdicts is not None:
                verify.append(self.verdicts.column(row, status))
            j += 1
        tail: list[Sequence[object] | Same] = [*columns, self._olds(numbers[i:j])]
        if self.verdicts is not None:
            tail.append(verify)
        return j, tail

    def _olds(self, rows: list[int]) -> Sequence[object] | Same:
        """`_before` of `rows`: the old values of each update among them."""
        while self.before is not None and self.before[0] < rows[0]:
            self.before = next(self.befores, None)
        if self.before is None or self.before[0] > rows[-1]:
            return Same(None)
        olds: list[object] = []
        for row in rows:
            while self.before is not None and self.before[0] < row:
                self.before = next(self.befores, None)
            before = self.before
            olds.append(old_values(before[1]) if before is not None and before[0] == row else None)
        return olds


def _typed_id(remote_id: str | None) -> object:
    """A remote id's cell: a number id reads as a number; a longer one (a uuid) cannot
    be one."""
    text = remote_id or ""
    return text if len(text) > _NUMBER_MAX else as_written(text)


def as_written(value: CellValue) -> object:
    """A cell as the user most likely typed it: "12" was a number, "00123" was text.

    Sheets are read as text; the results workbook shows numbers and booleans as such
    (only where the text round-trips exactly), so it reads like the input.
    """
    if not isinstance(value, str):
        return value
    if value in ("TRUE", "FALSE"):
        return value == "TRUE"
    if _NUMBER.fullmatch(value) and not (value.endswith("0") and "." in value):
        return float(value) if "." in value else int(value)
    return value


def _as_text(value: CellValue) -> object:
    return value if isinstance(value, str) else cell_value(ColumnKind.TEXT, value)


def _as_moment(kind: ColumnKind) -> Callable[[CellValue], object]:
    def typed(value: CellValue) -> object:
        # ISO text without a zone becomes a date cell; with one it stays as typed
        # (Excel has no zones: converting would show another time than the input's)
        if isinstance(value, str) and not _ZONED.search(value):
            return cell_value(kind, value)
        return as_written(value) if isinstance(value, str) else cell_value(kind, value)

    return typed


_ZONED = re.compile(r"(Z|[+-]\d\d:?\d\d)\s*$")
_TYPERS: dict[ColumnKind, Callable[[CellValue], object]] = {
    ColumnKind.TEXT: _as_text,
    ColumnKind.DATE: _as_moment(ColumnKind.DATE),
    ColumnKind.DATETIME: _as_moment(ColumnKind.DATETIME),
}


@functools.lru_cache(maxsize=4096)
def old_values(fields: str) -> str:
    """`_before` of a row: its stored diffs `{"h": [old, new]}` as `{"h": old}` (JSON).
    Memoized: a bulk change mostly repeats a few diffs (300 clients from tax code 1 to 2)."""
    return _BEFORE.encode({h: pair[0] for h, pair in json.loads(fields).items()})


_BEFORE = json.JSONEncoder(ensure_ascii=False)  # readable accents in the cell


def _summary_head(info: RunInfo) -> Iterator[list[object]]:
    yield ["Target", info.target]
    yield ["Connection", info.connection]
    yield ["Base URL", info.base_url]
    yield ["Input file", info.input_file.name]
    yield ["Input SHA-256", info.input_sha256]
    yield ["Sheet", info.sheet or ""]
    yield ["Started", info.started.isoformat()]
    yield ["Finished", info.finished.isoformat()]
    yield ["Duration", _duration(info.finished - info.started)]
    for key, label in STAT_LABELS.items():
        yield [label, info.stats.get(key, 0)]
    if info.verify:
        yield ["Verified", info.verify]
    yield ["rowpush version", __version__]
    if info.retry_of:
        yield ["Retry of", info.retry_of]
    if info.plan:
        yield ["Saved plan", info.plan]


def _duration(span: timedelta) -> str:
    """A run's length as H:MM:SS (whole seconds)."""
    seconds = max(0, int(span.total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
