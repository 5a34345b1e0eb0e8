"""The results workbook as an audit, end to end: old values, the run's figures, `show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e_sheets import APPLY_CSV, results_rows, shifted_tax_codes

from rowpush.sandbox.server import SandboxServer


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
