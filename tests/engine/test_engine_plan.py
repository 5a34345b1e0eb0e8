"""Planning: a row against its live record becomes create / update / unchanged / invalid."""

from __future__ import annotations

from typing import Any

import pytest

from rowpush.engine.plan import chunks, plan_row
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.model import Action, RawRow
from rowpush.targets.halopsa import HaloClients

HEADERS = ["id", "name", "item_tax_code", "inactive", "notes"]
LIVE = {
    12: {"id": 12, "name": "Acme Ltd", "item_tax_code": 1, "inactive": False, "notes": None},
}


def _plan(cells: dict[str, Any], live: dict[Any, dict[str, Any]] = LIVE):  # type: ignore[no-untyped-def]
    hmap = map_headers(HaloClients, HEADERS, "c.csv")
    (row,) = validate_rows(HaloClients, hmap, [RawRow(2, cells)], "c.csv")
    return plan_row(HaloClients(), row, live, hmap, "c.csv")


def test_changed_field_is_an_update_with_old_and_new() -> None:
    change = _plan({"id": "12", "name": "Acme Ltd", "item_tax_code": "2", "inactive": "FALSE"})
    assert change.action is Action.UPDATE
    assert change.fields == {"item_tax_code": (1, 2)}
    assert change.payload == {"id": 12, "item_tax_code": 2}
    assert change.label == "Acme Ltd"


def test_same_values_are_unchanged() -> None:
    change = _plan({"id": "12", "name": "Acme Ltd", "item_tax_code": "1", "inactive": "false"})
    assert change.action is Action.UNCHANGED
    assert change.payload == {}


def test_blank_cell_leaves_the_live_value_alone() -> None:
    change = _plan({"id": "12", "name": "", "item_tax_code": "", "notes": ""})
    assert change.action is Action.UNCHANGED


def test_no_id_is_a_create_of_the_given_fields() -> None:
    change = _plan({"id": "", "name": "New Co", "item_tax_code": "3"})
    assert change.action is Action.CREATE
    assert change.payload == {"name": "New Co", "item_tax_code": 3}
    assert change.fields == {"name": (None, "New Co"), "item_tax_code": (None, 3)}


def test_unknown_id_is_invalid_and_says_how_to_fix() -> None:
    change = _plan({"id": "999", "name": "Ghost"})
    assert change.action is Action.INVALID
    (error,) = change.errors
    assert "no halopsa.clients record has id 999" in error.message
    assert error.column == "A"
    assert "blank id to create a new one" in (error.expected or "")


def test_invalid_row_keeps_its_errors() -> None:
    change = _plan({"id": "12", "item_tax_code": "x"})
    assert change.action is Action.INVALID
    assert change.errors[0].column == "C"


@pytest.mark.parametrize(
    ("new", "old", "same"),
    [
        (2, 2, True),
        (2, "2", True),
        (2.0, 2, True),
        (2, 3, False),
        (True, True, True),
        (True, 1, False),
        (False, None, False),
        ("", None, True),
        ("a", None, False),
        ("Acme", "Acme", True),
        ("Acme", "acme", False),
    ],
)
def test_same_value_across_json_typing(new: Any, old: Any, same: bool) -> None:
    # "notes" is text in the Row model: live values of other JSON types compare loosely
    assert HaloClients.same("notes", new, old) is same


def test_chunks_are_lazy_and_complete() -> None:
    assert list(chunks(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunks([], 3)) == []
