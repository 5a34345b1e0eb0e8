"""Cell text and formula safety: the rules every writer and the XLSX reader share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rowpush.sheets import is_formula_like, open_sheet, write_table
from rowpush.sheets.cells import FORMULA_TRIGGERS, csv_safe, text_of


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=", "-", "+33 1 23 45 67", "-2+3+cmd|x"],
)
def test_formula_like(text: str) -> None:
    assert is_formula_like(text)
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", "Acme", " =1", "a=1", "'=1", "#N/A", "-5", "+1.5", "-2e3", "-.5", "1-2"]
)
def test_not_formula_like(text: str) -> None:
    # Plain numbers cannot become formulas; quoting them would corrupt negative amounts.
    assert not is_formula_like(text)
    assert csv_safe(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("00123", "00123"),
        (True, "TRUE"),
        (False, "FALSE"),
        (12, "12"),
        (12.0, "12"),
        (-0.0, "0"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (1.5e-7, "1.5e-07"),
        (1.234567890123457e17, "123456789012346000"),
        (Decimal("9.50"), "9.50"),
        (date(2024, 1, 2), "2024-01-02"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        (time(3, 4, 4, 999_999), "03:04:05"),
        (timedelta(days=1, hours=6, minutes=1), "30:01:00"),
        (timedelta(minutes=-90), "-1:30:00"),
    ],
)
def test_text_of(value: object, expected: str) -> None:
    assert text_of(value) == expected


_xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10)],
    ),
    max_size=30,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(_xml_text.map(lambda t: t.strip() and t), min_size=1, max_size=5))
def test_any_text_survives_an_xlsx_round_trip_as_text(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "any.xlsx"
    write_table(path, ["Value"], [[t] for t in texts])
    ws = openpyxl.load_workbook(path).worksheets[0]
    cells = [c for (c,) in ws.iter_rows(min_row=2, max_row=len(texts) + 1)]
    for cell, text in zip(cells, texts, strict=True):
        if text:
            assert cell.data_type == "s"
            assert cell.value == text
    read = [r.values["Value"] for r in open_sheet(path).rows()]
    assert read == [t for t in texts if t.strip()]


@given(st.text(max_size=20))
def test_csv_safe_text_never_starts_a_formula(text: str) -> None:
    safe = csv_safe(text)
    assert not is_formula_like(safe)
    assert safe == (
        "'" + text if text.startswith(FORMULA_TRIGGERS) and is_formula_like(text) else text
    )
