"""m3ter against the sandbox: measurements land once however often they are applied;
a meter edited in its sheet is PUT whole with its version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer

MEASUREMENTS = """meter,account,ts,who.user_id,where.region,measure.requests
api_calls,ACME-001,2026-01-31 23:00:00,u-42,eu-west-1,1250
api_calls,ACME-001,2026-01-31T23:30:00Z,u-43,eu-west-1,80
api_calls,GLOBEX-001,2026-02-01,u-7,us-east-1,3
"""


def test_measurements_land_once_however_often_applied(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "usage.csv"
    sheet.write_text(MEASUREMENTS, encoding="utf-8")
    args = ("apply", str(sheet), "-t", "m3ter.measurements", "-c", "m3ter", "--yes")
    first = rowpush(*args, "--results", str(workdir / "r1.xlsx"))
    assert first.code == 0, first.err
    assert "3 sent to m3ter" in first.out
    again = rowpush(*args, "--results", str(workdir / "r2.xlsx"))
    assert again.code == 0, again.err
    stored = sandbox.state.m3ter.measurements
    assert len(stored) == 3  # the second run sent the same uids: nothing counted twice
    by_user = {m["who"]["user_id"]: m for m in stored}
    assert by_user["u-42"]["ts"].startswith("2026-01-31T23:00:00")
    assert by_user["u-42"]["measure"] == {"requests": 1250}
    rows = list(load_workbook(workdir / "r1.xlsx")["Results"].iter_rows(values_only=True))
    uids = {r[rows[0].index("_remote_id")] for r in rows[1:]}
    assert uids == {m["uid"] for m in stored}


def test_measurements_naming_unknown_meters_or_fields_are_refused(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "usage.csv"
    sheet.write_text(
        "meter,account,ts,measure.requests,measure.gb_stored\n"
        "api_callz,ACME-001,2026-01-31,5,\n"
        "api_calls,ACME-001,2026-01-31,5,7\n",
        encoding="utf-8",
    )
    result = rowpush("plan", str(sheet), "-t", "m3ter.measurements", "-c", "m3ter", "--json")
    assert result.code == 2
    plan = json.loads(result.out)
    problems = [e["problem"] for r in plan["rows"] for e in r["errors"]]
    assert "no m3ter meter has code 'api_callz'" in problems
    assert "meter 'api_calls' has no MEASURE field 'gb_stored'" in problems
    assert sandbox.state.m3ter.measurements == []


def test_a_meter_edited_in_its_sheet_is_put_whole_with_its_version(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "meters.xlsx"
    assert rowpush("export", "m3ter.meters", "-c", "m3ter", "-o", str(sheet)).code == 0
    meter = sandbox.state.m3ter.meter_by_code("storage_gb")
    version = meter["version"]
    wb = load_workbook(sheet)
    ws = wb.worksheets[0]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if (
            row[head.index("code")].value == "storage_gb"
            and row[head.index("field_code")].value == "gb_stored"
        ):
            row[head.index("field_name")].value = "Gigabytes stored"
    wb.save(sheet)
    plan = json.loads(rowpush("plan", str(sheet), "-c", "m3ter", "--json").out)
    rows = [r for r in plan["rows"] if r["status"] == "update"]
    assert plan["summary"]["update"] == len(rows) == 3  # the meter's three rows
    (lead,) = [r for r in rows if "same_record_as_row" not in r]
    assert {r["same_record_as_row"] for r in rows if r is not lead} == {lead["row"]}
    assert list(lead["changes"]) == ["data field gb_stored"]
    old, new = lead["changes"]["data field gb_stored"]
    assert '"Gigabytes stored"' in new
    assert '"Gigabytes stored"' not in old
    result = rowpush(
        "apply", str(sheet), "-c", "m3ter", "--yes", "--results", str(workdir / "r.xlsx")
    )
    assert result.code == 0, result.err
    after = sandbox.state.m3ter.meter_by_code("storage_gb")
    assert after["version"] == version + 1
    names = {f["code"]: f["name"] for f in after["dataFields"]}
    assert names["gb_stored"] == "Gigabytes stored"
    assert after.get("customFields") == meter.get("customFields")


def test_a_new_account_code_is_created(workdir: Path, sandbox: SandboxServer, rowpush: Any) -> None:
    sheet = workdir / "accounts.csv"
    sheet.write_text(
        "code,name,emailAddress,currency,custom.crmId\n"
        "ZEPHYR-001,Zephyr Analytics,billing@zephyr.example,eur,0015ZZ\n",
        encoding="utf-8",
    )
    plan = json.loads(
        rowpush("plan", str(sheet), "-t", "m3ter.accounts", "-c", "m3ter", "--json").out
    )
    assert plan["summary"]["create"] == 1
    assert plan["rows"][0]["key"] == "ZEPHYR-001"
    result = rowpush(
        "apply",
        str(sheet),
        "-t",
        "m3ter.accounts",
        "-c",
        "m3ter",
        "--yes",
        "--results",
        str(workdir / "r.xlsx"),
    )
    assert result.code == 0, result.err
    created = sandbox.state.m3ter.account_by_code("ZEPHYR-001")
    assert created["currency"] == "EUR"
    assert created["customFields"] == {"crmId": "0015ZZ"}


def test_five_thousand_measurements_arrive_in_at_most_five_requests(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    lines = ["meter,account,ts,who.user_id,measure.requests"]
    lines += [
        f"api_calls,ACME-001,2026-01-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00,u-{n},{n % 97}"
        for n in range(5000)
    ]
    sheet = workdir / "big.csv"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sandbox.state.requests.clear()
    result = rowpush(
        "apply",
        str(sheet),
        "-t",
        "m3ter.measurements",
        "-c",
        "m3ter",
        "--yes",
        "--results",
        str(workdir / "r.xlsx"),
    )
    assert result.code == 0, result.err
    ingests = [r for r in sandbox.state.requests if r.path.endswith("/measurements")]
    assert len(ingests) <= 5
    assert sum(len(r.body["measurements"]) for r in ingests) == 5000
    assert len(sandbox.state.m3ter.measurements) == 5000


def test_bad_codes_stop_before_any_ingest_call(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "usage.csv"
    sheet.write_text(
        "meter,account,ts,measure.requests\n"
        "api_calls,ACME-001,2026-01-31,5\n"
        "api_calls,NOBODY-999,2026-01-31,5\n",
        encoding="utf-8",
    )
    sandbox.state.requests.clear()
    result = rowpush("apply", str(sheet), "-t", "m3ter.measurements", "-c", "m3ter", "--yes")
    assert result.code == 2
    assert "no m3ter account has code 'NOBODY-999'" in result.err
    assert not [r for r in sandbox.state.requests if r.path.endswith("/measurements")]
