"""The journal keeps the plan and each outcome; the results workbook is built from it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from rowpush.engine.journal import Journal
from rowpush.engine.prepare import prepare
from rowpush.engine.results_writer import (
    RunInfo,
    as_written,
    file_sha256,
    input_kinds,
    write_results,
)
from rowpush.model import Action, Change, Outcome, RowError, Status
from rowpush.sheets.reader import open_sheet

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _journal(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "r.xlsx.journal")
    journal.add_changes(
        [
            Change(2, Action.UPDATE, 12, {"item_tax_code": (1, 2)}, {"id": 12, "item_tax_code": 2}),
            Change(3, Action.UNCHANGED, 14),
            Change(4, Action.CREATE, None, {"name": (None, "New")}, {"name": "New"}, label="New"),
            Change(5, Action.INVALID, 99, errors=[RowError("row 5: bad", row=5, column="B")]),
            Change(6, Action.UPDATE, 16, {"notes": (None, "x")}, {"id": 16, "notes": "x"}),
            Change(7, Action.UPDATE, 18, {"notes": (None, "y")}, {"id": 18, "notes": "y"}),
        ]
    )
    return journal


def test_pending_changes_come_back_in_row_order_with_their_payloads(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    pending = list(journal.pending())
    assert [c.row for c in pending] == [2, 4, 6, 7]
    assert pending[0].payload == {"id": 12, "item_tax_code": 2}
    assert pending[0].wire == b'{"id":12,"item_tax_code":2}'  # stored as it is sent
    assert [c.fields for c in journal.changes() if c.row == 2] == [{"item_tax_code": (1, 2)}]
    assert journal.counts() == {"create": 1, "update": 3, "unchanged": 1, "invalid": 1}
    (invalid,) = [c for c in journal.changes() if c.action is Action.INVALID]
    assert invalid.errors[0].column == "B"


def test_outcomes_say_what_happened_and_what_never_went(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.mark_sending([2, 4, 6])
    journal.record(
        [
            Outcome(2, Status.UPDATED, 201, "", None, AT),
            Outcome(4, Status.CREATED, 201, "", "901", AT),
        ]
    )
    outcomes = {o.row: o for o in journal.outcomes()}
    assert outcomes[2].status is Status.UPDATED
    assert outcomes[2].remote_id == "12"  # an update's remote id is its key
    assert outcomes[4].remote_id == "901"
    assert outcomes[3].status is Status.UNCHANGED
    assert outcomes[5].status is Status.INVALID
    assert outcomes[5].message == "row 5: bad"
    assert outcomes[6].status is Status.UNKNOWN  # caught mid-request: it may have landed
    assert "outcome is unknown" in outcomes[6].message
    assert outcomes[7].status is Status.SKIPPED
    assert outcomes[7].message == "not sent"
    assert [c.row for c in journal.pending()] == [7]


def test_results_workbook_reads_back_with_every_input_column_and_a_summary(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        'id,item_tax_code,name\n12,2,=HYPERLINK("x")\n14,1,+44 113\n,3,New\n99,x,\n16,,00123\n'
        "18,,@home\n",
        encoding="utf-8",
    )
    journal = _journal(tmp_path)
    journal.record([Outcome(2, Status.UPDATED, 201, "", None, AT)])
    journal.record([Outcome(4, Status.FAILED, 400, "Tax code 3 does not exist.", None, AT)])
    info = RunInfo(
        target="halopsa.clients",
        connection="halo",
        base_url="https://acme.halopsa.com",
        input_file=source,
        input_sha256=file_sha256(source),
        sheet=None,
        started=AT,
        finished=AT,
    )
    out = tmp_path / "results.xlsx"
    counts = write_results(out, open_sheet(source), journal, info)
    assert counts["updated"] == 1
    assert counts["failed"] == 1
    assert counts["skipped"] == 2

    wb = load_workbook(out)
    ws = wb["Results"]
    head = [c.value for c in ws[1]]
    assert head == [
        "id",
        "item_tax_code",
        "name",
        "_row",
        "_status",
        "_http_status",
        "_message",
        "_remote_id",
        "_at",
        "_before",
    ]
    rows = list(ws.iter_rows(min_row=2))
    first = rows[0]
    assert first[0].value == 12  # numbers read as text are written as numbers again
    assert first[2].value == '=HYPERLINK("x")'
    assert first[2].data_type == "s"  # never a formula
    assert rows[1][2].value == "+44 113"
    assert rows[1][2].data_type == "s"
    assert rows[5][2].value == "@home"
    assert rows[5][2].data_type == "s"
    assert rows[4][2].value == "00123"  # leading zeros stay text
    assert [r[4].value for r in rows] == [
        "updated",
        "unchanged",
        "failed",
        "invalid",
        "skipped",
        "skipped",
    ]
    assert rows[2][6].value == "Tax code 3 does not exist."
    assert rows[2][5].value == 400
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Input SHA-256"] == file_sha256(source)
    assert summary["Base URL"] == "https://acme.halopsa.com"
    assert summary["total"] == 6
    assert summary["failed"] == 1


def test_as_written_keeps_text_that_is_not_plainly_a_number() -> None:
    assert as_written("12") == 12
    assert as_written("-5") == -5
    assert as_written("12.5") == 12.5
    assert as_written("00123") == "00123"
    assert as_written("12.50") == "12.50"
    assert as_written("1e5") == "1e5"
    assert as_written("TRUE") is True
    assert as_written("12345678901234567890") == "12345678901234567890"


def test_a_batch_marked_sending_is_exactly_its_rows_and_their_followers(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.mark_sending([2, 6])  # two runs of one row each, with 4 and 7 pending between
    assert journal.unsettled() == {2: Action.UPDATE, 6: Action.UPDATE}
    journal.mark_sending([4])
    assert set(journal.unsettled()) == {2, 4, 6}
    assert [c.row for c in journal.pending()] == [7]


def test_rows_that_follow_a_lead_share_its_state_and_outcome(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "r.xlsx.journal")
    journal.add_changes(
        [
            Change(2, Action.CREATE, "m1", {"name": (None, "M")}, {"code": "m1"}),
            Change(3, Action.CREATE, "m1", lead=2),
            Change(4, Action.CREATE, "m2", {"name": (None, "N")}, {"code": "m2"}),
            Change(5, Action.CREATE, "m2", lead=4),
        ]
    )
    assert [c.row for c in journal.pending()] == [2, 4]
    journal.mark_sending([2, 4])
    assert journal.unfinished() == 4
    journal.record([Outcome(2, Status.CREATED, 201, "", "id-1", AT)])
    by_row = {o.row: o for o in journal.outcomes()}
    assert by_row[3].status is Status.CREATED
    assert by_row[3].remote_id == "id-1"
    assert by_row[5].status is Status.UNKNOWN  # its lead was sent, no answer yet
    assert journal.unfinished() == 2


def test_results_type_input_columns_by_the_targets_columns(tmp_path: Path) -> None:
    """A text column stays text in the Text format (a phone of digits is no number), a
    date without a zone is a date cell, `_at` a UTC date cell, a number id a number."""
    source = tmp_path / "in.csv"
    source.write_text(
        "meter,account,ts,ets\napi_calls,0042,2026-01-31 23:00:00,2026-02-01T00:00:00+02:00\n",
        encoding="utf-8",
    )
    prep = prepare(source, target="m3ter.measurements")
    journal = Journal(tmp_path / "r.xlsx.journal")
    journal.add_changes([Change(2, Action.CREATE, None, {}, {"uid": "u"})])
    journal.record([Outcome(2, Status.CREATED, 202, "accepted", "1043", AT)])
    info = RunInfo("m3ter.measurements", "m", "u", source, "x", None, AT, AT)
    out = tmp_path / "results.xlsx"
    write_results(out, prep.sheet, journal, info, kinds=input_kinds(prep.target, prep.hmap))
    ws = load_workbook(out)["Results"]
    row = {h.value: c for h, c in zip(ws[1], ws[2], strict=True)}
    assert row["account"].value == "0042"
    assert row["account"].number_format == "@"
    assert row["ts"].value == datetime(2026, 1, 31, 23, 0)
    assert row["ets"].value == "2026-02-01T00:00:00+02:00"  # a zone: kept as typed
    assert row["_at"].value == datetime(2026, 11, 23, 12, 0)  # AT, in UTC
    assert row["_remote_id"].value == 1043
