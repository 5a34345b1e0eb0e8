"""Read a results workbook back: its rows with their outcomes, its Summary, its run.

`rowpush show` draws it; `rowpush retry` feeds its failed rows to a new apply. The
input columns come back as the user wrote them, so a retry plans exactly the
values of the first run; `_before` comes back as the old values `revert` sets back
(a workbook written before that column existed reads as having none).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rowpush.engine.results_writer import (
    BEFORE_COLUMN,
    RESULT_COLUMNS,
    STAT_LABELS,
    VERIFY_COLUMN,
)
from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, Status
from rowpush.sheets import Sheet, open_sheet, read_meta

__all__ = ["RETRIED_STATUSES", "ResultRow", "ResultsBook", "open_results"]

RESULT_SHEET = "Results"
SUMMARY_SHEET = "Summary"
#: What `retry` sends again: rows that failed or were never sent (stale: a saved plan's row
#: whose record moved, planned anew by the retry). An `unknown` row may have
#: landed: the user checks it first (a blind resend could create it twice).
RETRIED_STATUSES = frozenset({Status.FAILED, Status.SKIPPED, Status.STALE})
_OUR_COLUMNS = frozenset({*RESULT_COLUMNS, BEFORE_COLUMN, VERIFY_COLUMN})


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of a Results sheet: the input cells and what happened to the row."""

    row: int
    """The row's number in the original input sheet (`_row`)."""
    status: Status
    http_status: int | None
    message: str
    remote_id: str | None
    at: str | None
    values: dict[str, CellValue]
    """Input header → cell, as written in the first run."""
    before: dict[str, Any] | None = None
    """For an update: header → the field's value before it (`_before`); else None."""
    verify: str | None = None
    """What `apply --verify` found for the row (`_verify`), if it ran."""


class ResultsBook:
    """A results workbook written by `rowpush apply` (or `retry`)."""

    def __init__(self, path: Path, sheet: Sheet, meta: dict[str, str]) -> None:
        self.path = path
        self.meta = meta
        self._sheet = sheet
        self.headers = [h for h in sheet.headers if h not in _OUR_COLUMNS]
        """The input columns, in the order of the first run's sheet."""

    @property
    def target(self) -> str:
        return self.meta.get("target") or self._summary_value("Target")

    @property
    def connection(self) -> str | None:
        """The connection the run used, by name (None when the workbook does not say)."""
        return self.meta.get("connection") or self._summary_value("Connection") or None

    def summary(self) -> list[tuple[str, str]]:
        """The Summary sheet's rows (field or status → value), as text."""
        try:
            sheet = open_sheet(self.path, SUMMARY_SHEET)
        except SheetError:
            return []
        first, second = [*sheet.headers, "", ""][:2]
        pairs: list[tuple[str, str]] = []
        for raw in sheet.rows():
            pairs.append((_text(raw.values.get(first, "")), _text(raw.values.get(second, ""))))
        return pairs

    def figures(self) -> str:
        """The run's figures in one line ("took 0:00:04, 12 requests, 1 retry, …"); ""
        for a workbook written before the Summary had them."""
        found = dict(self.summary())
        if "Duration" not in found:
            return ""
        parts = [f"took {found['Duration']}"]
        parts += [f"{found.get(label, '0')} {label.lower()}" for label in STAT_LABELS.values()]
        if found.get("Verified"):
            parts.append(f"verified: {found['Verified']}")
        return ", ".join(parts)

    def _summary_value(self, field: str) -> str:
        return next((v for k, v in self.summary() if k == field), "")

    def rows(self) -> Iterator[ResultRow]:
        """Every row with its outcome, streamed in order."""
        for raw in self._sheet.rows():
            yield self._result(raw)

    def _result(self, raw: RawRow) -> ResultRow:
        v = raw.values
        try:
            status = Status(_text(v.get("_status", "")))
        except ValueError:
            raise SheetError(
                f"{self.path.name}: row {raw.row} has an unknown _status "
                f"{_text(v.get('_status', ''))!r}.",
                hint=f"_status is one of {', '.join(s.value for s in Status)}.",
            ) from None
        code = _text(v.get("_http_status", ""))
        source_row = _text(v.get("_row", ""))
        return ResultRow(
            row=int(source_row) if source_row.isdigit() else raw.row,
            status=status,
            http_status=int(code) if code.isdigit() else None,
            message=_text(v.get("_message", "")),
            remote_id=_text(v.get("_remote_id", "")) or None,
            at=_moment(v.get("_at", "")) or None,
            values={h: v.get(h, "") for h in self.headers},
            before=self._before(raw),
            verify=_text(v.get(VERIFY_COLUMN, "")) or None,
        )

    def _before(self, raw: RawRow) -> dict[str, Any] | None:
        text = _text(raw.values.get(BEFORE_COLUMN, ""))
        if not text:
            return None
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if not isinstance(found, dict):
            raise SheetError(
                f"{self.path.name}: row {raw.row}, column {BEFORE_COLUMN}: {text[:60]!r} is "
                "not the JSON object rowpush wrote.",
                hint="Put back the value as the run wrote it (old values, header → value).",
            )
        return found

    def counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for row in self.rows():
            counts[row.status] += 1
        return counts

    def input_sheet(self, statuses: Collection[Status] = RETRIED_STATUSES) -> Sheet:
        """The input rows whose status is one of `statuses`, as a sheet to plan again.

        Rows keep their original numbers, so messages point at the first input.
        """
        return _RowsOf(self, lambda r: r.status in statuses)


class _RowsOf(Sheet):
    """A view of a results workbook's input columns, for some of its rows."""

    def __init__(self, book: ResultsBook, keep: Callable[[ResultRow], bool]) -> None:
        base = book._sheet
        self.path = book.path
        self.name = base.name
        self.headers = list(book.headers)
        self.target = book.target
        self.letters = {h: base.letters[h] for h in book.headers}
        self.header_row = base.header_row
        self.rows_hint = None
        self._source = _Kept(book, keep)  # what `rows` and `blocks` read


@dataclass(frozen=True)
class _Kept:
    """The rows of a results workbook that `keep` keeps, as its input rows."""

    book: ResultsBook
    keep: Callable[[ResultRow], bool]

    def rows(self) -> Iterator[RawRow]:
        for result in self.book.rows():
            if self.keep(result):
                yield RawRow(result.row, dict(result.values))


def open_results(path: Path) -> ResultsBook:
    """Open a results workbook; a file that is not one raises `SheetError` saying so."""
    path = Path(path)
    meta = read_meta(path)
    sheet = open_sheet(path, RESULT_SHEET if meta else None)
    missing = [c for c in ("_row", "_status") if c not in sheet.headers]
    if meta.get("kind") != "results" and missing:
        raise SheetError(
            f"{path}: this is not a rowpush results workbook (no {', '.join(missing)} column).",
            hint="Give the workbook that `rowpush apply --results` wrote.",
        )
    if missing:
        raise SheetError(f"{path}: the Results sheet lacks the column(s) {', '.join(missing)}.")
    return ResultsBook(path, sheet, meta)


def _text(value: CellValue) -> str:
    return value if isinstance(value, str) else str(value)


def _moment(value: CellValue) -> str:
    """`_at` as ISO 8601 text: an XLSX holds it as a date cell in UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return _text(value)
