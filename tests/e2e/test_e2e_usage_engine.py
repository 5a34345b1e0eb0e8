"""Usage Engine against the sandbox over real HTTP: a meter type created by name then
PATCHed with only its changed fields (PUT, the fallback, sends it whole), a change the API
does not allow refused by plan, and a meter created under a meter type named by name."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer
from rowpush.sandbox.usage_engine.options import UsageEngineOptions


@pytest.fixture
def fast(workdir: Path) -> Path:
    """The working folder: `workdir` lifts every rate (usage-engine's own is 5 requests/s)."""
    return workdir


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _apply(rowpush: Any, sheet: Path, target: str, results: Path) -> list[dict[str, Any]]:
    args = ("apply", str(sheet), "-t", target, "-c", "usage-engine", "--yes")
    done = rowpush(*args, "--results", str(results))
    assert done.code == 0, done.err + done.out
    rows = list(load_workbook(results)["Results"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _summary(rowpush: Any, sheet: Path, target: str) -> dict[str, int]:
    result = rowpush("plan", str(sheet), "-t", target, "-c", "usage-engine", "--json")
    assert result.code in (0, 2), result.err
    summary: dict[str, int] = json.loads(result.out)["summary"]
    return summary


METER_TYPE = {
    "name": "Scans-E2E",
    "description": "Pages scanned",
    "unit": "pages",
    "aggregation": "sum",
    "resetSchedule": "0 0 1 * *",
    "timezone": "Etc/UTC",
}


def test_a_meter_type_is_created_by_name_then_patched_in_place(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    target = "usage-engine.meter-types"
    sheet = _csv(fast / "types.csv", [METER_TYPE])
    (created,) = _apply(rowpush, sheet, target, fast / "r1.xlsx")
    assert created["_status"] == "created"
    stored = sandbox.state.usage_engine.meter_types[created["_remote_id"]]
    assert stored["aggregation"] == {"type": "sum"}
    assert stored["resetSchedule"]["day"] == "1"
    assert _summary(rowpush, sheet, target)["unchanged"] == 1

    edited = _csv(fast / "edit.csv", [{**METER_TYPE, "unit": "sheets", "category": "Scan"}])
    sandbox.state.requests.clear()
    (updated,) = _apply(rowpush, edited, target, fast / "r2.xlsx")
    assert (updated["_status"], updated["_remote_id"]) == ("updated", created["_remote_id"])
    (patch,) = [r for r in sandbox.state.requests if r.method in ("PATCH", "PUT")]
    assert patch.method == "PATCH"
    assert patch.body == {"unit": "sheets", "category": "Scan"}  # the changed fields alone
    assert patch.status == 200
    stored = sandbox.state.usage_engine.meter_types[created["_remote_id"]]
    assert (stored["unit"], stored["category"], stored["description"]) == (
        "sheets",
        "Scan",
        "Pages scanned",
    )
    assert _summary(rowpush, edited, target)["unchanged"] == 1


def test_a_change_the_api_does_not_allow_is_refused_by_plan_before_anything_is_sent(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    target = "usage-engine.meter-types"
    _apply(rowpush, _csv(fast / "types.csv", [METER_TYPE]), target, fast / "r1.xlsx")
    edited = _csv(fast / "edit.csv", [{**METER_TYPE, "aggregation": "increment"}])
    planned = rowpush("plan", str(edited), "-t", target, "-c", "usage-engine", "--json")
    assert planned.code == 2, planned.err
    (row,) = json.loads(planned.out)["rows"]
    assert row["status"] == "invalid"
    (error,) = row["errors"]
    assert (error["column"], error["header"]) == ("D", "aggregation")
    assert error["message"].startswith(
        "edit.csv: row 2, column D (aggregation): aggregation cannot be changed through the "
        "API (it is 'sum')"
    )
    sandbox.state.requests.clear()
    refused = rowpush("apply", str(edited), "-t", target, "-c", "usage-engine", "--yes")
    assert refused.code == 2
    assert "Nothing was sent: 1 row(s) are invalid." in refused.err
    assert "2    D       aggregation  increment  aggregation cannot be changed" in refused.err
    assert not [r for r in sandbox.state.requests if r.method in ("PATCH", "PUT")]


@pytest.mark.sandbox_options(apis={"usage-engine": UsageEngineOptions(update_methods=("PUT",))})
def test_put_the_fallback_sends_the_whole_record_and_the_sandbox_takes_it(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    config = fast / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('api = "usage-engine"', 'api = "usage-engine"\nupdate_method = "PUT"')
    )
    target = "usage-engine.meter-types"
    (created,) = _apply(rowpush, _csv(fast / "t.csv", [METER_TYPE]), target, fast / "r1.xlsx")
    edited = _csv(fast / "edit.csv", [{**METER_TYPE, "externalRef": "SCAN-1"}])
    sandbox.state.requests.clear()
    (updated,) = _apply(rowpush, edited, target, fast / "r2.xlsx")
    assert updated["_status"] == "updated"
    (put,) = [r for r in sandbox.state.requests if r.method in ("PATCH", "PUT")]
    assert put.method == "PUT"
    assert put.body["name"] == "Scans-E2E"  # whole record, uneditable fields unchanged
    assert put.body["externalRef"] == "SCAN-1"
    assert sandbox.state.usage_engine.meter_types[created["_remote_id"]]["externalRef"] == "SCAN-1"


def test_a_meter_is_created_under_a_meter_type_named_by_name(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    exported = fast / "types.xlsx"
    result = rowpush(
        "export", "usage-engine.meter-types", "-c", "usage-engine", "-o", str(exported)
    )
    assert result.code == 0, result.err
    _, first, *_ = load_workbook(exported).worksheets[0].iter_rows(values_only=True)
    type_id, type_name = first[0], first[1]
    meter = {"meterType": str(type_name), "meterKey": "key-e2e", "userId": "u-e2e"}
    sheet = _csv(fast / "meters.csv", [meter])
    (created,) = _apply(rowpush, sheet, "usage-engine.meters", fast / "r1.xlsx")
    assert created["_status"] == "created"
    stored = sandbox.state.usage_engine.meters[created["_remote_id"]]
    assert (stored["meterTypeId"], stored["meterKey"], stored["userId"]) == (
        type_id,
        "key-e2e",
        "u-e2e",
    )
    by_id = _csv(fast / "by_id.csv", [{**meter, "meterType": "", "meterTypeId": str(type_id)}])
    assert _summary(rowpush, by_id, "usage-engine.meters")["unchanged"] == 1
