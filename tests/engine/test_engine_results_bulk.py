"""A results workbook of many rows, written by the fast path (per-column caches of cell
XML and of typed input values), read back with openpyxl and with rowpush's reader."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from rowpush.engine.results_writer import BEFORE_COLUMN, RESULT_COLUMNS, RunInfo, write_results
from rowpush.model import Outcome, Status
from rowpush.sheets import open_sheet
from rowpush.sheets.formats import ColumnKind

if TYPE_CHECKING:
    from rowpush.engine.journal import Journal

START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
ROWS = 2_500  # past the width sample (200) and a flush of the writer's buffer (1,024)
KINDS = {"meter": ColumnKind.TEXT, "account": ColumnKind.TEXT, "ts": ColumnKind.DATETIME}


class Outcomes:
    """What `write_results` reads of a journal: outcomes and old values in row order."""

    def __init__(self, outcomes: list[Outcome], befores: Sequence[tuple[int, str]] = ()) -> None:
        self.items = outcomes
        self.old = list(befores)

    def outcome_blocks(self) -> Iterator[Outcome]:
        return iter(self.items)  # no batch: an outcome a row

    def befores(self) -> Iterator[tuple[int, str]]:
        return iter(self.old)

    def status_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for outcome in self.items:
            counts[outcome.status.value] += 1
        return counts


def _at(n: int) -> datetime:
    return START + timedelta(seconds=n // 1000)  # a batch of 1,000 rows settles at once


def _outcome(n: int) -> Outcome:
    if n % 11 == 5:  # never sent: no moment, between rows of one batch that have one
        return Outcome(n + 2, Status.SKIPPED, None, "not sent")
    if n % 7 == 3:
        return Outcome(
            n + 2, Status.FAILED, 400, "meter 'api_calls' has no field 'x'", None, _at(n)
        )
    return Outcome(n + 2, Status.CREATED, 200, "ingested", f"id-{n:032x}", _at(n))


def _info(source: Path) -> RunInfo:
    return RunInfo("m3ter.measurements", "m3ter", "https://x", source, "0" * 64, None, START, START)


def _write(tmp_path: Path, lines: list[str], outcomes: list[Outcome], name: str) -> Path:
    source = tmp_path / "usage.csv"
    source.write_text("\n".join(["meter,account,ts,who.user,measure.n", *lines]) + "\n")
    out = tmp_path / name
    journal = cast("Journal", Outcomes(outcomes))
    write_results(out, open_sheet(source), journal, _info(source), kinds=KINDS)
    return out


def _line(n: int) -> str:
    ts = datetime(2026, 1, 1) + timedelta(minutes=n // 50)
    return f"api_calls,ACME-{n % 50:03},{ts:%Y-%m-%d %H:%M:%S},u-{n % 97},{n % 1000 + 1}"


def _results(path: Path) -> Worksheet:
    ws = load_workbook(path)["Results"]
    assert isinstance(ws, Worksheet)
    return ws


def test_many_rows_read_back_cell_for_cell(tmp_path: Path) -> None:
    lines = [_line(n) for n in range(ROWS)]
    out = _write(tmp_path, lines, [_outcome(n) for n in range(ROWS)], "r.xlsx")
    ws = _results(out)
    head = [c.value for c in ws[1]]
    assert head[5:] == [*RESULT_COLUMNS, BEFORE_COLUMN]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:L{ROWS + 1}"
    assert all(c.font.b for c in ws[1])
    got = list(ws.iter_rows(min_row=2))
    assert len(got) == ROWS
    for n, row in enumerate(got):
        ts = datetime(2026, 1, 1) + timedelta(minutes=n // 50)
        inputs = ["api_calls", f"ACME-{n % 50:03}", ts, f"u-{n % 97}", n % 1000 + 1, n + 2]
        if n % 11 == 5:
            outcome: list[object] = ["skipped", None, "not sent", None, None]
        elif n % 7 == 3:
            outcome = ["failed", 400, "meter 'api_calls' has no field 'x'", None, _at(n)]
        else:
            outcome = ["created", 200, "ingested", f"id-{n:032x}", _at(n)]
        if isinstance(outcome[-1], datetime):
            outcome[-1] = outcome[-1].replace(tzinfo=None)  # a UTC date cell
        assert [c.value for c in row] == [
            *inputs,
            *outcome,
            None,
        ], f"row {n + 2}"
    assert got[0][0].number_format == "@"
    assert got[0][1].number_format == "@"
    assert got[0][2].number_format == "yyyy\\-mm\\-dd\\ hh:mm:ss"
    assert got[0][10].number_format == "yyyy\\-mm\\-dd\\ hh:mm:ss"
    assert got[0][2].is_date
    assert got[-1][10].is_date
    summary = {r[0]: r[1] for r in load_workbook(out)["Summary"].iter_rows(values_only=True)}
    assert summary["skipped"] == sum(n % 11 == 5 for n in range(ROWS))
    assert summary["created"] + summary["failed"] + summary["skipped"] == summary["total"] == ROWS


def test_repeated_values_are_shared_strings_counted_as_used(tmp_path: Path) -> None:
    out = _write(
        tmp_path, [_line(n) for n in range(ROWS)], [_outcome(n) for n in range(ROWS)], "r.xlsx"
    )
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        table = book.read("xl/sharedStrings.xml").decode()
        every = "".join(book.read(n).decode() for n in book.namelist() if "worksheets" in n)
    assert table.count("<t>ingested</t>") == 1
    # every message cell refers to the table; the remote ids (each once) are inline
    assert len(re.findall(r'<c r="I\d+" t="s"><v>\d+</v></c>', sheet)) == ROWS
    assert len(re.findall(r'<c r="J\d+" t="inlineStr">', sheet)) == sum(
        n % 7 != 3 and n % 11 != 5 for n in range(ROWS)
    )
    count = re.search(r'count="(\d+)"', table)
    assert count is not None
    assert int(count.group(1)) == every.count(' t="s"><v>')
    assert "<f>" not in sheet


def test_hostile_and_number_like_values_stay_text_however_often_they_repeat(
    tmp_path: Path,
) -> None:
    # Each value repeats, so its second and later cells come from the column's cache
    values = ['"=HYPERLINK(""x"")"', "00123", "42", "-5", "+44 113", "@home", "a\x01b", "#N/A"]
    lines = [f"{values[n % 8]},{values[n % 8]},2026-01-01T10:00:00+02:00,{values[n % 8]},"
             for n in range(80)]  # fmt: skip
    outcomes = [Outcome(n + 2, Status.FAILED, 422, "=SUM(A1)", None, START) for n in range(80)]
    out = _write(tmp_path, lines, outcomes, "r.xlsx")
    got = list(_results(out).iter_rows(min_row=2))
    text_of = {'"=HYPERLINK(""x"")"': '=HYPERLINK("x")', "a\x01b": "a\ufffdb"}
    for n, row in enumerate(got):
        raw = values[n % 8]
        text = text_of.get(raw, raw)
        meter, account, ts, general = row[0], row[1], row[2], row[3]
        assert (meter.value, meter.data_type, meter.number_format) == (text, "s", "@")
        assert (account.value, account.data_type) == (text, "s")
        assert ts.value == "2026-01-01T10:00:00+02:00"  # a zone: kept as typed (text)
        # a General column reads number-like text as the number it shows
        expected = {"42": 42, "-5": -5}.get(raw, text)
        assert general.value == expected, f"row {n + 2}"
        assert row[8].value == "=SUM(A1)"
        assert row[8].data_type == "s"
    with zipfile.ZipFile(out) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()


def test_rowpush_reads_its_results_back_row_for_row(tmp_path: Path) -> None:
    out = _write(
        tmp_path, [_line(n) for n in range(300)], [_outcome(n) for n in range(300)], "r.xlsx"
    )
    rows = list(open_sheet(out).rows())
    assert len(rows) == 300
    assert rows[3].values["_status"] == "failed"
    assert rows[299].values["_row"] == "301"
    assert rows[299].values["account"] == "ACME-049"


def test_a_csv_results_file_keeps_each_moment_in_its_own_offset(tmp_path: Path) -> None:
    # Equal instants written in two zones: a CSV says each as it came, not the first's
    moments = [START, START.astimezone(ZoneInfo("Europe/Paris"))]
    assert moments[0] == moments[1]
    outcomes = [Outcome(n + 2, Status.CREATED, 200, "ok", None, moments[n]) for n in range(2)]
    out = _write(tmp_path, [_line(0), _line(1)], outcomes, "r.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert "2026-02-01T09:00:00+00:00" in text
    assert "2026-02-01T10:00:00+01:00" in text
