"""Reading XLSX workbooks with python-calamine: values, formulas, errors, sheet choice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sheets_support import MakeXlsx, build_xlsx, inline

from rowpush.errors import SheetError
from rowpush.model import RawRow
from rowpush.sheets import open_sheet


def values(path: Path, sheet: str | None = None) -> list[dict[str, object]]:
    return [dict(r.values) for r in open_sheet(path, sheet).rows()]


def test_numbers_booleans_and_text_cells_become_text(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(
        [
            ["Whole", "Fraction", "Text zeros", "Flag", "Big", "Tiny"],
            [12.0, 12.5, "00123", True, 1e20, 1.5e-7],
            [3, 0.1 + 0.2, "007", False, -0.0, -2.25],
        ]
    )
    assert values(path) == [
        {
            "Whole": "12",
            "Fraction": "12.5",
            "Text zeros": "00123",
            "Flag": "TRUE",
            "Big": "100000000000000000000",
            "Tiny": "1.5e-07",
        },
        {
            "Whole": "3",
            "Fraction": "0.3",  # as Excel shows it, not 0.30000000000000004
            "Text zeros": "007",
            "Flag": "FALSE",
            "Big": "0",
            "Tiny": "-2.25",
        },
    ]


def test_dates_datetimes_times_and_durations(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(
        [
            ["Date", "Datetime", "Midnight", "Time", "Duration"],
            [
                date(2024, 1, 2),
                datetime(2024, 1, 2, 3, 4, 5),
                datetime(2024, 3, 1, 0, 0),
                time(13, 30),
                timedelta(hours=30, minutes=5),
            ],
        ]
    )
    (row,) = values(path)
    assert row["Date"] == date(2024, 1, 2)
    assert type(row["Date"]) is date
    assert row["Datetime"] == datetime(2024, 1, 2, 3, 4, 5)
    # A datetime cell without a time part reads as a date (calamine cannot tell them apart).
    assert type(row["Midnight"]) is date
    assert row["Time"] == "13:30:00"
    assert row["Duration"] == "30:05:00"


def test_formulas_give_their_cached_values(tmp_path: Path) -> None:
    rows = (
        '<row r="1">'
        + "".join(
            inline(f"{c}1", h)
            for c, h in zip("ABCD", ["Sum", "Joined", "Check", "Id"], strict=True)
        )
        + "</row>"
        '<row r="2"><c r="A2"><f>SUM(1,1)</f><v>2</v></c>'
        '<c r="B2" t="str"><f>"00"&amp;"12"</f><v>0012</v></c>'
        '<c r="C2" t="b"><f>1=1</f><v>1</v></c>'
        '<c r="D2"><f>A2/4</f><v>0.5</v></c></row>'
    )
    path = build_xlsx(tmp_path / "formulas.xlsx", [("Data", "visible", rows)])
    assert values(path) == [{"Sum": "2", "Joined": "0012", "Check": "TRUE", "Id": "0.5"}]


def test_error_cells_read_as_their_error_text_not_as_blank(tmp_path: Path) -> None:
    rows = (
        f'<row r="1">{inline("A1", "Name")}{inline("B1", "Price")}{inline("C1", "Ratio")}</row>'
        f'<row r="2">{inline("A2", "Acme")}'
        '<c r="B2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>'
        '<c r="C2" t="e"><v>#DIV/0!</v></c></row>'
        # A row holding nothing but an error is not a blank row.
        '<row r="3"><c r="B3" t="e"><v>#REF!</v></c></row>'
    )
    path = build_xlsx(tmp_path / "errors.xlsx", [("Data", "visible", rows)])
    assert [(r.row, r.values) for r in open_sheet(path).rows()] == [
        (2, {"Name": "Acme", "Price": "#N/A", "Ratio": "#DIV/0!"}),
        (3, {"Name": "", "Price": "#REF!", "Ratio": ""}),
    ]


def test_error_cells_are_found_in_cells_without_references(tmp_path: Path) -> None:
    # r= is optional in the format; cells then follow one another.
    rows = (
        '<row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c></row>'
        '<row><c><v>1</v></c><c t="e"><v>#NAME?</v></c></row>'
    )
    path = build_xlsx(tmp_path / "norefs.xlsx", [("Data", "visible", rows)])
    assert values(path) == [{"a": "1", "b": "#NAME?"}]


def test_blank_rows_are_skipped_and_row_numbers_stay_true(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["Name", "Code"], ["a", "1"], [None, None], ["", "  "], ["b", "2"]])
    assert [(r.row, r.values["Name"]) for r in open_sheet(path).rows()] == [(2, "a"), (5, "b")]


def test_a_table_placed_lower_and_to_the_right_keeps_true_rows_and_letters(
    tmp_path: Path,
) -> None:
    rows = (
        f'<row r="3">{inline("C3", "Name")}{inline("D3", "Code")}</row>'
        f'<row r="5">{inline("C5", "Acme")}{inline("D5", "00123")}</row>'
    )
    path = build_xlsx(tmp_path / "offset.xlsx", [("Data", "visible", rows)])
    sheet = open_sheet(path)
    assert sheet.header_row == 3
    assert sheet.letters == {"Name": "C", "Code": "D"}
    assert list(sheet.rows()) == [RawRow(5, {"Name": "Acme", "Code": "00123"})]


def test_headers_are_trimmed_and_trailing_blank_header_columns_dropped(
    make_xlsx: MakeXlsx,
) -> None:
    path = make_xlsx([["  Name ", " Code", None, ""], ["a", "1", None, ""]])
    sheet = open_sheet(path)
    assert sheet.headers == ["Name", "Code"]
    assert list(sheet.rows()) == [RawRow(2, {"Name": "a", "Code": "1"})]


def test_numeric_and_date_headers_become_text(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["Name", 2024.0, date(2024, 1, 31)], ["a", "1", "2"]])
    assert open_sheet(path).headers == ["Name", "2024", "2024-01-31"]


def test_a_value_under_no_header_is_an_error_naming_row_and_column(
    make_xlsx: MakeXlsx,
) -> None:
    path = make_xlsx([["Name", "Code"], ["a", "1"], ["b", "2", "note"]], name="stray.xlsx")
    sheet = open_sheet(path)
    with pytest.raises(SheetError) as err:
        list(sheet.rows())
    message = str(err.value)
    assert "stray.xlsx (sheet 'Data')" in message
    assert "row 3, column C holds 'note' but that column has no header" in message
    assert "Add a header in C1, or clear the column" in message


def test_the_first_visible_sheet_is_read_by_default(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(
        sheets={"Lookup": [["Code"], ["x"]], "Clients": [["Name"], ["Acme"]]},
        hidden=["Lookup"],
    )
    sheet = open_sheet(path)
    assert sheet.name == "Clients"
    assert values(path) == [{"Name": "Acme"}]


def test_a_very_hidden_first_sheet_is_passed_over_too(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "veryhidden.xlsx",
        [
            ("Secret", "veryHidden", f'<row r="1">{inline("A1", "X")}</row>'),
            ("Data", "visible", f'<row r="1">{inline("A1", "Name")}</row>'),
        ],
    )
    assert open_sheet(path).name == "Data"


def test_a_sheet_can_be_chosen_by_name_even_hidden(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(
        sheets={"Clients": [["Name"], ["Acme"]], "Lookup": [["Code"], ["x"]]},
        hidden=["Lookup"],
    )
    assert open_sheet(path, "Lookup").name == "Lookup"
    assert values(path, "Lookup") == [{"Code": "x"}]
    # Excel's sheet names ignore case, so the choice does too.
    assert open_sheet(path, "clients").name == "Clients"


def test_an_unknown_sheet_name_lists_the_sheets(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(
        sheets={"Clients": [["Name"]], "Sites": [["Site"]]},
        name="book.xlsx",
    )
    with pytest.raises(SheetError) as err:
        open_sheet(path, "Contacts")
    message = str(err.value)
    assert "book.xlsx" in message
    assert "no sheet named 'Contacts'; its sheets are: 'Clients', 'Sites'" in message
    assert "Choose one of these names" in message


def test_no_visible_sheet_is_an_error(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "hidden.xlsx",
        [("Data", "hidden", f'<row r="1">{inline("A1", "Name")}</row>')],
    )
    with pytest.raises(SheetError, match=r"no visible worksheet.*'Data'"):
        open_sheet(path)


def test_the_meta_sheet_is_never_picked_as_the_data_sheet(tmp_path: Path) -> None:
    meta = f'<row r="1">{inline("A1", "target")}{inline("B1", "halopsa.clients")}</row>'
    data = f'<row r="1">{inline("A1", "Name")}</row><row r="2">{inline("A2", "Acme")}</row>'
    # Even visible and first, _rowpush is metadata, not data.
    path = build_xlsx(
        tmp_path / "meta_first.xlsx", [("_rowpush", "visible", meta), ("Data", "visible", data)]
    )
    sheet = open_sheet(path)
    assert sheet.name == "Data"
    assert sheet.target == "halopsa.clients"
    with pytest.raises(SheetError, match="no sheet named '_rowpush'"):
        open_sheet(path, "_rowpush")


def test_rows_can_be_read_again_from_the_start(make_xlsx: MakeXlsx) -> None:
    sheet = open_sheet(make_xlsx([["a"], ["1"], ["2"]]))
    first = [r.row for r in sheet.rows()]
    assert first == [2, 3]
    assert [r.row for r in sheet.rows()] == first


def test_rows_is_lazy_a_generator_not_a_list(make_xlsx: MakeXlsx) -> None:
    sheet = open_sheet(make_xlsx([["a"], *([str(i)] for i in range(1000))]))
    rows = sheet.rows()
    assert not isinstance(rows, list)
    assert next(rows) == RawRow(2, {"a": "0"})


def test_xlsm_is_read_like_xlsx(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["a"], ["1"]], name="macro.xlsm")
    assert values(path) == [{"a": "1"}]


def test_the_rows_below_the_header_are_told_by_the_sheets_used_range(
    make_xlsx: MakeXlsx,
) -> None:
    """For a progress counter's time left: openpyxl (as Excel) writes `<dimension>`."""
    path = make_xlsx([["Title only"], ["Name", "Code"], *[[f"n{i}", str(i)] for i in range(7)]])
    sheet = open_sheet(path)
    assert sheet.header_row == 2  # the lone title above is skipped
    assert sheet.rows_hint == 7
    assert len(list(sheet.rows())) == 7
