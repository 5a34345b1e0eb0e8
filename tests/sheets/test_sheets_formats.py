"""Written workbooks type their cells: text columns in Excel's Text format (leading zeros
survive), real date cells in date columns, numbers in whole-number columns, and an
autofilter on the header row of every data sheet."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from rowpush.engine.export import write_template
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.sheets import ColumnSpec, open_sheet, write_table
from rowpush.sheets import writer as writer_module
from rowpush.sheets.formats import (
    ColumnKind,
    autofilter_ref,
    cell_value,
    kind_of,
    number_format,
)
from rowpush.targets.registry import get_target

ROOT = Path(__file__).resolve().parents[2]


def data_sheet(path: Path, title: str) -> Worksheet:
    book = openpyxl.load_workbook(path)
    sheet = book[title]
    assert isinstance(sheet, Worksheet)
    return sheet


def column_of(sheet: Worksheet, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return str(cell.column_letter)
    raise AssertionError(f"no column {header!r}")


@pytest.mark.parametrize(
    ("annotation", "kind"),
    [
        (str | None, ColumnKind.TEXT),
        (int | None, ColumnKind.INTEGER),
        (bool | None, ColumnKind.BOOLEAN),
        (float, ColumnKind.NUMBER),
        (Decimal | None, ColumnKind.NUMBER),
        (date | None, ColumnKind.DATE),
        (datetime, ColumnKind.DATETIME),
        (Literal["a", "b"] | None, ColumnKind.TEXT),
        (int | str, ColumnKind.GENERAL),
    ],
)
def test_a_columns_kind_follows_its_fields_type(annotation: object, kind: ColumnKind) -> None:
    assert kind_of(annotation) is kind


def test_a_text_field_marked_as_a_moment_is_a_datetime_column() -> None:
    assert kind_of(str | None, {"format": "date-time"}) is ColumnKind.DATETIME
    assert kind_of(str | None, {"format": "date"}) is ColumnKind.DATE


def test_values_are_typed_for_their_column() -> None:
    assert cell_value(ColumnKind.TEXT, 612345678) == "612345678"
    assert cell_value(ColumnKind.INTEGER, "1043") == 1043
    assert cell_value(ColumnKind.DATE, "2026-01-01") == date(2026, 1, 1)
    assert cell_value(ColumnKind.DATETIME, "2025-01-15T10:00:00.000+02:00") == datetime(
        2025, 1, 15, 8
    )
    assert cell_value(ColumnKind.DATE, "not a date") == "not a date"
    assert cell_value(ColumnKind.TEXT, date(2026, 1, 1)) == "2026-01-01"


def test_the_helper_gives_formats_and_the_filter_range() -> None:
    assert number_format(ColumnKind.TEXT) == "@"
    assert number_format(ColumnKind.DATETIME) == "yyyy-mm-dd hh:mm:ss"
    assert number_format(ColumnKind.GENERAL) is None
    assert autofilter_ref(6, 120) == "A1:F120"
    assert autofilter_ref(28, 1) == "A1:AB1"


def test_a_template_has_a_filter_and_text_columns_in_the_text_format(tmp_path: Path) -> None:
    out = tmp_path / "clients.xlsx"
    target = get_target("halopsa.clients")
    write_template(target, out)
    sheet = data_sheet(out, "halopsa.clients")
    headers = [c.value for c in sheet[1]]
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}1"
    # a value typed later into accountsid keeps its leading zero: the column is Text
    assert sheet.column_dimensions[column_of(sheet, "accountsid")].number_format == "@"
    assert sheet.column_dimensions[column_of(sheet, "id")].number_format == "0"


def test_the_committed_templates_carry_the_formats() -> None:
    sheet = data_sheet(ROOT / "templates" / "orange.users.xlsx", "orange.users")
    assert sheet.auto_filter.ref is not None
    assert sheet.column_dimensions[column_of(sheet, "mobilePhone")].number_format == "@"


def test_an_export_writes_ids_as_numbers_text_as_text_and_dates_as_dates(
    tmp_path: Path,
) -> None:
    out = tmp_path / "accounts.xlsx"
    write_template(
        get_target("m3ter.accounts"),
        out,
        [["007", "Acme", "a@example.com", "EUR", "2026-01-01"]],
    )
    sheet = data_sheet(out, "m3ter.accounts")
    code, epoch = sheet["A2"], sheet["E2"]
    assert (code.value, code.number_format) == ("007", "@")
    assert epoch.value == datetime(2026, 1, 1)  # openpyxl reads every date cell as datetime
    assert epoch.number_format == "yyyy-mm-dd"
    assert sheet.auto_filter.ref == "A1:E2"

    clients = tmp_path / "clients.xlsx"
    target = get_target("halopsa.clients")
    row: list[object] = [None] * len(target.columns())
    row[0], row[8] = "1043", 12  # id as the API may send it; accountsid sent as a number
    write_template(target, clients, [row])
    sheet = data_sheet(clients, "halopsa.clients")
    assert sheet["A2"].value == 1043
    assert (sheet["I2"].value, sheet["I2"].number_format) == ("12", "@")


def test_date_cells_read_back_and_validate_as_they_were_exported(tmp_path: Path) -> None:
    out = tmp_path / "types.xlsx"
    target = get_target("usage-engine.meter-types")
    headers = [c.header for c in target.columns()]
    row: list[object] = [None] * len(headers)
    row[headers.index("name")] = "printing"
    row[headers.index("activeFrom")] = "2025-01-15T10:00:00.000+00:00"
    write_template(target, out, [row])
    sheet = data_sheet(out, "usage-engine.meter-types")
    cell = sheet.cell(2, headers.index("activeFrom") + 1)
    assert cell.value == datetime(2025, 1, 15, 10)
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"

    read = open_sheet(out)
    hmap = map_headers(target, read.headers, "types.xlsx")
    typed = list(validate_rows(target, hmap, read.rows(), "types.xlsx"))
    assert typed[0].model is not None, typed[0].errors
    assert typed[0].model.activeFrom == "2025-01-15T10:00:00.000+00:00"  # type: ignore[attr-defined]


def test_every_continued_sheet_has_its_own_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_ROWS", 3)  # header + 2 data rows a sheet
    out = tmp_path / "long.xlsx"
    write_table(out, [ColumnSpec("n", kind=ColumnKind.INTEGER)], [[1], [2], [3]], sheet_title="T")
    assert data_sheet(out, "T").auto_filter.ref == "A1:A3"
    assert data_sheet(out, "T (2)").auto_filter.ref == "A1:A2"
