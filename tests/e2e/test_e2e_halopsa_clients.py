"""The round trip through the CLI against the sandbox over real HTTP:
export → edit cells → plan shows exactly the edits → apply → results → plan unchanged."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import APPLY_CSV, applied_ids, shifted_tax_codes
from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer


def _edit(
    path: Path, edits: dict[int, dict[str, Any]], new_rows: list[dict[str, Any]] = ()
) -> None:  # type: ignore[assignment]
    """Edit an exported workbook as a person would: by id, by header."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value is None:
            continue
        for header, value in edits.get(int(row[0].value), {}).items():
            row[headers.index(header)].value = value
    for new in new_rows:
        ws.append([new.get(h) for h in headers])
    wb.save(path)


def _plan_json(rowpush: Any, path: Path) -> dict[str, Any]:
    result = rowpush("plan", str(path), "-c", "halopsa", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _results(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    wb = load_workbook(path)
    rows = list(wb["Results"].iter_rows(values_only=True))
    head = rows[0]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    return [dict(zip(head, r, strict=True)) for r in rows[1:]], summary


@pytest.mark.sandbox_options(halo_clients=150)
def test_export_edit_plan_apply_round_trip(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "clients.xlsx"
    result = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(sheet))
    assert result.code == 0, result.err
    assert "Exported 150 halopsa.clients records" in result.out

    untouched = _plan_json(rowpush, sheet)
    assert untouched["summary"] == {"create": 0, "update": 0, "unchanged": 150, "invalid": 0}

    clients = sandbox.state.halopsa.clients
    ids = sorted(clients)[:6]
    edits = {i: {"item_tax_code": (clients[i]["item_tax_code"] or 0) % 4 + 1} for i in ids[:5]}
    edits[ids[5]] = {"notes": "moved to the reduced rate", "is_vip": True}
    _edit(sheet, edits, [{"name": "Zephyr Analytics Ltd", "item_tax_code": 3}])

    plan = _plan_json(rowpush, sheet)
    assert plan["summary"] == {"create": 1, "update": 6, "unchanged": 144, "invalid": 0}
    changed = {r["key"]: r["changes"] for r in plan["rows"] if r["status"] == "update"}
    for i in ids[:5]:
        assert changed[i] == {
            "item_tax_code": [clients[i]["item_tax_code"], edits[i]["item_tax_code"]]
        }
    assert changed[ids[5]] == {
        "notes": [clients[ids[5]]["notes"], "moved to the reduced rate"],
        "is_vip": [clients[ids[5]]["is_vip"], True],
    }
    (create,) = [r for r in plan["rows"] if r["status"] == "create"]
    assert create["changes"] == {"name": [None, "Zephyr Analytics Ltd"], "item_tax_code": [None, 3]}

    results = workdir / "results.xlsx"
    sandbox.state.requests.clear()
    result = rowpush("apply", str(sheet), "-c", "halopsa", "--yes", "--results", str(results))
    assert result.code == 0, result.err
    assert "Applied: 1 created, 6 updated, 144 unchanged, 0 failed" in result.out

    posts = [r for r in sandbox.state.requests if r.method == "POST" and "/api/" in r.path.lower()]
    sent = [record for post in posts for record in post.body]
    assert sorted(r.get("id", 0) for r in sent) == sorted([0, *ids])  # each row exactly once
    assert {k for r in sent if r.get("id") == ids[0] for k in r} == {"id", "item_tax_code"}

    rows, summary = _results(results)
    assert len(rows) == 151
    by_status = Counter(r["_status"] for r in rows)
    assert by_status == {"unchanged": 144, "updated": 6, "created": 1}
    assert (summary["updated"], summary["created"], summary["unchanged"], summary["total"]) == (
        6,
        1,
        144,
        151,
    )
    assert summary["Target"] == "halopsa.clients"
    assert summary["Connection"] == "halopsa"
    new_row = next(r for r in rows if r["_status"] == "created")
    new_id = int(new_row["_remote_id"])
    assert clients[new_id]["name"] == "Zephyr Analytics Ltd"
    assert new_row["_http_status"] == 201
    assert new_row["_at"]
    for i in ids[:5]:
        assert clients[i]["item_tax_code"] == edits[i]["item_tax_code"]
    assert clients[ids[5]]["notes"] == "moved to the reduced rate"
    assert clients[ids[5]]["is_vip"] is True
    secret = sandbox.options.halo_client_secret
    assert secret not in result.out + result.err
    assert not any(secret in str(c) for r in rows for c in r.values())

    # the new client now has an id in the sandbox but not in the sheet: fill it in, re-plan
    wb = load_workbook(sheet)
    ws = wb.worksheets[0]
    ws.cell(ws.max_row, 1).value = new_id
    wb.save(sheet)
    again = _plan_json(rowpush, sheet)
    assert again["summary"] == {"create": 0, "update": 0, "unchanged": 151, "invalid": 0}


@pytest.mark.slow
@pytest.mark.sandbox_options(rate_limit=10.0, fail_rate=0.2)
def test_apply_lands_every_row_once_through_429s_and_5xx(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "clients.csv"
    ids = shifted_tax_codes(sandbox, sheet, 60)
    sandbox.state.requests.clear()
    result = rowpush(
        *APPLY_CSV,
        str(sheet),
        "--results",
        str(workdir / "r.xlsx"),
        "--batch-size",
        "3",
        "--rate",
        "30/s",
    )
    assert result.code == 0, result.out + result.err
    log = list(sandbox.state.requests)
    assert any(r.status == 429 for r in log), "the rate limit was never hit"
    assert any(r.status is not None and r.status >= 500 for r in log), "no fault was injected"
    assert applied_ids(sandbox) == ids  # every row landed, none twice
    _rows, summary = _results(workdir / "r.xlsx")
    assert summary["updated"] == 60
    assert summary["failed"] == 0
