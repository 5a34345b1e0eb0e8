"""Saved plans end to end: `plan --out`, a record changed behind rowpush's back, `apply
PLAN.rowplan` (stale rows named, the rest applied), `--refresh`, and the refusals."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import results_rows, shifted_tax_codes
from openpyxl import load_workbook

from rowpush.config import load_config
from rowpush.engine import verbs
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.prepare import prepare
from rowpush.sandbox.server import SandboxServer
from rowpush.tui.app import build_app
from rowpush.tui.apply_screen import ApplyScreen
from rowpush.tui.render import summary
from rowpush.tui.sources import RunApplier, apply_plan


def _export_with_two_edits(rowpush: Any, sandbox: SandboxServer, path: Path) -> list[int]:
    """Export the clients, move the first two to another item tax code; their ids."""
    exported = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(path))
    assert exported.code == 0, exported.err
    clients = sandbox.state.halopsa.clients
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    at = headers.index("item_tax_code")
    ids: list[int] = []
    for row in ws.iter_rows(min_row=2):
        if row[0].value is not None and len(ids) < 2:
            ids.append(int(row[0].value))
            row[at].value = (clients[ids[-1]]["item_tax_code"] or 0) % 4 + 1
    wb.save(path)
    return ids


def test_a_saved_plan_applies_exactly_and_a_record_moved_since_ends_stale(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "clients.xlsx"
    ids = _export_with_two_edits(rowpush, sandbox, sheet)
    old = {i: clients[i]["item_tax_code"] for i in ids}
    new = {i: old[i] % 4 + 1 if old[i] else 1 for i in ids}
    planned = rowpush("plan", str(sheet), "-c", "halopsa", "--out", "shift.rowplan")
    assert planned.code == 0, planned.err
    assert "Plan: 0 to create, 2 to update" in planned.out
    assert "Saved the plan to shift.rowplan" in planned.err
    moved = 9 if new[ids[1]] != 9 else 8
    clients[ids[1]]["item_tax_code"] = moved  # behind rowpush's back

    applied = rowpush("apply", "shift.rowplan", "--yes", "--results", "out.xlsx")
    assert applied.code == 1, applied.err
    assert "1 updated" in applied.out
    assert "1 stale" in applied.out
    assert "--refresh" in applied.err
    assert clients[ids[0]]["item_tax_code"] == new[ids[0]]
    assert clients[ids[1]]["item_tax_code"] == moved  # not overwritten
    rows = {r["id"]: r for r in results_rows(workdir / "out.xlsx") if r["_status"] != "unchanged"}
    assert rows[ids[0]]["_status"] == "updated"
    assert rows[ids[1]]["_status"] == "stale"
    assert (
        f"item_tax_code: planned {old[ids[1]]} → {new[ids[1]]}, live now {moved}"
        in rows[ids[1]]["_message"]
    )
    shown = rowpush("show", "out.xlsx", "--text")
    assert "1 stale" in shown.out
    summary = dict(load_workbook(workdir / "out.xlsx")["Summary"].iter_rows(values_only=True))
    assert str(summary["Saved plan"]).startswith("shift.rowplan (planned ")
    assert summary["stale"] == 1

    refreshed = rowpush("apply", "shift.rowplan", "--yes", "--refresh", "--results", "r.xlsx")
    assert refreshed.code == 0, refreshed.err
    assert "1 updated" in refreshed.out  # the moved one, re-planned; the other holds now
    assert [clients[i]["item_tax_code"] for i in ids] == [new[i] for i in ids]


def test_a_plan_whose_records_did_not_move_applies_every_row(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 3)
    wanted = [(clients[i]["item_tax_code"] or 0) % 4 + 1 for i in ids]
    args = ("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--out", "p.rowplan")
    assert rowpush(*args).code == 0
    applied = rowpush("apply", "p.rowplan", "--yes", "--results", "out.xlsx")
    assert applied.code == 0, applied.err
    assert "3 updated" in applied.out
    assert [clients[i]["item_tax_code"] for i in ids] == wanted


def test_a_plan_file_holds_no_secret_and_says_what_it_planned_against(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "shift.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    args = ("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--out", "p.rowplan")
    assert rowpush(*args).code == 0
    text = (workdir / "p.rowplan").read_text(encoding="utf-8")
    config = (workdir / "rowpush.toml").read_text(encoding="utf-8")
    halo = config[config.index("[connections.halopsa]") :]
    secret = re.search(r'client_secret = "([^"]+)"', halo)
    assert secret is not None
    assert secret.group(1) not in text
    header, *changes = (json.loads(line) for line in text.splitlines())
    assert header["target"] == "halopsa.clients"
    assert header["connection"] == "halopsa"
    assert header["base_url"] == sandbox.url + "/halopsa"
    assert len(header["sha256"]) == 64
    assert [c["action"] for c in changes] == ["update", "update"]
    assert all(list(c["fields"]) == ["item_tax_code"] and c["fingerprint"] for c in changes)


def test_a_plan_of_a_sheet_changed_since_is_refused(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 2)
    before = sandbox.state.halopsa.clients[ids[0]]["item_tax_code"]
    args = ("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--out", "p.rowplan")
    assert rowpush(*args).code == 0
    again = rowpush(*args)
    assert again.code == 2  # an existing plan is not replaced without --force
    assert "--force" in again.err
    other = rowpush("apply", "p.rowplan", "-c", "m3ter", "--yes")
    assert other.code == 2
    assert "planned on connection 'halopsa', not 'm3ter'" in other.err
    sheet.write_text(f"id,item_tax_code\n{ids[0]},{before % 4 + 2}\n", encoding="utf-8")
    applied = rowpush("apply", "p.rowplan", "--yes")
    assert applied.code == 2
    assert "shift.csv changed since the plan was saved" in applied.err
    assert "rowpush plan shift.csv -c halopsa --out p.rowplan" in applied.err
    assert sandbox.state.halopsa.clients[ids[0]]["item_tax_code"] == before  # nothing sent
    not_a_plan = workdir / "x.rowplan"
    not_a_plan.write_text("id,name\n", encoding="utf-8")
    assert "not a plan saved by rowpush" in rowpush("apply", str(not_a_plan), "--yes").err


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_tui_applies_a_saved_plan_and_shows_the_stale_row(
    workdir: Path, sandbox: SandboxServer
) -> None:
    """The same path as `apply PLAN.rowplan --tui`: the moved row reads `stale` in the plan
    table, and the run ends with it not sent."""
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 2)
    conn = load_config().connection("halopsa")
    saving = verbs.plan_file(
        prepare(sheet, target="halopsa.clients"), conn, out=workdir / "p.rowplan"
    )
    assert len([c async for c in saving.changes()]) == 2
    clients[ids[0]]["item_tax_code"] = 9
    prep, conn = verbs.open_plan(workdir / "p.rowplan")
    source = apply_plan(prep, conn, workdir / "r.xlsx")
    assert isinstance(source.applier, RunApplier)
    try:
        async with build_app(source).run_test(size=(80, 24)) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert "stale: item_tax_code: planned" in summary(pilot.app.screen.changes[0])
            await pilot.press("A", "y")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(pilot.app.screen, ApplyScreen)
            done = str(pilot.app.screen.query_one("#done").render())
            assert "Done: 1 updated, 1 stale" in done
    finally:
        source.applier.run.close()
    assert clients[ids[0]]["item_tax_code"] == 9
    assert [r["_status"] for r in results_rows(workdir / "r.xlsx")] == ["stale", "updated"]


def test_plan_json_with_out_keeps_stdout_json_and_apply_of_a_sheet_still_needs_c(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "shift.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    args = ("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--out", "p.rowplan")
    planned = rowpush(*args, "--json")
    assert planned.code == 0, planned.err
    assert json.loads(planned.out)["summary"]["update"] == 2
    assert (workdir / "p.rowplan").is_file()
    assert not (workdir / "p.rowplan.part").exists()
    with_tui = rowpush(*args, "--tui", "--force")
    assert with_tui.code == 2
    assert "--out does not go with --tui" in with_tui.err
    no_conn = rowpush("apply", str(sheet), "-t", "halopsa.clients", "--yes")
    assert no_conn.code == 2
    assert "needs a connection" in no_conn.err
    refresh = rowpush(
        "apply", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--yes", "--refresh"
    )
    assert refresh.code == 2
    assert "--refresh applies to a saved plan" in refresh.err


def test_retry_plans_the_stale_rows_anew(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "shift.csv"
    ids = shifted_tax_codes(sandbox, sheet, 2)
    wanted = [(clients[i]["item_tax_code"] or 0) % 4 + 1 for i in ids]
    args = ("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--out", "p.rowplan")
    assert rowpush(*args).code == 0
    clients[ids[1]]["item_tax_code"] = 9 if wanted[1] != 9 else 8
    assert rowpush("apply", "p.rowplan", "--yes", "--results", "out.xlsx").code == 1
    retried = rowpush("retry", "out.xlsx", "--yes", "--results", "again.xlsx")
    assert retried.code == 0, retried.err
    assert "1 updated" in retried.out
    assert [clients[i]["item_tax_code"] for i in ids] == wanted


def test_a_record_moved_while_the_apply_runs_is_held_back_by_the_batch_check(
    sandbox: SandboxServer, workdir: Path, rowpush: Any
) -> None:
    """The apply's start checks every row; a record that moves after that (here while
    the confirmation is asked) is caught by the re-read just before its batch goes."""
    clients = sandbox.state.halopsa.clients
    sheet = workdir / "clients.xlsx"
    ids = _export_with_two_edits(rowpush, sandbox, sheet)
    old = {i: clients[i]["item_tax_code"] for i in ids}
    new = {i: old[i] % 4 + 1 if old[i] else 1 for i in ids}
    assert rowpush("plan", str(sheet), "-c", "halopsa", "--out", "p.rowplan").code == 0
    moved = 9 if new[ids[1]] != 9 else 8

    class MovesOnConfirm(Callbacks):
        def confirm(self, counts: dict[str, int]) -> bool:
            assert counts["update"] == 2  # the start's check saw nothing move
            clients[ids[1]]["item_tax_code"] = moved  # behind rowpush's back, mid-apply
            return True

    prep, conn = verbs.open_plan(workdir / "p.rowplan")
    report = asyncio.run(
        verbs.apply_file(prep, conn, results=workdir / "out.xlsx", callbacks=MovesOnConfirm())
    )
    assert report.counts["updated"] == 1
    assert report.counts["stale"] == 1
    assert clients[ids[0]]["item_tax_code"] == new[ids[0]]
    assert clients[ids[1]]["item_tax_code"] == moved  # not overwritten
    rows = {r["id"]: r for r in results_rows(workdir / "out.xlsx") if r["_status"] == "stale"}
    message = rows[ids[1]]["_message"]
    assert message.startswith("changed since the apply began: item_tax_code: planned")
    assert f"live now {moved}" in message
