"""A saved plan checked against a fresh plan of its sheet: rows whose record moved are
`stale` with the field named; `refresh` takes the fresh plan; the journal ends them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from rowpush.engine import saved_plan
from rowpush.engine.journal import Journal
from rowpush.engine.saved_plan import PlanHeader, PlanWriter, SavedPlan, read_header
from rowpush.errors import BadInput
from rowpush.model import Action, Change, RowError, Status

HEADER = PlanHeader("/x/c.csv", None, "0" * 64, "halopsa.clients", "halo", "http://h", "t")


def _update(row: int, old: object, new: object, **payload: object) -> Change:
    body = {"id": row * 10, "item_tax_code": new, **payload}
    return Change(row, Action.UPDATE, row * 10, {"item_tax_code": (old, new)}, body, label="A")


def _saved(tmp_path: Path, changes: Sequence[Change], *, refresh: bool = False) -> SavedPlan:
    path = tmp_path / "p.rowplan"
    writer = PlanWriter(path, HEADER)
    for change in changes:
        writer.add(change)
    writer.finish()
    return SavedPlan(path, read_header(path), refresh=refresh)


def _check(plan: SavedPlan, fresh: Sequence[Change]) -> list[Change]:
    async def stream() -> AsyncIterator[Change]:
        for change in fresh:
            yield change

    async def run() -> list[Change]:
        return [c async for c in plan.check(stream())]

    return asyncio.run(run())


def test_an_unmoved_record_sends_the_saved_change(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [_update(2, 1, 2)])
    (change,) = _check(plan, [_update(2, 1, 2)])
    assert change.stale is None
    assert change.payload == {"id": 20, "item_tax_code": 2}


def test_a_moved_field_is_named_as_planned_and_as_live(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [_update(2, 1, 2), _update(3, 1, 2)])
    kept, moved = _check(plan, [_update(2, 1, 2), _update(3, 9, 2)])
    assert kept.stale is None
    assert moved.action is Action.UPDATE  # the saved change, not sent
    assert moved.stale is not None
    assert "item_tax_code: planned 1 → 2, live now 9" in moved.stale
    assert "--refresh" in moved.stale


def test_a_field_planned_unchanged_that_moved_is_named(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [Change(2, Action.UNCHANGED, 20, label="A")])
    (change,) = _check(plan, [_update(2, 9, 2)])
    assert change.stale is not None
    assert "item_tax_code: planned unchanged at 2, live now 9" in change.stale


def test_a_record_gone_or_created_since_is_stale(tmp_path: Path) -> None:
    gone = RowError("no record", problem="no record has id 20")
    create = Change(3, Action.CREATE, None, {"name": (None, "N")}, {"name": "N"})
    plan = _saved(tmp_path, [_update(2, 1, 2), create])
    exists = RowError("exists", problem="name already exists (id 77)")
    fresh = [
        Change(2, Action.INVALID, 20, errors=[gone]),
        Change(3, Action.INVALID, None, errors=[exists]),
    ]
    first, second = _check(plan, fresh)
    assert "can no longer be updated as planned: no record has id 20" in (first.stale or "")
    assert "can no longer be created as planned: name already exists (id 77)" in (
        second.stale or ""
    )


def test_a_moved_version_is_named_by_its_path_in_the_payload(tmp_path: Path) -> None:
    saved = _update(2, 1, 2, body={"version": 3})
    plan = _saved(tmp_path, [saved])
    (change,) = _check(plan, [_update(2, 1, 2, body={"version": 4})])
    assert "body.version: planned against 3, live now 4" in (change.stale or "")


def test_refresh_sends_the_fresh_plan_of_a_moved_record(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [_update(2, 1, 2), _update(3, 1, 2)], refresh=True)
    kept, moved = _check(plan, [_update(2, 1, 2), Change(3, Action.UNCHANGED, 30)])
    assert kept.stale is None
    assert moved.stale is None
    assert moved.action is Action.UNCHANGED


def test_the_other_rows_of_a_stale_record_are_stale_too(tmp_path: Path) -> None:
    follower = Change(3, Action.UPDATE, 20, label="A", lead=2)
    plan = _saved(tmp_path, [_update(2, 1, 2), follower])
    lead, member = _check(plan, [_update(2, 9, 2), Change(3, Action.UPDATE, 20, lead=2)])
    assert lead.stale is not None
    assert member.stale == lead.stale


def test_an_edited_plan_file_is_refused_with_its_line(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [_update(2, 1, 2)])
    with plan.path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(BadInput, match=r"p\.rowplan, line 3: not a planned change"):
        _check(plan, [_update(2, 1, 2), _update(3, 1, 2)])


def test_the_journal_ends_a_stale_row_with_its_message(tmp_path: Path) -> None:
    stale = _update(3, 1, 2)
    stale.stale = "changed since the plan was saved: item_tax_code: planned 1 → 2, live now 9."
    with Journal(tmp_path / "j.journal") as journal:
        journal.add_changes([_update(2, 1, 2), stale])
        assert journal.counts()["update"] == 1
        assert journal.counts()["stale"] == 1
        assert [c.row for c in journal.pending()] == [2]
        outcome = {o.row: o for o in journal.outcomes()}[3]
        assert outcome.status is Status.STALE
        assert "live now 9" in outcome.message


def test_refresh_re_plans_the_other_rows_of_a_moved_record_too(tmp_path: Path) -> None:
    follower = Change(3, Action.UPDATE, 20, label="A", lead=2)
    plan = _saved(tmp_path, [_update(2, 1, 2), follower], refresh=True)
    fresh = [Change(2, Action.UNCHANGED, 20), Change(3, Action.UNCHANGED, 20, lead=2)]
    lead, member = _check(plan, fresh)
    assert (lead.action, member.action) == (Action.UNCHANGED, Action.UNCHANGED)


def test_an_invalid_row_stays_invalid_unless_refreshed(tmp_path: Path) -> None:
    bad = Change(2, Action.INVALID, 20, errors=[RowError("no record", problem="none")])
    (kept,) = _check(_saved(tmp_path, [bad]), [_update(2, 1, 2)])
    assert kept.action is Action.INVALID
    assert kept.stale is None
    (fresh,) = _check(_saved(tmp_path, [bad], refresh=True), [_update(2, 1, 2)])
    assert fresh.action is Action.UPDATE


def test_a_change_edited_in_the_plan_file_is_refused(tmp_path: Path) -> None:
    plan = _saved(tmp_path, [_update(2, 1, 2)])
    text = plan.path.read_text(encoding="utf-8")
    plan.path.write_text(text.replace('"item_tax_code": 2}', '"item_tax_code": 7}'), "utf-8")
    with pytest.raises(BadInput, match=r"line 2 \(row 2\): the change was edited"):
        _check(plan, [_update(2, 1, 2)])


def test_the_batch_check_reads_the_live_records_anew_at_most_once_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One fresh target (a fresh read) for the first batch, shared by the batches that
    follow within RECHECK_SECONDS, then a new one."""
    made: list[object] = []

    class Fake:
        async def load_reference(self, client: object) -> None:
            made.append(self)

    clock = [1000.0]
    monkeypatch.setattr(saved_plan.time, "monotonic", lambda: clock[0])
    fresh = saved_plan.Refreshed(Fake, client=None)  # type: ignore[arg-type]

    async def go() -> list[object]:
        first = await fresh.target()
        again = await fresh.target()
        clock[0] += saved_plan.RECHECK_SECONDS + 1
        later = await fresh.target()
        return [first, again, later]

    first, again, later = asyncio.run(go())
    assert first is again
    assert later is not first
    assert made == [first, later]
