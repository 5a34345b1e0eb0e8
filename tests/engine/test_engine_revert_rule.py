"""How revert turns a results row into its reverse row (engine/revert.py), without a server."""

from __future__ import annotations

from rowpush.engine.results_reader import ResultRow
from rowpush.engine.revert import Skipped, _Rule
from rowpush.model import Status
from rowpush.targets.registry import get_target

HEADERS = ["id", "name", "item_tax_code", "notes", "inactive"]


def _row(status: Status, before: dict[str, object] | None, **values: str) -> ResultRow:
    return ResultRow(2, status, 200, "", values.get("id") or "77", None, values, before)


def test_an_update_sets_each_changed_field_back_and_nothing_else() -> None:
    rule = _Rule(get_target("halopsa.clients"), {}, set(), False, skipped := [])
    row = _row(Status.UPDATED, {"item_tax_code": 1}, id="12", name="Acme", item_tax_code="2")
    assert rule.row_of(row, HEADERS) == ["12", "", "1", "", ""]
    assert skipped == []


def test_a_field_that_was_blank_cannot_be_cleared_and_is_listed() -> None:
    rule = _Rule(get_target("halopsa.clients"), {}, set(), False, skipped := [])
    row = _row(Status.UPDATED, {"notes": None}, id="12", notes="x")
    assert rule.row_of(row, HEADERS) is None
    assert skipped == [Skipped(2, "12", "notes was blank: a blank cell cannot clear it")]


def test_a_field_moved_since_is_kept_unless_forced() -> None:
    moved = {2: {"item_tax_code": (9, 2)}}
    row = _row(Status.UPDATED, {"item_tax_code": 1, "name": "Old"}, id="12", name="New")
    kept = _Rule(get_target("halopsa.clients"), moved, set(), False, skipped := [])
    assert kept.row_of(row, HEADERS) == ["12", "Old", "", "", ""]
    assert "changed since the run (now 9, the run set 2)" in skipped[0].why
    forced = _Rule(get_target("halopsa.clients"), moved, set(), True, [])
    assert forced.row_of(row, HEADERS) == ["12", "Old", "1", "", ""]


def test_a_create_is_retired_where_the_target_can_and_listed_where_not() -> None:
    created = _row(Status.CREATED, None, name="New Co")
    retire = _Rule(get_target("halopsa.clients"), {}, set(), False, [])
    assert retire.row_of(created, HEADERS) == ["77", "", "", "", "TRUE"]
    leave = _Rule(get_target("halopsa.assets"), {}, set(), False, skipped := [])
    assert leave.row_of(created, ["id", "inventory_number"]) is None
    assert skipped[0].why == "created by the run; revert leaves it in place"


def test_a_composite_key_keeps_every_column_it_is_made_of() -> None:
    rule = _Rule(get_target("usage-engine.meters"), {}, set(), False, [])
    row = _row(
        Status.UPDATED,
        {"deleteOnReset": True},
        meterType="pages",
        meterKey="k1",
        userId="u1",
        deleteOnReset="FALSE",
    )
    headers = ["meterTypeId", "meterType", "meterKey", "userId", "deleteOnReset"]
    assert rule.row_of(row, headers) == ["", "pages", "k1", "u1", "TRUE"]
