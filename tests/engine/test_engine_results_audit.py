"""The results workbook as an audit: old values (`_before`), a run's figures in Summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from rowpush.engine.journal import Journal
from rowpush.engine.results_reader import open_results
from rowpush.engine.results_writer import RunInfo, Verdicts, file_sha256, write_results
from rowpush.model import Action, Change, Outcome, Status
from rowpush.sheets import write_table
from rowpush.sheets.reader import open_sheet

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _run(tmp_path: Path, verdicts: Verdicts | None = None) -> Path:
    source = tmp_path / "in.csv"
    source.write_text("id,item_tax_code,name\n12,2,Acme\n14,1,\n,3,Café\n", encoding="utf-8")
    journal = Journal(tmp_path / "r.xlsx.journal")
    journal.add_changes(
        [
            Change(2, Action.UPDATE, 12, {"item_tax_code": (1, 2), "name": ("Café", "Acme")}),
            Change(3, Action.UNCHANGED, 14),
            Change(4, Action.CREATE, None, {"name": (None, "Café"), "item_tax_code": (None, 3)}),
        ]
    )
    journal.record(
        [
            Outcome(2, Status.UPDATED, 200, "", None, AT),
            Outcome(4, Status.CREATED, 201, "", "9", AT),
        ]
    )
    info = RunInfo(
        target="halopsa.clients",
        connection="halo",
        base_url="https://acme.halopsa.com",
        input_file=source,
        input_sha256=file_sha256(source),
        sheet=None,
        started=AT,
        finished=AT + timedelta(seconds=3725),
        stats={"requests": 7, "retries": 2, "throttled": 1},
    )
    out = tmp_path / "results.xlsx"
    write_results(out, open_sheet(source), journal, info, verdicts=verdicts)
    journal.close()
    return out


def test_an_update_row_says_the_old_value_of_each_field_it_changed(tmp_path: Path) -> None:
    out = _run(tmp_path)
    ws = load_workbook(out)["Results"]
    head = [c.value for c in ws[1]]
    assert head[-1] == "_before"
    before = [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert before == ['{"item_tax_code": 1, "name": "Café"}', None, None]
    rows = list(open_results(out).rows())
    assert rows[0].before == {"item_tax_code": 1, "name": "Café"}
    assert [r.before for r in rows[1:]] == [None, None]
    assert open_results(out).headers == ["id", "item_tax_code", "name"]


def test_a_results_workbook_older_than_before_still_reads(tmp_path: Path) -> None:
    old = tmp_path / "old.xlsx"
    write_table(
        old,
        ["id", "_row", "_status", "_http_status", "_message", "_remote_id", "_at"],
        [[12, 2, "updated", 200, "", "12", None]],
        sheet_title="Results",
        meta={"kind": "results", "target": "halopsa.clients", "connection": "halo"},
    )
    (row,) = open_results(old).rows()
    assert (row.status, row.before, row.verify) == (Status.UPDATED, None, None)


def test_the_summary_says_how_long_and_how_many_requests_retries_and_pauses(
    tmp_path: Path,
) -> None:
    out = _run(tmp_path)
    summary = dict(open_results(out).summary())
    assert summary["Duration"] == "1:02:05"
    assert summary["Requests sent"] == "7"
    assert summary["Retries"] == "2"
    assert summary["Throttle pauses"] == "1"
    assert summary["Gave up"] == "0"
    assert summary["rowpush version"]


def test_a_verified_run_says_per_changed_row_whether_it_holds(tmp_path: Path) -> None:
    verdicts = Verdicts()
    verdicts.problems[4] = "gone"
    out = _run(tmp_path, verdicts)
    assert [r.verify for r in open_results(out).rows()] == ["holds", None, "gone"]


def test_figures_sum_up_the_run_in_one_line(tmp_path: Path) -> None:
    figures = open_results(_run(tmp_path)).figures()
    assert figures.startswith("took 1:02:05, 7 requests sent, 2 retries, 1 throttle pauses")
