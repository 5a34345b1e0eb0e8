"""An unfinished apply continues where it stopped; retry sends only what did not go."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from e2e_sheets import APPLY_CSV, applied_ids, results_rows, shifted_tax_codes
from openpyxl import load_workbook

from rowpush.config import load_config
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.verbs import ApplyReport, apply_file, prepare
from rowpush.model import Outcome
from rowpush.sandbox.halopsa.seed import TAX_CODES
from rowpush.sandbox.server import SandboxServer


class StopAfterFirstBatch(Callbacks):
    def __init__(self) -> None:
        self.stop = asyncio.Event()

    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        self.stop.set()


def stopped_run(sheet: Path, results: Path) -> ApplyReport:
    """An apply of `sheet` stopped after its first batch: its journal is left behind."""
    cb = StopAfterFirstBatch()
    prep = prepare(sheet, target="halopsa.clients")
    conn = load_config().connection("halopsa")
    return asyncio.run(
        apply_file(
            prep, conn, results=results, callbacks=cb, batch_size=2, concurrency=1, stop=cb.stop
        )
    )


def summary_of(path: Path) -> dict[object, object]:
    return dict(load_workbook(path)["Summary"].iter_rows(values_only=True))


def test_running_the_same_apply_again_continues_and_sends_nothing_twice(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 10)
    first = stopped_run(sheet, workdir / "c-results-1.xlsx")
    assert first.counts["updated"] == 2
    assert first.counts["skipped"] == 8
    assert (workdir / "c-results-1.xlsx.journal").exists()

    result = rowpush(*APPLY_CSV, str(sheet))
    assert result.code == 0, result.err
    assert "Found an unfinished run of c.csv" in result.err
    assert "2 row(s) done, 8 to go. Continuing it" in result.err
    assert applied_ids(sandbox) == ids  # each once: the first two were not resent
    rows = results_rows(workdir / "c-results-1.xlsx")
    assert [r["_status"] for r in rows] == ["updated"] * 10
    assert not (workdir / "c-results-1.xlsx.journal").exists()


def test_results_rebuild_writes_the_workbook_of_an_unfinished_run(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 6)
    stopped_run(sheet, workdir / "r.xlsx")
    (workdir / "r.xlsx").unlink()  # as if the run had died before writing it

    result = rowpush("results", "rebuild", "r.xlsx.journal")
    assert result.code == 0, result.err
    assert "r.xlsx: 2 updated, 4 skipped." in result.out
    statuses = [r["_status"] for r in results_rows(workdir / "r.xlsx")]
    assert statuses == ["updated", "updated", "skipped", "skipped", "skipped", "skipped"]


def test_resume_refuses_a_sheet_changed_since_the_run(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 6)
    stopped_run(sheet, workdir / "r.xlsx")
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    result = rowpush(*APPLY_CSV, str(sheet), "--resume", "--results", "r.xlsx")
    assert result.code == 2
    assert "Cannot resume the run in r.xlsx.journal: c.csv changed since the run started" in (
        result.err
    )
    assert "Traceback" not in result.err


def test_resume_without_an_unfinished_run_says_there_is_none(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    result = rowpush(*APPLY_CSV, str(sheet), "--resume")
    assert result.code == 2
    assert "There is no unfinished run of c.csv on 'halopsa'" in result.err


def test_retry_sends_only_the_failed_rows_and_links_to_the_first_results(
    workdir: Path, sandbox: SandboxServer, rowpush, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    clients = sorted(sandbox.state.halopsa.clients)[:6]
    lines = [f"{i},{9 if n >= 4 else 2}" for n, i in enumerate(clients)]  # 9: no such code yet
    sheet = workdir / "c.csv"
    sheet.write_text("id,item_tax_code\n" + "\n".join(lines) + "\n", encoding="utf-8")

    first = rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx", "--batch-size", "1")
    assert first.code == 1
    assert [r["_status"] for r in results_rows(workdir / "r.xlsx")].count("failed") == 2

    monkeypatch.setitem(TAX_CODES, 9, "Reduced 9%")  # someone adds the tax code in Halo
    before = len(applied_ids(sandbox))
    retry = rowpush("retry", "r.xlsx", "--yes", "--results", "r2.xlsx")
    assert retry.code == 0, retry.err
    rows = results_rows(workdir / "r2.xlsx")
    assert [(r["_row"], r["id"], r["_status"]) for r in rows] == [
        (6, clients[4], "updated"),
        (7, clients[5], "updated"),
    ]
    assert summary_of(workdir / "r2.xlsx")["Retry of"] == "r.xlsx"
    assert len(applied_ids(sandbox)) - before == 2  # only the two failed rows went again
    assert sandbox.state.halopsa.clients[clients[5]]["item_tax_code"] == 9

    shown = rowpush("show", "r.xlsx")
    assert shown.code == 0
    assert "4 updated, 2 failed" in shown.out
    assert "Tax code" in shown.out
