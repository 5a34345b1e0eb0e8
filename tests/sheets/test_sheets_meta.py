"""The hidden `_rowpush` sheet: written by write_table, read by read_meta and open_sheet."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from sheets_support import MakeXlsx

from rowpush.sheets import META_SHEET, ColumnSpec, open_sheet, read_meta, write_table


def test_meta_round_trips_and_fills_the_sheet_target(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    meta = {"target": "halopsa.clients", "rowpush_version": "0.1.0", "note": "=not a formula"}
    write_table(path, [ColumnSpec("Name")], [["Acme"]], sheet_title="Clients", meta=meta)

    assert read_meta(path) == meta
    sheet = open_sheet(path)
    assert sheet.name == "Clients"
    assert sheet.target == "halopsa.clients"
    assert [r.values for r in sheet.rows()] == [{"Name": "Acme"}]

    book = openpyxl.load_workbook(path)
    assert book[META_SHEET].sheet_state == "hidden"
    assert book.sheetnames[0] == "Clients"


def test_no_meta_sheet_means_no_target(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["Name"], ["Acme"]])
    assert read_meta(path) == {}
    assert open_sheet(path).target is None


def test_meta_is_not_written_to_csv_and_csv_has_none(tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    write_table(path, ["Name"], [], meta={"target": "halopsa.clients"})
    assert read_meta(path) == {}
    assert "halopsa" not in path.read_text(encoding="utf-8-sig")
    assert open_sheet(path).target is None


def test_a_meta_sheet_written_by_hand_is_read_with_blank_keys_ignored(
    make_xlsx: MakeXlsx,
) -> None:
    path = make_xlsx(
        sheets={
            "Data": [["Name"], ["Acme"]],
            META_SHEET: [[" target ", " m3ter.meters "], [None, "orphan"], ["flag"]],
        },
        hidden=[META_SHEET],
    )
    assert read_meta(path) == {"target": "m3ter.meters", "flag": ""}
    assert open_sheet(path).target == "m3ter.meters"
