"""Hyalto against the sandbox: the usage export walks every account and service over a
period, whole lists or JSON:API pages alike; the same export whichever way the sandbox
answers the unconfirmed facts (bare arrays, companyName, metaData.type, a bare token with
`auth_scheme = "none"`); plan refuses the export-only targets."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from rowpush.sandbox.hyalto.options import HyaltoOptions
from rowpush.sandbox.server import SandboxServer


@pytest.fixture
def fast(workdir: Path) -> Path:
    """The working folder: `workdir` lifts every rate (hyalto's own is 2 requests/s)."""
    return workdir


def _export(rowpush: Any, workdir: Path, target: str, *options: str) -> list[dict[str, str]]:
    out = workdir / f"{target}.csv"
    result = rowpush("export", target, "-c", "hyalto", "-o", str(out), "--force", *options)
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


PERIOD = ("--from", "2025-01-01", "--to", "2025-01-31")


@pytest.mark.parametrize("paged", [False, True])
def test_usage_rows_carry_their_account_and_service_for_the_period(
    paged: bool, fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    settings = sandbox.options.api_options("hyalto", HyaltoOptions)
    settings.page_by_default = paged
    settings.default_page_size = 3
    settings.strict_trailing_slash = True
    services = _export(rowpush, fast, "hyalto.services")
    owner = {s["id"]: (s["accountId"], s["accountName"], s["name"]) for s in services}
    assert (
        len(owner) == len(services) == sum(len(s) for s in sandbox.state.hyalto.services.values())
    )
    usage = _export(rowpush, fast, "hyalto.usage", *PERIOD)
    assert usage
    for row in usage:
        assert owner[row["serviceId"]] == (row["accountId"], row["accountName"], row["serviceName"])
        assert "2025-01-01" <= row["date"][:10] <= "2025-01-31"
    reports = [r for r in sandbox.state.requests.entries() if "/reports/usage/" in r.path]
    assert {r.params.get("filter[from]") for r in reports} == {"2025-01-01 00:00:00"}
    assert {r.params.get("filter[to]") for r in reports} == {"2025-01-31 23:59:59"}


def _everything(rowpush: Any, workdir: Path) -> dict[str, list[dict[str, str]]]:
    return {
        "accounts": _export(rowpush, workdir, "hyalto.accounts"),
        "services": _export(rowpush, workdir, "hyalto.services"),
        "usage": _export(rowpush, workdir, "hyalto.usage", *PERIOD),
    }


def test_the_public_clients_reading_exports_the_same_rows(
    fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    settings = sandbox.options.api_options("hyalto", HyaltoOptions)
    as_notes = _everything(rowpush, fast)
    assert all(as_notes.values())
    assert {a["name"] for a in as_notes["accounts"]} == {
        a["name"] for a in sandbox.state.hyalto.accounts.values()
    }
    settings.list_shape = "bare"
    settings.record_fields = "client"
    settings.token_scheme = "bare"
    refused = rowpush("export", "hyalto.accounts", "-c", "hyalto", "-o", str(fast / "x.csv"))
    assert refused.code == 3  # rowpush sends "Bearer <JWT>" until told otherwise
    assert "Missing bearer token" in refused.err
    config = fast / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('api = "hyalto"', 'api = "hyalto"\nauth_scheme = "none"'))
    sandbox.state.requests.clear()
    assert _everything(rowpush, fast) == as_notes
    calls = [r for r in sandbox.state.requests.entries("hyalto") if "/auth/" not in r.path]
    assert calls
    assert all(r.status == 200 for r in calls)


def test_usage_export_without_a_period_says_how_to_give_one(fast: Path, rowpush: Any) -> None:
    result = rowpush("export", "hyalto.usage", "-c", "hyalto", "-o", str(fast / "u.csv"))
    assert result.code == 2
    assert "--from" in result.err


@pytest.mark.parametrize("target", ["hyalto.accounts", "hyalto.services", "hyalto.usage"])
def test_hyalto_targets_cannot_be_planned(target: str, fast: Path, rowpush: Any) -> None:
    sheet = fast / "sheet.csv"
    sheet.write_text("accountId\n1201\n", encoding="utf-8")
    result = rowpush("plan", str(sheet), "-t", target, "-c", "hyalto")
    assert result.code == 2
    assert f"{target} can only be exported" in result.err
