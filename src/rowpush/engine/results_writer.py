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

import functools
import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rowpush import __version__
from rowpush.model import CellValue, Outcome, Status
from rowpush.sheets import ColumnSpec, Sheet, write_table
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
    typers = [_TYPERS.get(kind, as_written) for kind in column_kinds]
    # An XLSX holds `_at` as a date cell, in UTC (Excel has no time zones); a CSV says
    # the zone in the ISO 8601 text
    stamp = naive_utc if path.suffix.lower() == ".xlsx" else datetime.isoformat

    # Equal moments stamp alike only in UTC (a CSV's ISO text keeps the offset)
    reuse_stamp = stamp is naive_utc

    def rows() -> Iterator[Sequence[object]]:
        outcomes = journal.outcomes()
        pending: Outcome | None = next(outcomes, None)
        befores = journal.befores()
        before: tuple[int, str] | None = next(befores, None)
        cells_of = _picker(headers)
        # Per input column: a text value → its typed value, for values that repeat (a
        # meter, an account, a minute shared by many rows); other values are typed anew
        seen = [_Typed(typer) for typer in typers]
        last_at: datetime | None = None
        last_stamp: object = None
        for raw in sheet.rows():
            row_number = raw.row
            while pending is not None and pending.row < row_number:
                pending = next(outcomes, None)
            while before is not None and before[0] < row_number:
                before = next(befores, None)
            outcome = pending if pending is not None and pending.row == row_number else None
            if outcome is None:  # read after the plan (should not happen): say so
                outcome = Outcome(row_number, Status.SKIPPED, message="not planned")
            cells = cells_of(raw.values)
            typed: list[object] = list(map(_Typed.__getitem__, seen, cells))
            at = outcome.at
            if at is None:
                stamped = None
            else:
                if at != last_at or not reuse_stamp:  # one stamp for a batch's rows
                    last_at, last_stamp = at, stamp(at)
                stamped = last_stamp
            status = _STATUS_TEXT[outcome.status]
            remote_id = outcome.remote_id or ""
            typed += (
                row_number,
                status,
                outcome.http_status,
                outcome.message,
                # a number id reads as a number; a longer one (a uuid) cannot be one
                remote_id if len(remote_id) > _NUMBER_MAX else as_written(remote_id),
                stamped,
                old_values(before[1]) if before is not None and before[0] == row_number else None,
            )
            if verdicts is not None:
                typed.append(verdicts.column(row_number, status))
            yield typed

    summary: list[list[object]] = [["Field", "Value"], *_summary_head(info), ["", ""]]
    summary.append(["Status", "Rows"])
    # `stale` belongs to saved plans only: listed when some row is
    summary.extend([s, n] for s, n in counts.items() if n or s != Status.STALE.value)
    summary.append(["total", sum(counts.values())])
    extra = [BEFORE_COLUMN] if verdicts is None else [BEFORE_COLUMN, VERIFY_COLUMN]
    meta = {
        "target": info.target,
        "rowpush_version": __version__,
        "kind": "results",
        "connection": info.connection,
    }
    write_table(
        path,
        [
            *(ColumnSpec(h, kind=k) for h, k in zip(headers, column_kinds, strict=True)),
            *RESULT_COLUMNS,
            *extra,
        ],
        rows(),
        sheet_title="Results",
        meta=meta,
        extra_sheets=[("Summary", summary)],
    )
    return counts


_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?")
#: The longest text `_NUMBER` matches: a longer one (a uuid) is no number.
_NUMBER_MAX = 23
_STATUS_TEXT = {status: status.value for status in Status}  # `.value` is a slow property
#: Distinct values one input column keeps typed, to reuse for the next such value.
_TYPED_CACHE = 4096


def _picker(headers: Sequence[str]) -> Callable[[Mapping[str, CellValue]], Sequence[CellValue]]:
    """A row's input cells in header order, picked in one call (C speed)."""
    if len(headers) == 1:
        only = headers[0]
        return lambda values: (values.get(only, ""),)
    pick = operator.itemgetter(*headers)

    def cells(values: Mapping[str, CellValue]) -> Sequence[CellValue]:
        try:
            found: Sequence[CellValue] = pick(values)
        except KeyError:  # a row without some header (every sheet reader gives all)
            return tuple(values.get(h, "") for h in headers)
        return found

    return cells


class _Typed(dict[object, object]):
    """One input column's values typed (`_TYPERS`): a text value is typed once, then
    found (up to `_TYPED_CACHE` of them, then afresh); not another type (1, 1.0 and
    True are one key to a dict)."""

    __slots__ = ("typer",)

    def __init__(self, typer: Callable[[CellValue], object]) -> None:
        super().__init__()
        self.typer = typer

    def __missing__(self, value: CellValue) -> object:
        typed = self.typer(value)
        if type(value) is str:
            if len(self) >= _TYPED_CACHE:  # start afresh: a sheet's values drift (time)
                self.clear()
            self[value] = typed
        return typed


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
