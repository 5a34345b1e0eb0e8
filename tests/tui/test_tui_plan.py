"""The plan screen, run for real through `build_app` on a fixed plan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tui_support import loaded, table_rows, text_of

from rowpush.model import Action, Change, RowError
from rowpush.tui.app import RowpushApp, build_app
from rowpush.tui.row_table import RowTable
from rowpush.tui.sources import PlanSource, fixed_changes

CHANGES = [
    Change(row=2, action=Action.CREATE, fields={"name": (None, "Widget"), "price": (None, "9.50")}),
    Change(row=3, action=Action.UPDATE, key=101, fields={"item_tax_code": (1, 2)}, label="Bolt"),
    Change(row=4, action=Action.UPDATE, key=102, fields={"name": ("Nut", "Hex nut")}),
    Change(row=5, action=Action.UNCHANGED, key=103, label="Washer"),
    Change(
        row=6,
        action=Action.INVALID,
        key=104,
        errors=[
            RowError(
                message="row 6, column C (price): 'abc' is not a number",
                row=6,
                column="C",
                header="price",
                value="abc",
                problem="not a number",
                expected="a number such as 9.50",
            )
        ],
    ),
]


def make_app() -> RowpushApp:
    return build_app(
        PlanSource(
            file="items.xlsx",
            sheet="Items",
            target="halo_items",
            connection="sandbox",
            base_url="http://127.0.0.1:8765/api",
            changes=fixed_changes(CHANGES),
        )
    )


@pytest.mark.anyio
async def test_plan_lists_every_row_and_counts_each_status() -> None:
    async with make_app().run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert table_rows(pilot) == ["2", "3", "4", "5", "6"]
        assert "all 5" in text_of(pilot, "#count-all")
        assert "create 1" in text_of(pilot, "#count-create")
        assert "update 2" in text_of(pilot, "#count-update")
        assert "unchanged 1" in text_of(pilot, "#count-unchanged")
        assert "invalid 1" in text_of(pilot, "#count-invalid")
        assert "5 rows planned" in text_of(pilot, "#progress")
        header = text_of(pilot, "#header")
        assert "items.xlsx" in header
        assert "'sandbox' (http://127.0.0.1:8765/api)" in header


@pytest.mark.anyio
async def test_u_filters_to_updates_and_a_shows_all_again() -> None:
    async with make_app().run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("u")
        assert table_rows(pilot) == ["3", "4"]
        await pilot.press("i")
        assert table_rows(pilot) == ["6"]
        await pilot.press("a")
        assert len(table_rows(pilot)) == 5


@pytest.mark.anyio
async def test_highlighted_update_shows_old_and_new_value() -> None:
    async with make_app().run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert 'name: "Widget"' in text_of(pilot, "#detail")  # the create, first row
        await pilot.press("down")
        detail = text_of(pilot, "#detail")
        assert "Row 3" in detail
        assert "item_tax_code: 1 → 2" in detail


@pytest.mark.anyio
async def test_next_invalid_jumps_to_the_invalid_row_and_shows_its_column() -> None:
    async with make_app().run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("j")
        table = pilot.app.screen.query_one("#rows", RowTable)
        assert table.cursor == 4
        detail = text_of(pilot, "#detail")
        assert 'column C (price) value "abc": not a number' in detail
        assert "expected: a number such as 9.50" in detail


@pytest.mark.anyio
async def test_ctrl_end_ctrl_home_and_a_click_move_the_cursor() -> None:
    async with make_app().run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        table = pilot.app.screen.query_one("#rows", RowTable)
        await pilot.press("ctrl+end")
        assert table.cursor == 4
        assert "Row 6" in text_of(pilot, "#detail")
        await pilot.press("ctrl+home")
        assert table.cursor == 0
        await pilot.click("#rows", offset=(3, 3))  # line 0 is the header: the third row
        assert table.cursor == 2
        assert text_of(pilot, "#detail").startswith("Row 4")


@pytest.mark.anyio
async def test_q_quits() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.anyio
async def test_rows_show_while_the_plan_is_still_loading() -> None:
    release = asyncio.Event()

    async def slow() -> AsyncIterator[Change]:
        yield CHANGES[1]
        await release.wait()  # a live plan waiting on the API
        yield CHANGES[2]

    app = build_app(PlanSource("a.csv", "halo_items", "sandbox", "http://x", changes=slow))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert table_rows(pilot) == ["3"]
        assert "planning… 1 rows read" in text_of(pilot, "#progress")
        release.set()
        await loaded(pilot)
        assert table_rows(pilot) == ["3", "4"]
        assert "2 rows planned" in text_of(pilot, "#progress")


def test_plan_screen_snapshot(snap_compare: Any) -> None:
    """A reviewer should see: the header naming items.xlsx [Items] → halo_items on 'sandbox'
    with its URL; counters all 5 / create 1 / update 2 / unchanged 1 / invalid 1 and
    "5 rows planned"; a table like the results screen's (bold header, zebra stripes) of five
    rows coloured by status (green create, yellow updates, grey unchanged, red invalid) with
    one-line summaries such as "item_tax_code: 1 → 2", the cursor (blue bar) on row 6; the
    detail pane for the invalid row 6 naming column C (price), value "abc" and the problem;
    the counters with their filter keys underlined (a, c, u, n, i); and the footer listing
    j Next invalid, / Search, ? Help and q Quit (no Mark or Apply: `plan --tui` only looks)."""
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["j"], run_before=loaded)
