"""Writing tables: template features read back with openpyxl, formula safety, row limit, CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet._writer import ALL_TEMP_FILES
from openpyxl.worksheet.worksheet import Worksheet

from rowpush.errors import SheetError
from rowpush.sheets import ColumnSpec, open_sheet, write_table
from rowpush.sheets import writer as writer_module
from rowpush.sheets.xlsx_writer import LISTS_SHEET

COLUMNS: list[ColumnSpec | str] = [
    ColumnSpec("Name", "The client's name as shown in HaloPSA.", required=True, example="Acme Ltd"),
    ColumnSpec("Status", "Whether the client is active.", choices=["Active", "Inactive"]),
    ColumnSpec("Notes"),
    "Code",
]


def sheet_of(path: Path, title: str | None = None) -> Worksheet:
    book = openpyxl.load_workbook(path)
    ws = book[title] if title else book.worksheets[0]
    assert isinstance(ws, Worksheet)
    return ws


def test_template_header_is_bold_frozen_and_annotated(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    written = write_table(path, COLUMNS, [], sheet_title="Clients")
    assert written == 0

    ws = sheet_of(path, "Clients")
    assert [c.value for c in ws[1]] == ["Name", "Status", "Notes", "Code"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    name_note = ws["A1"].comment
    assert name_note is not None
    assert name_note.text == "Required\nThe client's name as shown in HaloPSA.\nExample: Acme Ltd"
    status_note = ws["B1"].comment
    assert status_note is not None
    assert status_note.text == "Whether the client is active."
    assert ws["C1"].comment is None  # nothing to say, no note
    assert ws["D1"].comment is None


def test_columns_with_choices_get_a_dropdown_over_their_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_table(path, COLUMNS, [["Acme", "Active", "", "1"]])
    ws = sheet_of(path)
    (check,) = ws.data_validations.dataValidation
    assert check.type == "list"
    assert check.formula1 == '"Active,Inactive"'
    assert str(check.sqref) == "B2:B1048576"
    assert check.allow_blank
    assert check.showErrorMessage
    assert check.errorStyle == "warning"


def test_long_or_awkward_choices_live_on_a_hidden_lists_sheet(tmp_path: Path) -> None:
    many = [f"Choice number {i}" for i in range(40)]  # far over 255 characters inline
    odd = ["Paris, France", "=SUM(1)", 'Say "hi"']
    path = tmp_path / "template.xlsx"
    write_table(
        path,
        [
            ColumnSpec("Many", choices=many),
            ColumnSpec("Odd", choices=odd),
            ColumnSpec("Few", choices=["a", "b"]),
        ],
        [],
    )
    book = openpyxl.load_workbook(path)
    lists = book[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    formulas = {str(v.sqref): v.formula1 for v in sheet_of(path).data_validations.dataValidation}
    assert formulas == {
        "A2:A1048576": f"'{LISTS_SHEET}'!$A$1:$A$40",
        "B2:B1048576": f"'{LISTS_SHEET}'!$B$1:$B$3",
        "C2:C1048576": '"a,b"',
    }
    assert [c.value for c in lists["A"]] == many
    assert [lists.cell(row=i, column=2).value for i in (1, 2, 3)] == odd
    assert lists["B2"].data_type == "s"  # the "=SUM(1)" choice stays text


def test_column_widths_fit_header_and_sample_rows_and_are_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "WIDTH_SAMPLE_ROWS", 2)
    path = tmp_path / "widths.xlsx"
    rows = [
        ["x", "y" * 30, "z" * 500, "1"],
        ["x", "y", "line one\nsecond line is longer", "1"],
        ["x", "y", "z", "w" * 45],  # beyond the sample: ignored
    ]
    write_table(path, ["A long header name", "B", "C", "D"], rows)
    dims = sheet_of(path).column_dimensions
    assert dims["A"].width == len("A long header name") + 4 + 2
    assert dims["B"].width == 30 + 2
    assert dims["C"].width == writer_module.MAX_COLUMN_WIDTH
    assert dims["D"].width == writer_module.MIN_COLUMN_WIDTH


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example","click")',
        "+1+1",
        "-1+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "\t=1+1",
        "#N/A",  # openpyxl would make this an error cell
        "=",
    ],
)
def test_formula_like_strings_stay_text_in_xlsx(tmp_path: Path, text: str) -> None:
    path = tmp_path / "results.xlsx"
    write_table(path, ["Value", "Other"], [[text, text]], extra_sheets=[("Summary", [[text]])])
    for title in ("Sheet1", "Summary"):
        ws = sheet_of(path, title)
        row = 2 if title == "Sheet1" else 1
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s"
        assert cell.value == text
    assert [r.values["Value"] for r in open_sheet(path).rows()] == [text]


def test_a_leading_carriage_return_becomes_a_line_feed_and_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "cr.xlsx"
    write_table(path, ["Value"], [["\r=1+1"], ["a\r\nb"]])
    ws = sheet_of(path)
    assert [(c.value, c.data_type) for (c,) in ws.iter_rows(min_row=2)] == [
        ("\n=1+1", "s"),
        ("a\nb", "s"),
    ]


def test_formula_like_headers_and_meta_values_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    write_table(path, ["=Name"], [], meta={"=k": "=v"})
    assert sheet_of(path)["A1"].data_type == "s"
    assert sheet_of(path)["A1"].value == "=Name"
    meta = sheet_of(path, "_rowpush")
    assert (meta["A1"].value, meta["A1"].data_type) == ("=k", "s")
    assert (meta["B1"].value, meta["B1"].data_type) == ("=v", "s")


def test_formula_like_strings_get_a_quote_in_csv_but_numbers_do_not(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_table(path, ["=Header", "B"], [["=1+1", "-5"], ["@x", -2.5], ["+33 1 23 45", "ok"]])
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["'=Header,B", "'=1+1,-5", "'@x,-2.5", "'+33 1 23 45,ok"]


def test_rows_over_the_limit_continue_on_numbered_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_ROWS", 4)  # header + 3 data rows a sheet
    path = tmp_path / "results.xlsx"
    rows = ([f"r{i}", "Active"] for i in range(7))  # a generator: the writer streams
    written = write_table(
        path,
        [ColumnSpec("Name", "n"), ColumnSpec("Status", choices=["Active"])],
        rows,
        sheet_title="Results",
        extra_sheets=[("Summary", [["created", 7]])],
    )
    assert written == 7
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Results", "Results (2)", "Results (3)", "Summary"]
    for title, names in [
        ("Results", ["r0", "r1", "r2"]),
        ("Results (2)", ["r3", "r4", "r5"]),
        ("Results (3)", ["r6"]),
    ]:
        ws = book[title]
        assert [c.value for c in ws[1]] == ["Name", "Status"]
        assert ws["A1"].font.b
        assert ws["A1"].comment is not None
        assert ws.freeze_panes == "A2"
        assert [str(v.sqref) for v in ws.data_validations.dataValidation] == ["B2:B4"]
        assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == names
    assert [r.values["Name"] for r in open_sheet(path, "Results (2)").rows()] == ["r3", "r4", "r5"]


def test_rollover_sheet_titles_stay_within_31_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_ROWS", 2)
    path = tmp_path / "long.xlsx"
    title = "A" * 31
    write_table(path, ["x"], [["1"], ["2"]], sheet_title=title)
    assert openpyxl.load_workbook(path).sheetnames == [title, "A" * 27 + " (2)"]


def test_values_of_each_type_read_back_from_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    aware = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    row: list[object] = [
        "00123",
        42,
        12.0,
        12.5,
        True,
        date(2024, 1, 2),
        datetime(2024, 1, 2, 3, 4, 5),
        None,
        aware,
        12345678901234567890,
        Decimal("9.75"),
        time(13, 30),
        timedelta(hours=26),
    ]
    headers = ["Text", "Int", "Whole", "Float", "Bool", "Date", "Datetime", "Blank",
               "Aware", "Big id", "Decimal", "Time", "Duration"]  # fmt: skip
    assert write_table(path, headers, [row]) == 1
    (raw,) = open_sheet(path).rows()
    assert raw.values == {
        "Text": "00123",
        "Int": "42",
        "Whole": "12",
        "Float": "12.5",
        "Bool": "TRUE",
        "Date": date(2024, 1, 2),
        "Datetime": datetime(2024, 1, 2, 3, 4, 5),
        "Blank": "",
        "Aware": "2024-05-06T07:08:09+00:00",  # Excel has no time zones: kept as text
        "Big id": "12345678901234567890",  # beyond 15 digits: text, exact
        "Decimal": "9.75",
        "Time": "13:30:00",
        "Duration": "26:00:00",
    }
    ws = sheet_of(path)
    assert ws["B2"].data_type == "n"
    assert ws["J2"].data_type == "s"


def test_csv_is_utf8_with_bom_comma_delimited_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows: list[list[object]] = [
        ["Société Générale", "00123", 12.0, True, date(2024, 1, 2), None],
        ["Müller & Söhne, Köln", 'say "€"', 0.5, False, datetime(2024, 1, 2, 3, 4), "a\nb"],
    ]
    written = write_table(path, [*COLUMNS, "Date", "Note"], rows)
    assert written == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfName,Status,Notes,Code,Date,Note\r\n")
    sheet = open_sheet(path)
    assert sheet.headers == ["Name", "Status", "Notes", "Code", "Date", "Note"]
    assert [r.values for r in sheet.rows()] == [
        {
            "Name": "Société Générale",
            "Status": "00123",
            "Notes": "12",
            "Code": "TRUE",
            "Date": "2024-01-02",
            "Note": "",
        },
        {
            "Name": "Müller & Söhne, Köln",
            "Status": 'say "€"',
            "Notes": "0.5",
            "Code": "FALSE",
            "Date": "2024-01-02T03:04:00",
            "Note": "a\nb",
        },
    ]


def test_xlsx_round_trip_through_open_sheet(tmp_path: Path) -> None:
    path = tmp_path / "round.xlsx"
    rows = [["Acme", "Active", "", "007"], ["Beta", "Inactive", "multi\nline", "8"]]
    write_table(path, COLUMNS, rows, sheet_title="Clients", meta={"target": "halopsa.clients"})
    sheet = open_sheet(path)
    assert sheet.headers == ["Name", "Status", "Notes", "Code"]
    assert [(r.row, list(r.values.values())) for r in sheet.rows()] == [(2, rows[0]), (3, rows[1])]


def test_extra_sheets_follow_the_data_sheet(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    summary: list[list[object]] = [["created", 3], ["failed", 1], ["input", "clients.xlsx"]]
    write_table(path, ["Name"], [["a"]], sheet_title="Results", extra_sheets=[("Summary", summary)])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Results", "Summary"]
    assert [list(r) for r in book["Summary"].iter_rows(values_only=True)] == summary
    assert book.active is not None
    assert book.active.title == "Results"


def test_text_is_made_storable(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    write_table(path, ["v"], [["bell\x07here"], ["x" * 40_000]])
    ws = sheet_of(path)
    assert ws["A2"].value == "bell\ufffdhere"
    long_value = ws["A3"].value
    assert isinstance(long_value, str)
    assert len(long_value) == 32_767
    assert long_value.endswith("…")


def test_unsupported_output_suffix(tmp_path: Path) -> None:
    with pytest.raises(SheetError) as err:
        write_table(tmp_path / "out.ods", ["a"], [])
    assert "out.ods: rowpush cannot write .ods" in str(err.value)
    assert "Name the output file .xlsx" in str(err.value)


def test_missing_output_folder(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "out.xlsx"
    with pytest.raises(SheetError) as err:
        write_table(path, ["a"], [])
    assert "out.xlsx: cannot write the file: the folder" in str(err.value)
    assert "does not exist" in str(err.value)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_failure_midway_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"out{suffix}"
    path.write_bytes(b"previous")

    def rows() -> object:
        yield ["ok"]
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        write_table(path, ["a"], rows())  # type: ignore[arg-type]
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out{suffix}"]
    assert ALL_TEMP_FILES == []  # openpyxl's own per-sheet temporary files are gone too


def test_a_row_longer_than_the_columns_is_a_caller_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="data row 2 has 3 values for 2 columns"):
        write_table(tmp_path / "out.xlsx", ["a", "b"], [["1"], ["1", "2", "3"]])
    assert list(tmp_path.iterdir()) == []


def test_short_rows_leave_blank_cells(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    write_table(path, ["a", "b", "c"], [["1"]])
    assert [r.values for r in open_sheet(path).rows()] == [{"a": "1", "b": "", "c": ""}]
