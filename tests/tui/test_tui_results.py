"""The results screen, run for real through `build_app` on a results workbook written
by `write_results` from a real journal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList
from tui_support import loaded, table_rows, text_of

from rowpush.engine.journal import Journal
from rowpush.engine.results_reader import ResultRow, ResultsBook, open_results
from rowpush.engine.results_writer import RunInfo, file_sha256, write_results
from rowpush.errors import ConfigError
from rowpush.model import Action, Change, Outcome, RowError, Status
from rowpush.sheets.reader import open_sheet
from rowpush.sheets.writer import write_table
from rowpush.tui.app import RowpushApp, build_app
from rowpush.tui.dialogs import HelpScreen
from rowpush.tui.plan_screen import PlanScreen
from rowpush.tui.results_render import detail_lines, summary_lines
from rowpush.tui.results_screen import ConnectionPicker, ResultsScreen
from rowpush.tui.row_table import RowTable
from rowpush.tui.sources import PlanSource, ResultsSource, fixed_changes

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FAILED_MESSAGE = (
    "Tax code 3 does not exist [item_tax_code]: pick one of the codes under Settings → Tax."
)
INPUT = (
    "id,name,phone\n"
    "12,Acme Ltd,+44 113 496 0000\n"
    "14,Bolt & Co,\n"
    ",New Client,0113 496 0001\n"
    "99,,\n"
    "16,Tax [Co],01\n"
    "18,Later Ltd,\n"
    ",Sent Ltd,\n"
)


def write_book(
    tmp_path: Path, *, connection: str = "halo", outcomes: list[Outcome] | None = None
) -> Path:
    """A results workbook for the input above: one row of each status (two rows with
    `outcomes` given: every row sent then)."""
    source = tmp_path / "clients.csv"
    source.write_text(INPUT, encoding="utf-8")
    journal = Journal(tmp_path / "results.xlsx.journal")
    journal.add_changes(
        [
            Change(2, Action.UPDATE, 12, {"name": ("Acme", "Acme Ltd")}, {"id": 12}),
            Change(3, Action.UNCHANGED, 14),
            Change(4, Action.CREATE, None, {"name": (None, "New Client")}, {"name": "x"}),
            Change(
                5,
                Action.INVALID,
                99,
                errors=[RowError("row 5, column B (name): a name is required", row=5)],
            ),
            Change(6, Action.UPDATE, 16, {"name": ("Tax", "Tax [Co]")}, {"id": 16}),
            Change(7, Action.UPDATE, 18, {"name": ("Later", "Later Ltd")}, {"id": 18}),
            Change(8, Action.CREATE, None, {"name": (None, "Sent Ltd")}, {"name": "y"}),
        ]
    )
    journal.record(
        outcomes
        if outcomes is not None
        else [
            Outcome(2, Status.UPDATED, 200, "", None, AT),
            Outcome(4, Status.CREATED, 201, "", "901", AT),
            Outcome(6, Status.FAILED, 400, FAILED_MESSAGE, None, AT),
            Outcome(8, Status.UNKNOWN, None, "no answer: the connection dropped", None, AT),
        ]
    )
    info = RunInfo(
        target="halopsa.clients",
        connection=connection,
        base_url="https://acme.halopsa.com",
        input_file=source,
        input_sha256=file_sha256(source),
        sheet=None,
        started=AT,
        finished=AT,
    )
    out = tmp_path / "results.xlsx"
    write_results(out, open_sheet(source), journal, info)
    journal.close()
    return out


class FakeRetry:
    """Stands in for the CLI's retry: remembers the connection it was given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.error = error

    def __call__(self, connection: str) -> PlanSource:
        self.calls.append(connection)
        if self.error is not None:
            raise self.error
        change = Change(6, Action.UPDATE, 16, {"name": ("Tax", "Tax [Co]")})
        return PlanSource(
            file="results.xlsx",
            target="halopsa.clients",
            connection=connection,
            base_url="https://acme.halopsa.com",
            changes=fixed_changes([change]),
        )


def make_app(
    book: ResultsBook, retry: FakeRetry | None = None, connections: tuple[str, ...] = ("halo",)
) -> RowpushApp:
    return build_app(ResultsSource(book, retry=retry, connections=connections))


@pytest.fixture
def book(tmp_path: Path) -> ResultsBook:
    return open_results(write_book(tmp_path))


def screen_line(pilot: Pilot[Any], y: int) -> str:
    """Line `y` of the table as drawn (0 is its header)."""
    return pilot.app.screen.query_one("#rows", RowTable).render_line(y).text


