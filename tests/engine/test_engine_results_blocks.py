"""The results workbook made a block at a time (outcome runs of a journal's batches, cells
column by column) is exactly the one made row by row from `Journal.outcomes()`."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import rowpush.engine.results_writer as results_module
import rowpush.sheets.writer as writer_module
from rowpush.engine.journal import Journal, OutcomeRun
from rowpush.engine.results_reader import open_results
from rowpush.engine.results_view import ResultsView
from rowpush.engine.results_writer import (
    _TYPERS,
    RunInfo,
    Verdicts,
    as_written,
    old_values,
    write_results,
)
from rowpush.model import Action, Change, Outcome, RowError, Status
from rowpush.sheets import Sheet, open_sheet, write_table
from rowpush.sheets.formats import ColumnKind, naive_utc

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KINDS = {"meter": ColumnKind.TEXT, "ts": ColumnKind.DATETIME}


def _uid(n: int) -> str:
    return str(uuid.UUID(int=n * 7919 + 1))


def _batch(journal: Journal, rows: Sequence[int]) -> None:
    changes = [Change(r, Action.CREATE, payload={"uid": f"u{r}"}) for r in rows]
    journal.add_batch(changes, [_uid(r) for r in rows])


def _journal(path: Path) -> Journal:
    """Rows 2-81 of a measurement-like run (row 82 is in the sheet, not the plan):
    2-31 a batch answered whole (with a gap: row 20 is invalid); 32-41 a batch split
    into rows of mixed outcomes; 42-51 a batch left sending (unknown); 52-61 a batch
    never sent; 62-81 rows one by one: failed, skipped, invalid, unknown, an update
    with old values, created with a number id."""
    journal = Journal(path)
    journal.add_changes(
        [Change(20, Action.INVALID, None, errors=[RowError("row 20: bad ts", row=20)])]
    )
    _batch(journal, [*range(2, 20), *range(21, 32)])
    for first in (32, 42, 52):
        _batch(journal, range(first, first + 10))
    stored = list(journal.pending_batches())
    assert [b.first for b in stored] == [2, 32, 42, 52]
    whole, split, unclear, _ = stored
    journal.mark_stored_sending(whole)
    journal.answer_batch(whole, Outcome(0, Status.CREATED, 200, "ingested", None, AT))
    journal.mark_stored_sending(split)
    journal.record_batch(
        [
            Outcome(
                r,
                Status.CREATED if r % 3 else Status.FAILED,
                200 if r % 3 else 400,
                "ingested" if r % 3 else "meter 'api_calls' has no field 'x'",
                _uid(r) if r % 3 else None,
                AT + timedelta(seconds=1),
            )
            for r in split.rows
        ]
    )
    journal.mark_stored_sending(unclear)
    singles = [
        Change(r, Action.UPDATE, r * 10, {"n": (r, r + 1)}, {"id": r * 10, "n": r + 1})
        if r % 5 == 0
        else Change(r, Action.INVALID, None, errors=[RowError(f"row {r}: bad", row=r)])
        if r % 5 == 1
        else Change(r, Action.CREATE, None, {}, {"n": r})
        for r in range(62, 82)
    ]
    journal.add_changes(singles)
    journal.mark_sending([c.row for c in singles if c.action is not Action.INVALID][:-3])
    journal.record(
        [
            Outcome(c.row, Status.UPDATED, 200, "", None, AT)
            if c.action is Action.UPDATE
            else Outcome(c.row, Status.CREATED, 201, "", str(900 + c.row), AT)
            if c.row % 5 == 2
            else Outcome(c.row, Status.FAILED, 422, "=SUM(A1) is refused", None, AT)
            for c in singles[:12]
            if c.action is not Action.INVALID
        ]
    )
    return journal


def _sheet(path: Path) -> Sheet:
    lines = ["meter,account,ts,n"]
    for r in range(2, 83):
        ts = datetime(2026, 1, 1) + timedelta(minutes=r // 7)
        lines.append(f"api_calls,ACME-{r % 4},{ts:%Y-%m-%d %H:%M:%S},{r % 9}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return open_sheet(path)


def _reference_rows(
    sheet: Sheet, journal: Journal, stamp: Any, verdicts: Verdicts | None
) -> Iterator[list[object]]:
    """The results' rows as they were made before blocks: an `Outcome` a row."""
    outcomes = {o.row: o for o in journal.outcomes()}
    befores = dict(journal.befores())
    typers = [_TYPERS.get(KINDS.get(h, ColumnKind.GENERAL), as_written) for h in sheet.headers]
    for raw in sheet.rows():
        found = outcomes.get(raw.row) or Outcome(raw.row, Status.SKIPPED, message="not planned")
        rid = found.remote_id or ""
        row = [typer(raw.values[h]) for typer, h in zip(typers, sheet.headers, strict=True)]
        row += [
            raw.row,
            found.status.value,
            found.http_status,
            found.message,
            rid if len(rid) > 23 else as_written(rid),
            None if found.at is None else stamp(found.at),
            old_values(befores[raw.row]) if raw.row in befores else None,
        ]
        if verdicts is not None:
            row.append(verdicts.column(raw.row, found.status.value))
        yield row


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


