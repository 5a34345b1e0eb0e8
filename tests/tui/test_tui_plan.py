"""The plan screen, run for real through `build_app` on a fixed plan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tui_support import loaded, table_rows, text_of

from rowpush.model import Action, Change, RowError
from rowpush.tui.app import RowpushApp, build_app
from rowpush.tui.render import Counter, counter_line
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
        counts = text_of(pilot, "#counts")
        for expected in ("all 5", "create 1", "update 2", "unchanged 1", "invalid 1"):
            assert expected in counts
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


def _many(n: int) -> list[Change]:
    """n rows of each status, the invalid ones named (their label) but not typed."""
    error = RowError("row: bad", column="C", header="price", problem="expected a number")
    changes = []
    for i in range(n):
        row = 2 + 4 * i
        changes += [
            Change(row=row, action=Action.CREATE, fields={"name": (None, f"W{i}")}),
            Change(row=row + 1, action=Action.UPDATE, key=i, fields={"name": ("a", "b")}),
            Change(row=row + 2, action=Action.UNCHANGED, key=10**6 + i, label=f"U{i}"),
            Change(
                row=row + 3,
                action=Action.INVALID,
                errors=[error],
                label=f"Acme {i}",
            ),
        ]
    return changes


def _app_of(changes: list[Change]) -> RowpushApp:
    return build_app(
        PlanSource(
            file="items.xlsx",
            target="halopsa.clients",
            connection="halopsa",
            base_url="http://127.0.0.1:8765/halopsa",
            changes=fixed_changes(changes),
        )
    )


@pytest.mark.parametrize("n", [1, 2_500, 300_000])
def test_every_counter_and_its_key_fit_one_line_at_80_columns(n: int) -> None:
    counters = [Counter("a", "all", 4 * n)]
    counters += [
        Counter(k, word, n)
        for k, word in [("c", "create"), ("u", "update"), ("n", "unchanged"), ("i", "invalid")]
    ]
    counters += [Counter(k, w, n) for k, w in [("f", "failed"), ("s", "skipped"), ("k", "unknown")]]
    line = counter_line(counters, 78)
    assert line.cell_len <= 78
    underlined = [line.plain[s.start : s.end] for s in line.spans if "underline" in str(s.style)]
    assert underlined == ["a", "c", "u", "n", "i", "f", "s", "k"]


@pytest.mark.anyio
async def test_an_invalid_row_keeps_its_name_in_the_list_and_expected_shows_once() -> None:
    async with _app_of(_many(1)).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = pilot.app.screen.query_one("#rows", RowTable)
        assert table.row_text(3)[3] == "Acme 0: expected a number"
        await pilot.press("j")
        detail = text_of(pilot, "#detail")
        assert detail.count("expected a number") == 1


def test_plan_counters_at_80_columns_snapshot(snap_compare: Any) -> None:
    """A reviewer should see, at 80x24, one counter line under the header holding every
    counter with its key letter underlined (a all 10000, c create, u update, n unchanged,
    i invalid; the words shortened to fit beside 4-digit counts) and "10000 rows planned"
    at its right, nothing wrapped; invalid rows named ("Acme 0: expected a number")."""
    assert snap_compare(_app_of(_many(2_500)), terminal_size=(80, 24), run_before=loaded)
