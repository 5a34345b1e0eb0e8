"""The contract every target keeps, run against the sandbox: what export writes, plan reads
back as unchanged (reading, writing and diffing agree)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.targets.registry import all_targets

WRITABLE = [name for name, t in all_targets().items() if not t.export_only and t.key]


@pytest.mark.sandbox_options(halo_clients=60)
@pytest.mark.parametrize("target", WRITABLE)
def test_a_plan_of_an_unedited_export_is_all_unchanged(
    target: str, workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / f"{target}.xlsx"
    exported = rowpush("export", target, "-c", all_targets()[target].api.name, "-o", str(sheet))
    assert exported.code == 0, exported.err
    header = [c.value for c in load_workbook(sheet).worksheets[0][1]]
    declared = all_targets()[target].headers()
    assert header[: len(declared)] == declared
    assert all(all_targets()[target].extra_field(h) for h in header[len(declared) :])
    planned = rowpush("plan", str(sheet), "-c", all_targets()[target].api.name, "--json")
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    rows = len(plan["rows"])
    assert rows > 0, f"the sandbox has no {target} to export"
    assert plan["summary"] == {"create": 0, "update": 0, "unchanged": rows, "invalid": 0}
