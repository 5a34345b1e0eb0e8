"""The TUI applying for real against the sandbox: a marked subset, and a cancel mid-apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import applied_ids, results_rows, shifted_tax_codes
from textual.pilot import Pilot

from rowpush.config import load_config
from rowpush.engine.prepare import prepare
from rowpush.sandbox.server import SandboxServer
from rowpush.tui.app import build_app
from rowpush.tui.apply_screen import ApplyScreen
from rowpush.tui.sources import RunApplier, apply_plan


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def planned(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def apply_rows_2_and_4(sheet: Path, target: str, connection: str, results: Path) -> str:
    """Plan `sheet` in the TUI, mark rows 2 and 4, apply the subset; the done line."""
    source = apply_plan(
        prepare(sheet, target=target), load_config().connection(connection), results
    )
    assert isinstance(source.applier, RunApplier)
    try:
        async with build_app(source).run_test(size=(80, 24)) as pilot:
            await planned(pilot)
            await pilot.press("space", "down", "space")  # rows 2 and 4
            await pilot.press("A", "s")
            await planned(pilot)
            assert isinstance(pilot.app.screen, ApplyScreen)
            return str(pilot.app.screen.query_one("#done").render())
    finally:
        source.applier.run.close()


@pytest.mark.anyio
async def test_only_the_marked_rows_are_sent_and_the_others_are_skipped(
    workdir: Path, sandbox: SandboxServer
) -> None:
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 6)
    done = await apply_rows_2_and_4(sheet, "halopsa.clients", "halopsa", workdir / "r.xlsx")
    assert "Done: 2 updated, 4 skipped" in done
    assert applied_ids(sandbox) == [ids[0], ids[2]]
    statuses = [r["_status"] for r in results_rows(workdir / "r.xlsx")]
    assert statuses == ["updated", "skipped", "updated", "skipped", "skipped", "skipped"]
    assert not (workdir / "r.xlsx.journal").exists()  # every row has its outcome


@pytest.mark.anyio
@pytest.mark.sandbox_options(latency_ms=100)
async def test_cancel_mid_apply_records_every_row_and_sends_nothing_new(
    workdir: Path, sandbox: SandboxServer
) -> None:
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 30)
    source = apply_plan(
        prepare(sheet, target="halopsa.clients"),
        load_config().connection("halopsa"),
        workdir / "r.xlsx",
        batch_size=1,
        concurrency=1,
    )
    assert isinstance(source.applier, RunApplier)
    try:
        async with build_app(source).run_test(size=(80, 24)) as pilot:
            await planned(pilot)
            await pilot.press("A", "y")
            while len(applied_ids(sandbox)) < 3:
                await pilot.pause(0.05)
            await pilot.press("escape")
            await planned(pilot)
            done = str(pilot.app.screen.query_one("#done").render())
            assert done.startswith("Cancelled:")
    finally:
        source.applier.run.close()
    landed = applied_ids(sandbox)
    assert 3 <= len(landed) < len(ids)
    rows = results_rows(workdir / "r.xlsx")
    assert len(rows) == len(ids)
    updated = [r["id"] for r in rows if r["_status"] == "updated"]
    assert updated == landed  # what the workbook claims is exactly what happened
    assert {r["_status"] for r in rows} == {"updated", "skipped"}


@pytest.mark.anyio
async def test_measurements_marked_in_the_plan_are_the_only_ones_ingested(
    workdir: Path, sandbox: SandboxServer
) -> None:
    # measurements are journaled a batch to a row: a subset turns the batches back into
    # rows, and only the marked ones go
    sheet = workdir / "usage.csv"
    lines = ["meter,account,ts,measure.requests"]
    lines += [f"api_calls,ACME-001,2026-01-02 10:{n:02d}:00,{n + 1}" for n in range(6)]
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = await apply_rows_2_and_4(sheet, "m3ter.measurements", "m3ter", workdir / "r.xlsx")
    assert "Done: 2 created, 4 skipped" in done
    stored = sandbox.state.m3ter.measurements
    assert sorted(m["measure"]["requests"] for m in stored) == [1, 3]
    results = results_rows(workdir / "r.xlsx")
    statuses = [r["_status"] for r in results]
    assert statuses == ["created", "skipped", "created", "skipped", "skipped", "skipped"]
    uids = {m["uid"] for m in stored}
    assert [bool(r["_remote_id"]) for r in results] == [True, False, True, False, False, False]
    assert {r["_remote_id"] for r in results if r["_remote_id"]} == uids