@pytest.mark.parametrize(
    ("name", "sample", "page", "verify"),
    [
        ("r.xlsx", 3, 1_048_576, False),  # past a sample of 3 rows, all in blocks
        ("r.xlsx", 200, 1_048_576, True),  # all in the sample, row by row; `_verify`
        ("r.xlsx", 5, 17, True),  # pages of 16 rows: blocks cut across pages
        ("r.csv", 3, 1_048_576, True),
    ],
)
def test_the_block_path_writes_exactly_the_workbook_of_the_row_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    sample: int,
    page: int,
    verify: bool,
) -> None:
    monkeypatch.setattr(writer_module, "WIDTH_SAMPLE_ROWS", sample)
    monkeypatch.setattr(writer_module, "MAX_ROWS", page)
    monkeypatch.setattr(results_module, "_BLOCK", 7)  # blocks cut across outcome runs
    journal = _journal(tmp_path / "j")
    sheet = _sheet(tmp_path / "usage.csv")
    verdicts = None
    if verify:
        verdicts = Verdicts()
        verdicts.problems = {5: "changed since: n", 33: "gone", 70: "gone"}
    calls: list[tuple[Sequence[Any], dict[str, Any]]] = []

    def spy(path: Path, columns: Sequence[Any], rows: Any, **layout: Any) -> int:
        calls.append((columns, layout))
        return write_table(path, columns, rows, **layout)

    monkeypatch.setattr(results_module, "write_table", spy)
    info = RunInfo("m3ter.measurements", "m3ter", "https://x", sheet.path, "0" * 64, None, AT, AT)
    out = tmp_path / name
    counts = write_results(out, sheet, journal, info, kinds=KINDS, verdicts=verdicts)
    [(columns, layout)] = calls
    stamp = naive_utc if name.endswith(".xlsx") else datetime.isoformat
    expected = tmp_path / f"expected-{name}"
    write_table(expected, columns, _reference_rows(sheet, journal, stamp, verdicts), **layout)
    if name.endswith(".csv"):
        assert out.read_bytes() == expected.read_bytes()
        return
    assert _parts(out) == _parts(expected)  # every part: sheets, shared strings, styles

    if page < 100:
        return
    # and it says what the journal holds
    results = load_workbook(out)["Results"]
    rows = {r[4]: r for r in results.iter_rows(min_row=2, values_only=True) if r[4] != "_row"}
    assert len(rows) == 81
    assert rows[2][5:9] == ("created", 200, "ingested", _uid(2))
    assert rows[20][5:7] == ("invalid", None)
    assert rows[33][5] == "failed"
    assert rows[34][8] == _uid(34)
    assert rows[45][5:9] == (
        "unknown",
        None,
        "interrupted while sending: the outcome is unknown",
        None,
    )
    assert rows[55][5:7] == ("skipped", None)
    assert rows[65][10] == '{"n": 65}'  # an update's old values
    assert rows[67][8] == 967  # a number id reads as a number
    assert rows[82][5:8] == ("skipped", None, "not planned")
    assert counts["created"] > 0
    assert sum(counts.values()) == 80
    if verify:
        assert rows[5][11] == "changed since: n"
        assert rows[6][11] == "holds"


def test_outcome_blocks_say_what_outcomes_says_with_a_run_per_batch(tmp_path: Path) -> None:
    journal = _journal(tmp_path / "j")
    items = list(journal.outcome_blocks())
    runs = [i for i in items if isinstance(i, OutcomeRun)]
    # the answered batch in its two runs (row 20 between them), the unclear and the
    # unsent one; the split batch became rows
    assert [(r.first, r.last, r.status) for r in runs] == [
        (2, 19, Status.CREATED),
        (21, 31, Status.CREATED),
        (42, 51, Status.UNKNOWN),
        (52, 61, Status.SKIPPED),
    ]
    assert runs[1].ids is not None
    assert runs[1].ids[0] == _uid(21)
    assert runs[2].ids is None
    flat = [o for i in items for o in (i.outcomes() if isinstance(i, OutcomeRun) else [i])]
    assert flat == list(journal.outcomes())
    assert [o.row for o in flat] == list(range(2, 82))


def test_sheets_made_from_a_results_workbook_read_a_block_at_a_time(tmp_path: Path) -> None:
    # A retry's input rows and a verify/revert view are sheets too: their results are
    # written from their blocks
    journal = _journal(tmp_path / "j")
    sheet = _sheet(tmp_path / "usage.csv")
    out = tmp_path / "r.xlsx"
    info = RunInfo("m3ter.measurements", "m3ter", "https://x", sheet.path, "0" * 64, None, AT, AT)
    write_results(out, sheet, journal, info, kinds=KINDS)
    book = open_results(out)
    retry = book.input_sheet()
    rows = list(retry.rows())
    assert [r.row for r in rows][:3] == [33, 36, 39]  # the failed (then skipped) rows
    blocks = list(retry.blocks(4))
    assert [n for b in blocks for n in b.numbers] == [r.row for r in rows]
    assert [b.raw(i, retry.headers) for b in blocks for i in range(len(b.numbers))] == rows
    view = ResultsView(book, ["meter", "n"], lambda r: {"meter": r.values["meter"], "n": "1"})
    assert sum(len(b.numbers) for b in view.blocks(10)) == 81
