"""Typing a chunk column by column gives exactly what typing it row by row gives: the
same values in the same order for every valid row, and no values for any other."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

import pytest

from rowpush.engine.validate import map_headers, validate_rows
from rowpush.engine.validate_columns import ColumnTyper
from rowpush.model import RawRow
from rowpush.targets.base import Target
from rowpush.targets.registry import all_targets

#: Cells of every kind a sheet gives: text with spaces, blanks, dates as text, Excel
#: serials, date cells, numbers, too long, non-ASCII, nonsense.
ODD = [
    "",
    "  ",
    " x ",
    "é",
    "x" * 300,
    "46000",
    "46000.5",
    "2026-01-31",
    "2026-01-31 10:00:00",
    "2026-01-31T10:00:00Z",
    "bad",
    "12",
    "-1",
    "1.5",
    "TRUE",
    "no",
    datetime(2026, 1, 2, 3, 4, 5),
    date(2026, 1, 2),
]


def _cells(target: type[Target], header: str) -> list[Any]:
    examples = [
        str(e)
        for spec in target.columns()
        if spec.header == header
        for e in ([spec.example] if spec.example else [])
    ]
    return examples * 4 + ODD


def _targets() -> list[str]:
    eligible = []
    for name, target in sorted(all_targets().items()):
        hmap = map_headers(target, target.headers(), "sheet.csv")
        if not hmap.errors and ColumnTyper.of(target, hmap) is not None:
            eligible.append(name)
    return eligible


def test_the_measurements_are_typed_by_column() -> None:
    assert "m3ter.measurements" in _targets()


@pytest.mark.parametrize("name", _targets())
def test_columns_type_rows_as_the_row_model_does(name: str) -> None:
    target = all_targets()[name]
    headers = target.headers()
    if name == "m3ter.measurements":  # data fields are extra columns of their own
        headers = [*headers, "measure.requests", "who.user_id"]
    hmap = map_headers(target, headers, "sheet.csv")
    typer = ColumnTyper.of(target, hmap)
    assert typer is not None
    rnd = random.Random(name)
    cells = {h: _cells(target, h) for h in headers}
    rows = [RawRow(n + 2, {h: rnd.choice(cells[h]) for h in headers}) for n in range(2000)]
    by_row = list(validate_rows(target, hmap, rows, "sheet.csv"))
    by_column = typer.type_chunk(rows)
    valid = 0
    for slow, fast in zip(by_row, by_column, strict=True):
        want = slow.values if slow.model is not None else None
        assert fast == want, slow.raw.values
        if want is not None:
            assert list(fast or {}) == list(want)  # the order a dump gives
            valid += 1
    assert valid > 20  # the grid makes valid rows too, not only refused ones


@pytest.mark.parametrize("name", ["halopsa.clients", "hyalto.accounts"])
def test_keyed_targets_are_typed_row_by_row(name: str) -> None:
    # a repeated key is an error only the whole sheet shows, row by row
    target = all_targets()[name]
    hmap = map_headers(target, target.headers(), "sheet.csv")
    assert ColumnTyper.of(target, hmap) is None
