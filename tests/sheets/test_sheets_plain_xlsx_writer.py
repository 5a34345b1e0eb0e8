"""The streaming writer of plain tables (results workbooks), read back with openpyxl."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from rowpush.sheets import ColumnSpec, open_sheet, plain_xlsx_writer, read_meta, write_table
from rowpush.sheets.formats import ColumnKind
from rowpush.sheets.plain_xlsx_writer import write_plain_xlsx


def sheet_of(path: Path, title: str) -> Worksheet:
    ws = openpyxl.load_workbook(path)[title]
    assert isinstance(ws, Worksheet)
    return ws


def plain(path: Path, headers: list[str], rows: list[list[object]], **kw: object) -> int:
    options: dict[str, object] = {
        "sheet_title": "Results",
        "meta": {"kind": "results"},
        "extra_sheets": [],
        "max_rows": 1_048_576,
        "sample_rows": 200,
        "widths": (8, 60),
    }
    options.update(kw)
    return write_plain_xlsx(path, headers, rows, **options)  # type: ignore[arg-type]


def test_a_table_without_notes_or_choices_takes_the_streaming_writer(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_table(path, ["a", ColumnSpec("b")], [["x", 1]], sheet_title="Results")
    with zipfile.ZipFile(path) as book:
        assert "xl/sharedStrings.xml" in book.namelist()  # openpyxl writes none here
        assert "docProps/app.xml" not in book.namelist()
    write_table(path, [ColumnSpec("a", "a note")], [["x"]], sheet_title="Results")
    with zipfile.ZipFile(path) as book:
        assert "docProps/app.xml" in book.namelist()  # a note: openpyxl's writer


def test_each_type_is_written_as_its_own_kind_of_cell(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    row: list[object] = [
        "text",
        12,
        2.5,
        Decimal("3.25"),
        True,
        datetime(2026, 1, 2, 3, 4, 5),
        date(2026, 2, 3),
        time(13, 30),
        timedelta(hours=30),
        None,
        10**16,
        float("nan"),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    headers = [f"c{i}" for i in range(len(row))]
    assert plain(path, headers, [row]) == 1
    ws = sheet_of(path, "Results")
    got = [c.value for c in ws[2]]
    assert got[:5] == ["text", 12, 2.5, 3.25, True]
    assert got[5] == datetime(2026, 1, 2, 3, 4, 5)
    assert ws["F2"].number_format == "yyyy\\-mm\\-dd\\ hh:mm:ss"
    assert got[6] == datetime(2026, 2, 3)  # a date cell (openpyxl reads it as a datetime)
    assert ws["G2"].number_format == "yyyy\\-mm\\-dd"
    assert got[7] == time(13, 30)
    assert got[8] == timedelta(hours=30)
    assert ws["J2"].value is None
    # what Excel cannot hold exactly stays text: 16 digits, NaN, a time zone
    assert got[10] == "10000000000000000"
    assert got[11] == "nan"
    assert got[12] == "2026-01-02T03:04:05+00:00"


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "#N/A", '=HYPERLINK("x")'])
def test_formula_like_text_stays_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.xlsx"
    plain(path, ["a"], [[text]])
    cell = sheet_of(path, "Results")["A2"]
    assert cell.value == text
    assert cell.data_type == "s"
    with zipfile.ZipFile(path) as book:
        assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")


def test_awkward_text_is_escaped_kept_or_made_storable(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    texts = ["a & b < c > d", "  padded  ", "line 1\r\nline 2", "bell\x07here", "x" * 40_000]
    plain(path, ["a"], [[t] for t in texts])
    got = [c.value for (c,) in sheet_of(path, "Results").iter_rows(min_row=2)]
    assert got[:4] == ["a & b < c > d", "  padded  ", "line 1\nline 2", "bell\ufffdhere"]
    assert len(got[4]) == 32_767
    assert got[4].endswith("…")


def test_header_bold_frozen_filtered_and_widths_fitted(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    plain(path, ["name", "_status"], [["a" * 30, "created"], ["b", "failed"]])
    ws = sheet_of(path, "Results")
    assert [c.value for c in ws[1]] == ["name", "_status"]
    assert all(c.font.b for c in ws[1])
    assert not ws["A2"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:B3"
    assert ws.column_dimensions["A"].width == 32
    assert ws.column_dimensions["B"].width == 13  # the header and its filter arrow
    with zipfile.ZipFile(path) as book:
        workbook = book.read("xl/workbook.xml").decode()
    assert "_xlnm._FilterDatabase" in workbook
    assert "'Results'!$A$1:$B$3" in workbook


def test_strings_of_repeating_columns_are_shared_and_distinct_ones_inline(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    rows: list[list[object]] = [[f"uid-{n}", "created" if n % 3 else "failed"] for n in range(50)]
    plain(path, ["uid", "status"], rows, meta={})
    with zipfile.ZipFile(path) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert 'uniqueCount="4"' in shared  # the two headers, created, failed
    assert sheet.count("inlineStr") == 50  # each uid once
    got = [[c.value for c in r] for r in sheet_of(path, "Results").iter_rows(min_row=2)]
    assert got == rows


def test_past_the_bound_new_strings_go_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plain_xlsx_writer, "SHARED_LIMIT", 3)
    path = tmp_path / "r.xlsx"
    rows: list[list[object]] = [[f"status {n % 4}"] for n in range(40)]
    plain(path, ["status"], rows, meta={})
    with zipfile.ZipFile(path) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert 'uniqueCount="3"' in shared  # the header, status 0, status 1: the bound
    assert sheet.count("inlineStr") == 20  # status 2 and status 3
    got = [[c.value for c in r] for r in sheet_of(path, "Results").iter_rows(min_row=2)]
    assert got == rows


def test_rows_past_the_limit_continue_on_numbered_sheets(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    rows: list[list[object]] = [[n] for n in range(7)]
    assert plain(path, ["n"], rows, max_rows=3, sheet_title="R" * 40) == 7
    book = openpyxl.load_workbook(path)
    titles = book.sheetnames
    assert titles[:4] == ["R" * 31, "R" * 27 + " (2)", "R" * 27 + " (3)", "R" * 27 + " (4)"]
    seen = [
        [c.value for c in r]
        for title in titles[:4]
        for r in book[title].iter_rows(values_only=False)
    ]
    assert seen == [["n"], [0], [1], ["n"], [2], [3], ["n"], [4], [5], ["n"], [6]]


def test_extra_sheets_and_the_hidden_meta_sheet(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    plain(
        path,
        ["a"],
        [["x"]],
        meta={"target": "m3ter.measurements", "note": "=not a formula"},
        extra_sheets=[("Summary", [["Field", "Value"], ["rows", 1]])],
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Results", "Summary", "_rowpush"]
    assert book["_rowpush"].sheet_state == "hidden"
    assert [[c.value for c in r] for r in book["Summary"].iter_rows()] == [
        ["Field", "Value"],
        ["rows", 1],
    ]
    assert read_meta(path) == {"target": "m3ter.measurements", "note": "=not a formula"}
    sheet = open_sheet(path, "Results")
    assert [r.values for r in sheet.rows()] == [{"a": "x"}]


def test_text_columns_are_in_the_text_format_and_integer_ones_show_whole_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.xlsx"
    kinds = [ColumnKind.TEXT, ColumnKind.INTEGER, ColumnKind.GENERAL]
    plain(path, ["phone", "id", "note"], [["00123", 12, "x"], ["456", 13, "y"]], kinds=kinds)
    ws = sheet_of(path, "Results")
    assert [c.value for c in ws[2]] == ["00123", 12, "x"]
    assert ws["A2"].number_format == "@"
    assert ws["A3"].number_format == "@"
    assert ws["B2"].number_format == "0"
    assert ws["C2"].number_format == "General"


def test_equal_values_of_other_types_keep_their_own_cells_in_one_column(tmp_path: Path) -> None:
    """A column remembers the XML of values it saw; a value equal to one of them but of
    another kind (True == 1 == 1.0, one instant in two zones) is still written as itself."""
    utc = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    plus_one = utc.astimezone(timezone(timedelta(hours=1)))
    cycle: list[object] = [1, True, 1.0, 0, False, -0.0, "1", utc, plus_one, ["a", 1]]
    cycle += [datetime(2026, 1, 2, 3, 0), date(2026, 1, 2), Decimal("1.50")]
    path = tmp_path / "r.xlsx"
    rows = [[value] for _ in range(5) for value in cycle]
    assert plain(path, ["v"], rows) == len(rows)
    got = [c.value for (c,) in sheet_of(path, "Results").iter_rows(min_row=2)]
    expected = [1, True, 1, 0, False, 0, "1", "2026-01-02T03:00:00+00:00"]
    expected += ["2026-01-02T04:00:00+01:00", "['a', 1]", datetime(2026, 1, 2, 3, 0)]
    expected += [datetime(2026, 1, 2), 1.5]
    assert got == expected * 5
    assert [type(v) for v in got[:3]] == [int, bool, float]  # 1, True and 1.0 apart


def test_the_shared_table_counts_every_reference_to_it(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    rows = [["created", "ok", n] for n in range(3000)]  # past a flush (1,024 rows)
    plain(path, ["status", "message", "n"], rows)
    with zipfile.ZipFile(path) as book:
        table = book.read("xl/sharedStrings.xml").decode()
    assert 'uniqueCount="' in table
    # 3 headers, 2 x 3,000 cells, the meta sheet's key and value
    assert 'count="6005"' in table
    ws = sheet_of(path, "Results")
    assert [c.value for c in ws[3001]] == ["created", "ok", 2999]


def test_a_column_of_more_distinct_values_than_it_keeps_is_still_written_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plain_xlsx_writer, "_COLUMN_CACHE", 8)
    path = tmp_path / "r.xlsx"
    moments = [datetime(2026, 1, 1) + timedelta(minutes=n // 3) for n in range(60)]
    rows = [[f"m{n // 3}", moments[n], ""] for n in range(60)]  # each value thrice
    plain(path, ["meter", "ts", "blank"], rows)
    got = [[c.value for c in r] for r in sheet_of(path, "Results").iter_rows(min_row=2)]
    assert got == [[f"m{n // 3}", moments[n], None] for n in range(60)]


def test_a_row_with_an_unhashable_value_keeps_its_blanks_blank(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    plain(path, ["a", "b", "c", "d"], [["", ["x", 1], None, "t"], ["", "y", None, "t"]])
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A2"' not in sheet  # a blank is no cell, on either path
    assert '<c r="C2"' not in sheet
    got = [[c.value for c in r] for r in sheet_of(path, "Results").iter_rows(min_row=2)]
    assert got == [[None, "['x', 1]", None, "t"], [None, "y", None, "t"]]