def notes(app: RowpushApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.anyio
async def test_counters_count_each_status_and_the_header_names_the_run(
    book: ResultsBook,
) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert table_rows(pilot) == ["2", "3", "4", "5", "6", "7", "8"]
        counters = text_of(pilot, "#counters")
        for expected in (
            "all 7",
            "created 1",
            "updated 1",
            "unchanged 1",
            "failed 1",
            "invalid 1",
            "skipped 1",
            "unknown 1",
        ):
            assert expected in counters
        assert text_of(pilot, "#header") == "Results in results.xlsx → halopsa.clients on 'halo'"
        assert text_of(pilot, "#progress") == "7 rows"


@pytest.mark.anyio
async def test_f_filters_to_failed_rows_and_a_shows_all_again(book: ResultsBook) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        await loaded(pilot)
        assert table_rows(pilot) == ["6"]
        assert "Tax code 3 does not exist" in text_of(pilot, "#detail")
        await pilot.press("k")
        await loaded(pilot)
        assert table_rows(pilot) == ["8"]
        await pilot.press("a")
        await loaded(pilot)
        assert len(table_rows(pilot)) == 7


@pytest.mark.anyio
async def test_highlighted_row_shows_its_full_message_and_every_input_column(
    book: ResultsBook,
) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "Row 2 · updated · HTTP 200" in text_of(pilot, "#detail")
        await pilot.press("down", "down", "down", "down")
        detail = text_of(pilot, "#detail")
        assert "Row 6 · failed · HTTP 400" in detail
        assert f"Message: {FAILED_MESSAGE}" in detail  # whole, brackets kept as text
        assert "Remote id: (none)" in detail
        assert "At: 2026-11-23T12:00:00+00:00" in detail
        assert "id: 16" in detail
        assert "name: Tax [Co]" in detail
        assert "phone: 01" in detail
        line = screen_line(pilot, 5)
        assert line.startswith(" 6  ")
        assert len(line) == 80
        assert line.rstrip().endswith("Tax code 3 does not exist [item_tax_code]: p…")


@pytest.mark.anyio
async def test_clicking_a_row_shows_its_detail(book: ResultsBook) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.click("#rows", offset=(3, 3))  # line 0 is the header: the third row
        assert text_of(pilot, "#detail").startswith("Row 4 · created · HTTP 201")


@pytest.mark.anyio
async def test_m_shows_the_summary_sheet_at_80_columns(book: ResultsBook) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        summary = pilot.app.screen.query_one("#summary")
        assert not summary.display
        await pilot.press("m")
        assert summary.display
        assert summary.region.width == 80  # the whole body: no room beside the table
        text = text_of(pilot, "#summary-text")
        assert "halopsa.clients" in text
        assert "https://acme.halopsa.com" in text
        assert "clients.csv" in text
        await pilot.press("m")
        assert not summary.display


@pytest.mark.anyio
async def test_summary_sits_beside_the_table_when_wide(book: ResultsBook) -> None:
    async with make_app(book).run_test(size=(140, 30)) as pilot:
        await loaded(pilot)
        summary = pilot.app.screen.query_one("#summary")
        table = pilot.app.screen.query_one("#rows")
        assert summary.display
        assert table.display
        assert summary.region.x >= table.region.right


@pytest.mark.anyio
async def test_retry_on_the_workbooks_connection_opens_the_plan(book: ResultsBook) -> None:
    retry = FakeRetry()
    app = make_app(book, retry, connections=("sandbox", "halo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await loaded(pilot)
        assert retry.calls == ["halo"]
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.plan.connection == "halo"


@pytest.mark.anyio
async def test_retry_asks_for_a_connection_when_the_workbooks_is_not_configured(
    book: ResultsBook,
) -> None:
    retry = FakeRetry()
    app = make_app(book, retry, connections=("sandbox", "halo-test"))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionPicker)
        assert "'halo', which is not configured here" in text_of(pilot, "#question")
        assert retry.calls == []
        assert app.screen.query_one(OptionList).has_focus
        await pilot.press("down", "enter")
        await loaded(pilot)
        assert retry.calls == ["halo-test"]
        assert isinstance(app.screen, PlanScreen)


@pytest.mark.anyio
async def test_escape_in_the_connection_picker_cancels_the_retry(book: ResultsBook) -> None:
    retry = FakeRetry()
    app = make_app(book, retry, connections=("sandbox",))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionPicker)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert retry.calls == []


@pytest.mark.anyio
async def test_nothing_to_retry_says_so_and_does_not_call_retry(tmp_path: Path) -> None:
    every_row_landed = [
        Outcome(row, Status.UPDATED if row != 4 else Status.CREATED, 200, "", None, AT)
        for row in (2, 4, 6, 7, 8)
    ]
    book = open_results(write_book(tmp_path, outcomes=every_row_landed))
    retry = FakeRetry()
    app = make_app(book, retry)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "failed 0" in text_of(pilot, "#counters")
        await pilot.press("r")
        await pilot.pause()
        assert retry.calls == []
        assert isinstance(app.screen, ResultsScreen)
        assert notes(app) == [
            "Nothing to retry in results.xlsx: no row failed, was skipped or has an unknown "
            "outcome."
        ]


@pytest.mark.anyio
async def test_retry_without_a_retry_function_says_it_is_not_available(
    book: ResultsBook,
) -> None:
    app = make_app(book, retry=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert notes(app) == ["Retry is not available here."]


@pytest.mark.anyio
async def test_a_retry_error_is_shown_not_raised(book: ResultsBook) -> None:
    retry = FakeRetry(ConfigError("rowpush.toml: connection 'halo' has no client_secret."))
    app = make_app(book, retry)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert retry.calls == ["halo"]
        assert isinstance(app.screen, ResultsScreen)
        assert notes(app) == ["rowpush.toml: connection 'halo' has no client_secret."]


@pytest.mark.anyio
async def test_q_quits(book: ResultsBook) -> None:
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.anyio
async def test_thousands_of_rows_load_in_batches_filter_and_scroll(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    statuses = [Status.CREATED, Status.UPDATED, Status.FAILED]
    rows = (
        [f"c{i}", i + 2, statuses[i % 3].value, 400 if i % 3 == 2 else 200, f"m{i}", str(i), ""]
        for i in range(4_500)
    )
    write_table(
        path,
        ["code", "_row", "_status", "_http_status", "_message", "_remote_id", "_at"],
        rows,
        sheet_title="Results",
        meta={"kind": "results", "target": "m3ter.meters", "connection": "m3ter"},
    )
    async with make_app(open_results(path)).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert table_rows(pilot)[-1] == "4501"
        counters = text_of(pilot, "#counters")
        # 4-digit counts do not fit beside the full words at 80 columns: short ones, one line
        assert counters.startswith("all 4500 cre 1500 upd 1500 unch 0 fail 1500")
        assert counters.endswith("unk 0")
        await pilot.press("f")
        assert len(table_rows(pilot)) == 1_500
        assert text_of(pilot, "#detail").startswith("Row 4 · failed · HTTP 400")
        await pilot.press("end")
        assert text_of(pilot, "#detail").startswith("Row 4501 · failed · HTTP 400")
        last = pilot.app.screen.query_one("#rows", RowTable).scrollable_content_region.height
        assert screen_line(pilot, last - 1).startswith(" 4501 ")  # scrolled to the bottom
        await pilot.press("pageup")
        # a page (11 rows: the counters take one line, not two) up
        assert text_of(pilot, "#detail").startswith("Row 4468 · failed")


def test_detail_lines_show_the_outcome_then_each_input_column() -> None:
    result = ResultRow(
        row=7,
        status=Status.SKIPPED,
        http_status=None,
        message="not sent",
        remote_id=None,
        at=None,
        values={"id": "18", "name": "", "notes": "two\nlines"},
    )
    assert detail_lines(result) == [
        "Row 7 · skipped",
        "Message: not sent",
        "Remote id: (none)",
        "At: (not sent)",
        "",
        "id: 18",
        "name: (blank)",
        "notes: two ⏎ lines",
    ]


def test_summary_lines_align_fields_and_keep_blank_rows() -> None:
    assert summary_lines([("Target", "x"), ("", ""), ("rowpush version", "1")]) == [
        "Target           x",
        "",
        "rowpush version  1",
    ]


def test_results_screen_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    """A reviewer should see: the header "Results in results.xlsx → halopsa.clients on
    'halo'" with "7 rows" at its right; the counters "all 7" (reversed: the active filter)
    then created/updated/unchanged/failed/invalid/skipped/unknown 1 each, coloured by status,
    all on one line, each with its filter key underlined in its word (the k of unknown);
    a table (bold header, zebra stripes) of rows 2-8 with remote ids 12, 14, 901, statuses
    coloured (green created, yellow updated, grey unchanged, red failed and invalid, purple
    skipped and unknown), HTTP codes and messages filling the width, row 6's cut with "…";
    the cursor (blue bar) on the failed row 6, whose detail pane shows "Row 6 · failed ·
    HTTP 400", the whole message with its [item_tax_code] wrapped, remote id (none), the
    time, then id: 16 and name: Tax [Co] (phone is below: the pane scrolls); and the footer
    "a c u n f i s k Filter  m Summary  r Retry failed  q Quit"."""
    book = open_results(write_book(tmp_path))
    app = make_app(book, FakeRetry())
    assert snap_compare(
        app, terminal_size=(80, 24), press=["down", "down", "down", "down"], run_before=loaded
    )


@pytest.mark.anyio
async def test_question_mark_explains_every_filter_key_k_too(book: ResultsBook) -> None:
    async with make_app(book).run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        keys = dict(pilot.app.screen.keys)
        assert "unknown" in keys["k"]
        assert "failed" in keys["f i s"]
