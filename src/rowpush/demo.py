"""`rowpush demo`: the whole flow against the in-process sandbox, end to end.

Starts the sandbox on a free port, exports its HaloPSA clients, changes the item
tax code of a subset with openpyxl (as a person would in Excel), plans, applies,
and writes `rowpush-demo-results.xlsx` in the given directory.
"""

from __future__ import annotations

import asyncio
import tempfile
import tomllib
from pathlib import Path

from openpyxl import load_workbook

from rowpush.config import parse_config
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.export import export_target
from rowpush.engine.verbs import ApplyReport, apply_file, prepare
from rowpush.model import Action, Change
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config

__all__ = ["DEMO_RESULTS", "edit_tax_codes", "run_demo"]

DEMO_RESULTS = "rowpush-demo-results.xlsx"
TARGET = "halopsa.clients"
EDITS = 25
NEW_TAX_CODE = 2
# Columns HaloPSA's list answers carry, so the export takes a few paged requests.
DEMO_COLUMNS = ["id", "name", "toplevel_id", "inactive", "item_tax_code", "service_tax_code"]


def edit_tax_codes(path: Path, *, count: int = EDITS, new_code: int = NEW_TAX_CODE) -> list[int]:
    """Set item_tax_code to `new_code` on the first `count` active clients that differ.

    Returns the ids of the edited clients.
    """
    workbook = load_workbook(path)
    sheet = workbook[TARGET]
    headers = [cell.value for cell in sheet[1]]
    col_id = headers.index("id") + 1
    col_tax = headers.index("item_tax_code") + 1
    col_inactive = headers.index("inactive") + 1
    edited: list[int] = []
    for row in range(2, sheet.max_row + 1):
        if len(edited) >= count:
            break
        if sheet.cell(row, col_inactive).value is True:
            continue
        tax = sheet.cell(row, col_tax)
        if tax.value != new_code:
            tax.value = new_code
            edited.append(int(sheet.cell(row, col_id).value))  # type: ignore[arg-type]
    workbook.save(path)
    return edited


class _DemoCallbacks(Callbacks):
    def __init__(self) -> None:
        self.shown = 0

    def planned(self, change: Change) -> None:
        if change.action is Action.UPDATE and self.shown < 3:
            self.shown += 1
            diffs = ", ".join(f"{k}: {o} → {n}" for k, (o, n) in change.fields.items())
            print(f"    row {change.row}: {change.label} ({diffs})")

    def confirm(self, counts: dict[str, int]) -> bool:
        print(
            f"  plan: {counts['update']} to update, {counts['create']} to create, "
            f"{counts['unchanged']} unchanged, {counts['invalid']} invalid"
        )
        return True


def run_demo(directory: Path) -> int:
    """Run the demo; returns the exit code."""
    options = SandboxOptions()
    with SandboxServer(options) as server, tempfile.TemporaryDirectory() as tmp:
        print(f"rowpush demo: sandbox running at {server.url}")
        config = parse_config(
            tomllib.loads(render_config(server.url, options)), source="the demo sandbox"
        )
        conn = config.connection("halopsa")
        # The sandbox has no rate limit on; go faster than Halo's real default.
        conn = conn.with_settings(rate="50/s")
        sheet = Path(tmp) / f"{TARGET}.xlsx"
        count = asyncio.run(export_target(TARGET, conn, sheet, columns=DEMO_COLUMNS))
        print(f"  exported {count} clients to {sheet.name}")
        edited = edit_tax_codes(sheet)
        print(f"  edited item_tax_code → {NEW_TAX_CODE} on {len(edited)} clients")
        results = directory / DEMO_RESULTS
        report = asyncio.run(
            apply_file(prepare(sheet), conn, results=results, callbacks=_DemoCallbacks())
        )
        return _summarise(report)


def _summarise(report: ApplyReport) -> int:
    c = report.counts
    print(
        f"  applied: {c.get('updated', 0)} updated, {c.get('created', 0)} created, "
        f"{c.get('unchanged', 0)} unchanged, {c.get('failed', 0)} failed"
    )
    print(f"Results: {report.results}")
    return 0 if report.ok else 1
