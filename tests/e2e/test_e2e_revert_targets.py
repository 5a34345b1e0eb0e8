"""Revert's contract, for every writable target it can undo, against the sandbox: apply a
sheet, revert its results workbook, and an export equals the export taken before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.targets.registry import all_targets

#: The column each target's test edits, and how (a value the target accepts).
EDITS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "halopsa.clients": ("name", lambda v: f"{v} (moved)"),
    "halopsa.sites": ("name", lambda v: f"{v} (moved)"),
    "halopsa.users": ("surname", lambda v: f"{v}-moved"),
    "halopsa.assets": ("inventory_number", lambda v: f"{v}-9"),
    "m3ter.accounts": ("name", lambda v: f"{v} (moved)"),
    "usage-engine.meter-types": ("externalRef", lambda v: f"{v}-moved"),
    "usage-engine.meters": ("deleteOnReset", lambda v: not v),
}
REVERTIBLE = [
    name
    for name, t in all_targets().items()
    if not t.export_only and t.key and not t.not_revertible
]


def test_every_revertible_target_has_an_edit() -> None:
    assert sorted(EDITS) == sorted(REVERTIBLE)


def _table(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path).worksheets[0].iter_rows(values_only=True))


@pytest.mark.sandbox_options(halo_clients=20)
@pytest.mark.parametrize("target", REVERTIBLE)
def test_revert_of_an_apply_gives_back_the_export_from_before(
    target: str, workdir: Path, rowpush: Any
) -> None:
    conn = all_targets()[target].api.name
    before = workdir / "before.xlsx"
    assert rowpush("export", target, "-c", conn, "-o", str(before)).code == 0
    header, *rows = _table(before)
    column, edit = EDITS[target]
    at = header.index(column)
    chosen = [i for i, r in enumerate(rows) if r[at] not in (None, "")][:2]
    assert chosen, f"the sandbox has no {target} with a {column}"
    book = load_workbook(before)
    sheet = book.worksheets[0]
    for i in chosen:
        sheet.cell(row=i + 2, column=at + 1).value = edit(rows[i][at])
    for i in reversed([i for i in range(len(rows)) if i not in chosen]):
        sheet.delete_rows(i + 2)
    book.save(workdir / "edit.xlsx")

    applied = rowpush("apply", "edit.xlsx", "-c", conn, "--yes", "--results", "out.xlsx")
    assert applied.code == 0, applied.err
    assert f"{len(chosen)} updated" in applied.out
    verified = rowpush("verify", "out.xlsx")
    assert verified.code == 0, verified.err
    assert f"{len(chosen)} holds, 0 changed since, 0 gone" in verified.out
    reverted = rowpush("revert", "out.xlsx", "--yes", "--results", "back.xlsx")
    assert reverted.code == 0, reverted.err
    assert f"{len(chosen)} updated" in reverted.out
    after = workdir / "after.xlsx"
    assert rowpush("export", target, "-c", conn, "-o", str(after)).code == 0
    assert _table(after) == _table(before)
    undone = rowpush("verify", "out.xlsx")  # the run's changes no longer hold
    assert undone.code == 1
    assert f"0 holds, {len(chosen)} changed since" in undone.out
