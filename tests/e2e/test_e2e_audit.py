"""The results workbook as an audit, end to end: old values, the run's figures, `show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e_sheets import APPLY_CSV, results_rows, shifted_tax_codes
from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer
from rowpush.sheets import write_table


def test_results_keep_old_values_and_show_prints_the_runs_figures(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 3)
    old = {i: clients[i]["item_tax_code"] for i in ids}
    applied = rowpush(*APPLY_CSV, str(sheet), "--results", "out.xlsx")
    assert applied.code == 0, applied.err
    rows = results_rows(workdir / "out.xlsx")
    assert [json.loads(r["_before"]) for r in rows] == [{"item_tax_code": old[i]} for i in ids]
    shown = rowpush("show", "out.xlsx", "--text")
    assert shown.code == 0, shown.err
    assert "3 updated" in shown.out
    line = next(x for x in shown.out.splitlines() if x.startswith("took "))
    requests = int(line.split(", ")[1].split()[0])
    assert requests >= 2  # at least a token, a read and a write


def test_verify_holds_after_a_clean_run_and_names_a_change_behind_its_back(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 3)
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "out.xlsx").code == 0
    clean = rowpush("verify", "out.xlsx")
    assert clean.code == 0, clean.err
    assert "3 holds, 0 changed since, 0 gone" in clean.out
    clients[ids[1]]["item_tax_code"] = 9  # behind rowpush's back
    moved = rowpush("verify", "out.xlsx", "-c", "halopsa")
    assert moved.code == 1
    line = next(x for x in moved.out.splitlines() if x.startswith("3 "))  # row 3: ids[1]
    assert str(ids[1]) in line
    assert "changed since: item_tax_code is now 9" in line
    assert "2 holds, 1 changed since" in moved.out
    del clients[ids[2]]  # deleted behind its back
    gone = rowpush("verify", "out.xlsx")
    assert gone.code == 1
    assert f"gone: no record has id {ids[2]}" in gone.out


def test_apply_verify_records_what_it_found_in_the_results(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "shift.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    applied = rowpush(*APPLY_CSV, str(sheet), "--results", "out.xlsx", "--verify")
    assert applied.code == 0, applied.err
    assert "Verified: 2 holds, 0 changed since, 0 gone" in applied.out
    assert [r["_verify"] for r in results_rows(workdir / "out.xlsx")] == ["holds", "holds"]


def test_verify_and_revert_refuse_measurements_which_have_no_key(
    workdir: Path, rowpush: Any
) -> None:
    book = workdir / "m.xlsx"
    write_table(
        book,
        ["meter", "_row", "_status", "_http_status", "_message", "_remote_id", "_at"],
        [["m", 2, "created", 200, "", "u1", None]],
        sheet_title="Results",
        meta={"kind": "results", "target": "m3ter.measurements", "connection": "m3ter"},
    )
    verified = rowpush("verify", str(book))
    assert verified.code == 2
    assert "verify does not apply to m3ter.measurements" in verified.err
    reverted = rowpush("revert", str(book), "--yes")
    assert reverted.code == 2
    assert "cannot be un-ingested" in reverted.err
    sheet = workdir / "m.csv"
    sheet.write_text("meter,account,ts\nm,a,2026-01-01T00:00:00Z\n", encoding="utf-8")
    applied = rowpush(
        "apply", str(sheet), "-t", "m3ter.measurements", "-c", "m3ter", "--yes", "--verify"
    )
    assert applied.code == 2
    assert "--verify does not apply to m3ter.measurements" in applied.err


def test_revert_sets_old_values_back_and_keeps_a_field_changed_since(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 3)
    old = {i: clients[i]["item_tax_code"] for i in ids}
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "out.xlsx").code == 0
    clients[ids[2]]["item_tax_code"] = 9  # changed again behind rowpush's back
    reverted = rowpush("revert", "out.xlsx", "--yes", "--results", "back.xlsx")
    assert reverted.code == 1, reverted.err  # one row not reverted
    assert "changed since the run (now 9" in reverted.err
    assert "Applied: 0 created, 2 updated" in reverted.out
    assert [clients[i]["item_tax_code"] for i in ids] == [old[ids[0]], old[ids[1]], 9]
    forced = rowpush("revert", "out.xlsx", "--yes", "--force", "--results", "forced.xlsx")
    assert forced.code == 0, forced.err
    assert [clients[i]["item_tax_code"] for i in ids] == [old[i] for i in ids]


def test_revert_retires_a_client_the_run_created(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "new.csv"
    sheet.write_text("id,name,item_tax_code\n,Brand New Ltd,2\n", encoding="utf-8")
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "out.xlsx").code == 0
    (created,) = results_rows(workdir / "out.xlsx")
    new_id = int(str(created["_remote_id"]))
    assert not sandbox.state.halopsa.clients[new_id].get("inactive")
    reverted = rowpush("revert", "out.xlsx", "--yes", "--results", "back.xlsx")
    assert reverted.code == 0, reverted.err
    assert sandbox.state.halopsa.clients[new_id]["inactive"] is True
    back_input = load_workbook(workdir / "back-input.xlsx").worksheets[0]
    assert [c.value for c in back_input[1]] == ["id", "name", "item_tax_code", "inactive"]
    assert [c.value for c in back_input[2]] == [str(new_id), None, None, "TRUE"]


def test_verify_reads_back_a_meter_spread_over_rows(workdir: Path, rowpush: Any) -> None:
    sample = Path(__file__).parents[2] / "samples" / "m3ter_meters_new_meter.csv"
    sheet = workdir / "meter.csv"
    sheet.write_bytes(sample.read_bytes())
    apply = ("apply", str(sheet), "-t", "m3ter.meters", "-c", "m3ter", "--yes")
    applied = rowpush(*apply, "--results", "out.xlsx", "--verify")
    assert applied.code == 0, applied.err
    rows = results_rows(workdir / "out.xlsx")
    verdicts = {(r["_status"], r["_verify"]) for r in rows}
    assert verdicts <= {("created", "holds"), ("updated", "holds"), ("unchanged", None)}, verdicts
    assert ("updated", "holds") in verdicts
    assert ("created", "holds") in verdicts
