"""Applying from the plan screen: confirm, subsets, progress, cancel, help, search.

The applier here is a fake that reports outcomes through the engine's callbacks;
tests/e2e/test_e2e_tui_apply.py runs the same keys against the sandbox for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_support import loaded, table_rows, text_of

from rowpush.engine.callbacks import Callbacks
from rowpush.model import Action, Change, Outcome, RowError, Status
from rowpush.tui.app import RowpushApp, build_app
from rowpush.tui.apply_screen import ApplyScreen
from rowpush.tui.dialogs import ConfirmApply, HelpScreen
from rowpush.tui.sources import PlanSource, fixed_changes

CHANGES = [
    Change(row=2, action=Action.CREATE, fields={"name": (None, "Widget")}, label="Widget"),
    Change(row=3, action=Action.UPDATE, key=101, fields={"item_tax_code": (1, 2)}, label="Bolt"),
    Change(row=4, action=Action.UPDATE, key=102, fields={"name": ("Nut", "Hex nut")}),
    Change(row=5, action=Action.UNCHANGED, key=103, label="Washer"),
    Change(row=6, action=Action.UPDATE, key=104, fields={"notes": ("", "VIP")}, label="Gear"),
    Change(
        row=7,
        action=Action.INVALID,
        key=105,
        errors=[RowError("row 7: bad", row=7, column="C", header="price", problem="not a number")],
    ),
]


class FakeApplier:
    """Reports one outcome per row sent; row 4 fails. Waits on `gate` before each row."""

    results = Path("items-results.xlsx")

    def __init__(self, clock: list[float], gate: asyncio.Event | None = None) -> None:
        self.clock = clock
        self.gate = gate
        self.only: Collection[int] | None = None
        self.sent: list[int] = []
        self.calls = 0

    async def send(
        self, callbacks: Callbacks, only: Collection[int] | None, stop: asyncio.Event
    ) -> dict[str, int]:
        self.calls += 1
        self.only = only
        rows = [
            c
            for c in CHANGES
            if c.action in (Action.CREATE, Action.UPDATE) and (only is None or c.row in only)
        ]
        callbacks.sending(len(rows))
        for change in rows:
            if self.gate is not None:
                await self.gate.wait()
                self.gate.clear()
            if stop.is_set():
                break
            self.clock[0] += 1.0
            self.sent.append(change.row)
            if change.row == 4:
                outcome = Outcome(4, Status.FAILED, 400, "name is too long")
            elif change.action is Action.CREATE:
                outcome = Outcome(change.row, Status.CREATED, 201, "", "901")
            else:
                outcome = Outcome(change.row, Status.UPDATED, 201, "")
            callbacks.outcomes([outcome])
        failed = sum(r == 4 for r in self.sent)
        return {
            "created": sum(r == 2 for r in self.sent),
            "updated": len(self.sent) - failed - sum(r == 2 for r in self.sent),
            "failed": failed,
            "skipped": len(rows) - len(self.sent) + (len(CHANGES) - 1 - len(rows) - 1),
        }


def make_app(applier: FakeApplier, clock: list[float], *, skip_invalid: bool = True) -> RowpushApp:
    """The plan screen of `apply --tui --skip-invalid` (row 7 is invalid), unless told."""
    source = PlanSource(
        file="items.xlsx",
        sheet="Items",
        target="halopsa.clients",
        connection="halo-prod",
        base_url="https://acme.halopsa.com",
        changes=fixed_changes(CHANGES),
        applier=applier,
        skip_invalid=skip_invalid,
    )
    return build_app(source, clock=lambda: clock[0])


@pytest.mark.anyio
async def test_apply_refuses_invalid_rows_without_skip_invalid_as_the_cli_does() -> None:
    clock = [0.0]
    applier = FakeApplier(clock)
    app = make_app(applier, clock, skip_invalid=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("A")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmApply)
        [note] = [n.message for n in app._notifications]
        assert note.startswith("1 invalid row(s): apply refuses them")
        assert "--skip-invalid" in note
        assert applier.calls == 0


@pytest.mark.anyio
async def test_apply_asks_with_the_counts_and_the_target_and_cancel_sends_nothing() -> None:
    clock = [0.0]
    applier = FakeApplier(clock)
    async with make_app(applier, clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("A")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ConfirmApply)
        assert modal.question.startswith(
            "Apply 3 update(s) and 1 create(s) to halopsa.clients on 'halo-prod' "
            "(https://acme.halopsa.com)?"
        )
        assert "1 invalid row(s) will not be sent" in modal.question
        await pilot.press("n")
        await pilot.pause()
        assert applier.calls == 0
        assert not isinstance(pilot.app.screen, ApplyScreen)


@pytest.mark.anyio
async def test_marked_rows_alone_are_applied_when_the_user_chooses_the_subset() -> None:
    clock = [0.0]
    applier = FakeApplier(clock)
    async with make_app(applier, clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("down", "space")  # row 3; the cursor moves on to row 4
        await pilot.press("down", "space")  # row 5 is unchanged: refused, cursor stays
        await pilot.press("down", "space")  # row 6
        assert table_rows(pilot)[:5] == ["2", "● 3", "4", "5", "● 6"]
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmApply)
        assert "only the 2 marked row(s): 2 update(s), 0 create(s)" in pilot.app.screen.question
        await pilot.press("s")
        await loaded(pilot)
        assert applier.only == [3, 6]
        assert applier.sent == [3, 6]
        screen = pilot.app.screen
        assert isinstance(screen, ApplyScreen)
        assert "2/2 rows" in text_of(pilot, "#stats")
        assert "Done:" in text_of(pilot, "#done")


@pytest.mark.anyio
async def test_the_filtered_rows_are_the_subset_when_nothing_is_marked() -> None:
    clock = [0.0]
    applier = FakeApplier(clock)
    async with make_app(applier, clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("c")
        await pilot.press("A")
        await pilot.pause()
        assert "only the 1 shown row(s): 0 update(s), 1 create(s)" in pilot.app.screen.question
        await pilot.press("s")
        await loaded(pilot)
        assert applier.sent == [2]


@pytest.mark.anyio
async def test_apply_screen_counts_outcomes_and_lists_the_failure() -> None:
    clock = [0.0]
    applier = FakeApplier(clock)
    async with make_app(applier, clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("A", "y")
        await loaded(pilot)
        assert applier.only is None
        assert text_of(pilot, "#stats") == "4/4 rows · 1.0 rows/s · 0:00:04 elapsed"
        outcomes = text_of(pilot, "#outcomes")
        assert "created 1" in outcomes
        assert "updated 2" in outcomes
        assert "failed 1" in outcomes
        assert "row 4 400: name is too long" in text_of(pilot, "#failures")
        assert "Results: items-results.xlsx" in text_of(pilot, "#done")
        await pilot.press("q")
        await pilot.pause()
        assert not pilot.app.is_running


@pytest.mark.anyio
async def test_escape_cancels_after_the_row_in_flight_and_nothing_more_is_sent() -> None:
    clock = [0.0]
    gate = asyncio.Event()
    applier = FakeApplier(clock, gate)
    async with make_app(applier, clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("A", "y")
        await pilot.pause()
        gate.set()  # the first row goes
        await pilot.pause()
        await pilot.press("escape")
        assert "Cancelling" in text_of(pilot, "#done")
        gate.set()  # the next row was waiting: it sees the stop and sends nothing
        await loaded(pilot)
        assert applier.sent == [2]
        assert "Cancelled:" in text_of(pilot, "#done")


@pytest.mark.anyio
async def test_slash_searches_rows_and_escape_clears_the_search() -> None:
    clock = [0.0]
    async with make_app(FakeApplier(clock), clock).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        await pilot.press(*"bolt")
        assert table_rows(pilot) == ["3"]
        await pilot.press("enter")
        assert "Row 3" in text_of(pilot, "#detail")
        await pilot.press("slash", "escape")
        assert len(table_rows(pilot)) == len(CHANGES)


@pytest.mark.anyio
async def test_question_mark_shows_every_key() -> None:
    clock = [0.0]
    async with make_app(FakeApplier(clock), clock).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        keys = dict(pilot.app.screen.keys)
        assert {"a c u n i", "j", "/", "space", "A", "q"} <= set(keys)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, HelpScreen)


@pytest.mark.anyio
async def test_a_plan_without_applier_offers_no_apply() -> None:
    source = PlanSource("a.csv", "halopsa.clients", "sandbox", "http://x", fixed_changes(CHANGES))
    async with build_app(source).run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("A")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmApply)
        enabled = {b.binding.key for b in pilot.app.screen.active_bindings.values() if b.enabled}
        assert "A" not in enabled
        assert "slash" in enabled


def test_row_detail_snapshot(snap_compare: Any) -> None:
    """A reviewer should see: row 3 highlighted (blue bar) in the table and the detail pane
    "Row 3 · update · key 101 · Bolt" with "item_tax_code: 1 → 2" below it; the counters
    with their keys underlined (a all 6, c create 1, u update 3, n unchanged 1, i invalid 1);
    the footer with j Next invalid, / Search, space Mark, A Apply…, ? Help and q Quit."""
    clock = [0.0]
    assert snap_compare(
        make_app(FakeApplier(clock), clock),
        terminal_size=(80, 24),
        press=["down"],
        run_before=loaded,
    )


def test_apply_finished_snapshot(snap_compare: Any) -> None:
    """A reviewer should see: the heading "Applying items.xlsx → halopsa.clients on
    'halo-prod'", a full progress bar, "4/4 rows · 1.0 rows/s · 0:00:04 elapsed",
    outcomes created 1 / updated 2 / failed 1, "Done: …  Results: items-results.xlsx",
    and the latest failure "row 4 400: name is too long"; the footer offers q Quit."""
    clock = [0.0]

    async def apply_all(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("A", "y")
        await loaded(pilot)

    assert snap_compare(
        make_app(FakeApplier(clock), clock), terminal_size=(80, 24), run_before=apply_all
    )
