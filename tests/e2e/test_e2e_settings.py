"""A misspelt connection setting stops every verb before its first request, through the
console script: `error: …` naming the key, the connection, the file and the closest
valid key, exit 3."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_sheets import APPLY_CSV, shifted_tax_codes

from rowpush.sandbox.server import SandboxServer

MISSPELT = [
    # (connection = api, a target to export, the key, its misspelling)
    ("halopsa", "halopsa.clients", "client_secret", "client_secert"),
    ("m3ter", "m3ter.accounts", "org_id", "orgid"),
    ("orange", "orange.contracts", "contract_id", "contract"),
    ("usage-engine", "usage-engine.meter-types", "client_id", "clientid"),
    ("hyalto", "hyalto.accounts", "access_key", "acess_key"),
]


def misspell(workdir: Path, connection: str, key: str, wrong: str) -> Path:
    """Rename `key` to `wrong` in one connection of the working directory's rowpush.toml."""
    path = workdir / "rowpush.toml"
    text = path.read_text(encoding="utf-8")
    head, section, rest = re.split(rf"(\[connections\.{re.escape(connection)}\]\n)", text)
    rest, count = re.subn(rf"^{key} = ", f"{wrong} = ", rest, count=1, flags=re.M)
    assert count == 1, f"no {key} in [connections.{connection}]"
    path.write_text(head + section + rest, encoding="utf-8")
    path.chmod(0o600)  # no warning about a readable file ahead of the error
    return path


def says_misspelt(err: str, path: Path, connection: str, key: str, wrong: str) -> None:
    assert err.startswith("error: "), err
    assert f"Connection '{connection}' in {path}: unknown setting '{wrong}'" in err, err
    assert f"did you mean '{key}'?" in err


@pytest.mark.parametrize(("connection", "target", "key", "wrong"), MISSPELT)
def test_export_with_a_misspelt_setting_exits_3_before_any_request(
    workdir: Path,
    sandbox: SandboxServer,
    rowpush,
    connection: str,
    target: str,
    key: str,
    wrong: str,
) -> None:  # type: ignore[no-untyped-def]
    path = misspell(workdir, connection, key, wrong)
    sandbox.state.requests.clear()
    result = rowpush("export", target, "-c", connection, "-o", "out.xlsx")
    assert result.code == 3
    says_misspelt(result.err, path, connection, key, wrong)
    assert len(sandbox.state.requests) == 0
    assert not (workdir / "out.xlsx").exists()


@pytest.mark.parametrize("verb", ["plan", "plan --json", "apply"])
def test_plan_and_apply_with_a_misspelt_setting_exit_3_before_any_request(
    workdir: Path, sandbox: SandboxServer, rowpush, verb: str
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 3)
    path = misspell(workdir, "halopsa", "client_secret", "client_secert")
    sandbox.state.requests.clear()
    if verb == "apply":
        result = rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx")
    else:
        result = rowpush(*verb.split(), str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 3
    says_misspelt(result.err, path, "halopsa", "client_secret", "client_secert")
    assert len(sandbox.state.requests) == 0
    assert sorted(p.name for p in workdir.iterdir()) == ["c.csv", "rowpush.toml"]
    assert result.out == ""  # no plan header (nor half a JSON document) before the error
    if verb == "apply":  # nothing is left to resume: once fixed, the same command runs
        misspell(workdir, "halopsa", "client_secert", "client_secret")
        again = rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx")
        assert again.code == 0, again.err


def test_retry_with_a_misspelt_setting_exits_3_before_any_request(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    clients = sorted(sandbox.state.halopsa.clients)[:2]
    sheet = workdir / "c.csv"
    sheet.write_text(f"id,item_tax_code\n{clients[0]},2\n{clients[1]},9\n", encoding="utf-8")
    first = rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx")
    assert first.code == 1  # tax code 9 does not exist: one failed row to retry
    path = misspell(workdir, "halopsa", "client_secret", "client_secert")
    sandbox.state.requests.clear()
    result = rowpush("retry", "r.xlsx", "--yes", "--results", "r2.xlsx")
    assert result.code == 3
    says_misspelt(result.err, path, "halopsa", "client_secret", "client_secert")
    assert len(sandbox.state.requests) == 0
    assert sorted(p.name for p in workdir.iterdir()) == ["c.csv", "r.xlsx", "rowpush.toml"]


def test_an_unknown_api_names_the_closest_one(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    path = workdir / "rowpush.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('api = "orange"', 'api = "ornage"'),
        encoding="utf-8",
    )
    result = rowpush("export", "orange.contracts", "-c", "orange", "-o", "out.xlsx")
    assert result.code == 3
    assert f"error: Connection 'orange' in {path}: unknown api 'ornage'" in result.err
    assert "did you mean 'orange'?" in result.err


def test_a_quoted_boolean_is_refused_with_the_value_shown(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    path = workdir / "rowpush.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('api = "hyalto"', 'api = "hyalto"\nverify = "no"'), "utf-8")
    result = rowpush("export", "hyalto.accounts", "-c", "hyalto", "-o", "out.xlsx")
    assert result.code == 3
    assert "verify must be true or false (without quotes), not 'no'" in result.err


@pytest.mark.parametrize("results", [[], ["--results", "r.xlsx"]])
def test_an_apply_stopped_by_a_misspelt_api_runs_once_fixed(
    workdir: Path, sandbox: SandboxServer, rowpush, results: list[str]
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 3)
    path = workdir / "rowpush.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('api = "halopsa"', 'api = "halo"'), encoding="utf-8")
    path.chmod(0o600)
    result = rowpush(*APPLY_CSV, str(sheet), *results)
    assert result.code == 3
    assert "unknown api 'halo' (did you mean 'halopsa'?)" in result.err
    assert len(sandbox.state.requests) == 0
    path.write_text(text, encoding="utf-8")
    again = rowpush(*APPLY_CSV, str(sheet), *results)
    assert again.code == 0, again.err
