"""Validation of rows against a target's Row model, before any call."""

from __future__ import annotations

from datetime import date

from rowpush.engine.validate import map_headers, validate_rows
from rowpush.model import RawRow
from rowpush.targets.halopsa import HaloClients


def _validate(headers: list[str], *rows: dict[str, object]) -> list:  # type: ignore[type-arg]
    hmap = map_headers(HaloClients, headers, "clients.csv")
    raws = [RawRow(i + 2, dict(row.items())) for i, row in enumerate(rows)]  # type: ignore[misc]
    return list(validate_rows(HaloClients, hmap, raws, "clients.csv"))


def test_headers_match_after_trimming_and_case_folding() -> None:
    hmap = map_headers(HaloClients, [" ID ", "Item_Tax_Code", "Name"], "c.csv")
    assert {c.alias for c in hmap.columns.values()} == {"id", "item_tax_code", "name"}
    assert hmap.columns[" ID "].letter == "A"
    assert not hmap.errors
    assert not hmap.warnings


def test_unknown_column_is_a_warning_naming_its_letter() -> None:
    hmap = map_headers(HaloClients, ["id", "colour"], "c.csv")
    assert not hmap.errors
    (warning,) = hmap.warnings
    assert warning.warning
    assert warning.column == "B"
    assert (
        "column B ('colour') is not a column of halopsa.clients; it is ignored" in warning.message
    )


def test_missing_required_column_suggests_the_closest_header() -> None:
    hmap = map_headers(HaloClients, ["client id", "name"], "c.csv")
    (error,) = hmap.errors
    assert "required column 'id' is missing" in error.message
    assert "c.csv" in error.message


def test_bad_value_names_row_column_header_value_and_expectation() -> None:
    (row,) = _validate(
        ["id", "name", "item_tax_code"], {"id": "12", "name": "A", "item_tax_code": "abc"}
    )
    assert row.model is None
    (error,) = row.errors
    assert (error.row, error.column, error.header, error.value) == (2, "C", "item_tax_code", "abc")
    assert error.expected == "a whole number"
    assert "clients.csv: row 2, column C (item_tax_code)" in error.message


def test_booleans_accept_excel_spellings() -> None:
    rows = _validate(["id", "inactive", "is_vip"], {"id": "1", "inactive": "TRUE", "is_vip": "no"})
    assert rows[0].values == {"id": 1, "inactive": True, "is_vip": False}


def test_blank_cells_are_left_out_not_cleared() -> None:
    (row,) = _validate(["id", "name", "notes"], {"id": "5", "name": "", "notes": ""})
    assert row.values == {"id": 5}


def test_create_without_a_name_is_invalid() -> None:
    (row,) = _validate(
        ["id", "name", "item_tax_code"], {"id": "", "name": "", "item_tax_code": "1"}
    )
    assert row.model is None
    assert "name is needed to create a client" in row.errors[0].message


def test_a_key_seen_twice_is_an_error_on_the_later_row() -> None:
    first, second = _validate(["id", "name"], {"id": "7", "name": "A"}, {"id": "7", "name": "B"})
    assert first.model is not None
    assert second.model is None
    (error,) = second.errors
    assert "id 7 appears again (first on row 2)" in error.message
    assert error.column == "A"


def test_dates_are_given_to_the_model_as_iso_text() -> None:
    (row,) = _validate(["id", "notes"], {"id": "3", "notes": date(2026, 1, 31)})
    assert row.values["notes"] == "2026-01-31"
