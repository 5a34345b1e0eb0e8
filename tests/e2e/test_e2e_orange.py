"""Orange against the sandbox: users created once by login, contracts ordered by name,
billing documents downloaded to the very bytes the sandbox serves."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.sandbox.orange.options import OrangeOptions
from rowpush.sandbox.orange.seed import StoredDocument
from rowpush.sandbox.server import SandboxServer


@pytest.fixture
def fast(workdir: Path) -> Path:
    """The working folder: `workdir` lifts every rate (orange's own is 2 requests/s)."""
    return workdir


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _plan(rowpush: Any, sheet: Path, target: str) -> dict[str, Any]:
    result = rowpush("plan", str(sheet), "-t", target, "-c", "orange", "--json")
    assert result.code in (0, 2), result.err
    plan: dict[str, Any] = json.loads(result.out)
    return plan


def _results(path: Path) -> list[dict[str, Any]]:
    rows = list(load_workbook(path)["Results"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


NEW_USER = {
    "contractId": "",
    "civility": "MRS",
    "lastName": "Durand",
    "firstName": "Marie",
    "email": "marie.durand@acme.example",
    "login": "mdurand-e2e",
    "mobilePhone": "+33 6 12 34 56 78",
}


def test_a_new_user_is_created_once_and_then_plans_unchanged(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = _csv(fast / "users.csv", [NEW_USER])
    assert _plan(rowpush, sheet, "orange.users")["summary"]["create"] == 1
    args = ("apply", str(sheet), "-t", "orange.users", "-c", "orange", "--yes")
    applied = rowpush(*args, "--results", str(fast / "r1.xlsx"))
    assert applied.code == 0, applied.err
    (row,) = _results(fast / "r1.xlsx")
    assert row["_status"] == "created"
    contract = _default_contract(fast)
    stored = [u for u in sandbox.state.orange.users[contract] if u["login"] == "mdurand-e2e"]
    assert len(stored) == 1
    assert row["_remote_id"] == stored[0]["id"]
    again = rowpush(*args, "--results", str(fast / "r2.xlsx"))
    assert again.code == 0, again.err
    assert [r["_status"] for r in _results(fast / "r2.xlsx")] == ["unchanged"]
    assert (
        len([u for u in sandbox.state.orange.users[contract] if u["login"] == "mdurand-e2e"]) == 1
    )


def _default_contract(workdir: Path) -> str:
    text = (workdir / "rowpush.toml").read_text(encoding="utf-8")
    section = text.split("[connections.orange]")[1]
    line = next(ln for ln in section.splitlines() if ln.startswith("contract_id"))
    return line.split("=", 1)[1].strip().strip('"')


def test_an_existing_login_that_differs_is_refused_at_plan(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    exported = fast / "users.xlsx"
    assert rowpush("export", "orange.users", "-c", "orange", "-o", str(exported)).code == 0
    header, first, *_ = load_workbook(exported).worksheets[0].iter_rows(values_only=True)
    edited = {str(h): str(v or "") for h, v in zip(header, first, strict=True)}
    edited["lastName"] = "Autre"
    plan = _plan(rowpush, _csv(fast / "edit.csv", [edited]), "orange.users")
    assert plan["summary"]["invalid"] == 1
    (error,) = plan["rows"][0]["errors"]
    assert error["header"] == "lastName"
    assert "Orange's API cannot change an existing user" in error["problem"]


def test_a_contract_is_ordered_by_name_once(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    order = {
        "contractName": "acme-e2e",
        "billingAccountId": "BA-55012",
        "offerCode": "FE-PAYG",
        "supportLevel": "STANDARD",
        "referentCivility": "MRS",
        "referentName": "Durand",
        "referentFirstName": "Marie",
        "referentMail": "marie.durand@acme.example",
        "referentMobilePhone": "+33 6 12 34 56 78",
    }
    sheet = _csv(fast / "contracts.csv", [order])
    args = ("apply", str(sheet), "-t", "orange.contracts", "-c", "orange", "--yes")
    applied = rowpush(*args, "--results", str(fast / "r1.xlsx"))
    assert applied.code == 0, applied.err
    (row,) = _results(fast / "r1.xlsx")
    assert row["_status"] == "created"
    assert row["_remote_id"] in sandbox.state.orange.contracts
    exported = fast / "contracts.xlsx"
    assert rowpush("export", "orange.contracts", "-c", "orange", "-o", str(exported)).code == 0
    names = [r[1] for r in load_workbook(exported).worksheets[0].iter_rows(values_only=True)]
    assert "acme-e2e" in names
    plan = _plan(
        rowpush, _csv(fast / "again.csv", [{"contractName": "acme-e2e"}]), "orange.contracts"
    )
    assert plan["summary"]["unchanged"] == 1


@pytest.mark.parametrize("redirect", [False, True])
def test_documents_download_the_bytes_the_sandbox_serves(
    redirect: bool, fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sandbox.options.api_options("orange", OrangeOptions).redirect_downloads = redirect
    folder = fast / "files"
    folder.mkdir()
    out = fast / "documents.csv"
    result = rowpush(
        "export", "orange.documents", "-c", "orange", "-o", str(out), "--download", str(folder)
    )
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    stored = sandbox.state.orange.documents
    assert {r["id"] for r in rows} == set(stored)
    for row in rows:
        path = Path(row["file"])
        assert path.parent == folder / row["contractId"]
        assert path.read_bytes() == stored[row["id"]].content


def _more_documents(sandbox: SandboxServer, contract: str, count: int) -> None:
    for n in range(count):
        meta = {
            "id": f"DOC-E2E-{n}",
            "filename": f"bill_{contract}_2019{n % 12 + 1:02d}.xlsx",
            "period": f"2019{n % 12 + 1:02d}",
            "documentType": "bills",
            "createdAt": f"2019-02-{n + 1:02d}T02:00:00Z",
        }
        sandbox.state.orange.documents[meta["id"]] = StoredDocument(contract, meta, b"x", "x")


def test_documents_beyond_the_ten_listed_without_limit_are_all_exported(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    """The sandbox answers 10 documents without `limit`, as the real API appears to."""
    contract = _default_contract(fast)
    _more_documents(sandbox, contract, 8)  # 7 seeded + 8
    out = fast / "documents.csv"
    result = rowpush("export", "orange.documents", "-c", "orange", "-o", str(out))
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len([r for r in rows if r["contractId"] == contract]) == 15
    assert {r["id"] for r in rows} == set(sandbox.state.orange.documents)


def test_a_full_list_of_documents_stops_the_export_and_says_what_to_set(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    contract = _default_contract(fast)
    _more_documents(sandbox, contract, 8)
    config = fast / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('api = "orange"', 'api = "orange"\ndocument_limit = 15'))
    out = fast / "documents.csv"
    result = rowpush("export", "orange.documents", "-c", "orange", "-o", str(out))
    assert result.code == 3
    assert f"Orange listed 15 documents of contract {contract}" in result.err
    assert "raise document_limit (e.g. document_limit = 30)" in result.err
    assert not out.exists()


def test_documents_cannot_be_planned(fast: Path, rowpush: Any) -> None:
    sheet = fast / "documents.csv"
    sheet.write_text("id\nDOC-1\n", encoding="utf-8")
    result = rowpush("plan", str(sheet), "-t", "orange.documents", "-c", "orange")
    assert result.code == 2
    assert "orange.documents can only be exported" in result.err


@pytest.mark.slow
@pytest.mark.sandbox_options(rate_limit=4.0)
def test_orange_throttling_403_code_53_pauses_and_retries_creates(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    """Orange says "slow down" as 403 code 53, not 429: creates are still retried (the
    request was not processed) and every user lands exactly once."""
    config = workdir / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('rate = "1000/s"', 'rate = "20/s"'))
    users = [
        {**NEW_USER, "login": f"throttle-{n}", "email": f"t{n}@acme.example"} for n in range(8)
    ]
    sheet = _csv(workdir / "users.csv", users)
    result = rowpush(
        "apply",
        str(sheet),
        "-t",
        "orange.users",
        "-c",
        "orange",
        "--yes",
        "--results",
        str(workdir / "r.xlsx"),
    )
    assert result.code == 0, result.err
    log = list(sandbox.state.requests)
    throttled = [r for r in log if r.status == 403 and r.api == "orange"]
    assert throttled, "the sandbox never throttled"
    contract = _default_contract(workdir)
    logins = [u["login"] for u in sandbox.state.orange.users[contract]]
    assert sorted(x for x in logins if x.startswith("throttle-")) == sorted(
        u["login"] for u in users
    )
    assert [r["_status"] for r in _results(workdir / "r.xlsx")] == ["created"] * 8
