"""Bad input gets one clear message (what, where, how to fix) and the right exit code,
never a traceback; nothing is sent."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

from rowpush.http.retry import RetryPolicy
from rowpush.sandbox.server import SandboxServer


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.out + result.err


def test_missing_file(workdir: Path, rowpush: Any) -> None:
    result = rowpush("validate", "nope.xlsx")
    assert result.code == 2
    assert "nope.xlsx" in result.err
    _no_traceback(result)


def test_password_protected_xlsx(workdir: Path, rowpush: Any) -> None:
    locked = workdir / "locked.xlsx"
    locked.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    result = rowpush("validate", str(locked))
    assert result.code == 2
    assert "locked.xlsx" in result.err
    assert "password" in result.err.lower()
    _no_traceback(result)


def test_empty_sheet(workdir: Path, rowpush: Any) -> None:
    empty = _csv(workdir / "empty.csv", "")
    result = rowpush("validate", str(empty), "-t", "halopsa.clients")
    assert result.code == 2
    assert "empty.csv" in result.err
    _no_traceback(result)


def test_unknown_target_suggests_the_closest(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "id,name\n1,A\n")
    result = rowpush("validate", str(sheet), "-t", "halopsa.client")
    assert result.code == 2
    assert "Unknown target 'halopsa.client'" in result.err
    assert "Did you mean 'halopsa.clients'?" in result.err


def test_csv_without_target_says_to_pass_t(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "id,name\n1,A\n")
    result = rowpush("validate", str(sheet))
    assert result.code == 2
    assert "c.csv: which target is this sheet for?" in result.err
    assert "-t TARGET" in result.err


def test_unknown_connection(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n")
    result = rowpush("plan", str(sheet), "-t", "halopsa.clients", "-c", "prod")
    assert result.code == 3
    assert "Unknown connection 'prod'" in result.err
    assert "halopsa" in result.err


def test_missing_secret_names_the_variable(workdir: Path, rowpush: Any) -> None:
    toml = (workdir / "rowpush.toml").read_text()
    start = toml.index("client_secret")
    end = toml.index("\n", start)
    (workdir / "rowpush.toml").write_text(
        toml[:start] + 'client_secret = "${HALO_SECRET_FOR_TEST}"' + toml[end:]
    )
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n")
    result = rowpush("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 3
    assert "${HALO_SECRET_FOR_TEST}" in result.err
    assert "export HALO_SECRET_FOR_TEST" in result.err


def test_wrong_headers_name_the_missing_column(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "client id,item_tax_code\n12,1\n")
    result = rowpush("validate", str(sheet), "-t", "halopsa.clients")
    assert result.code == 2
    assert "required column 'id' is missing" in result.err
    assert "Did you mean 'client id'?" in result.err


def test_bad_values_and_duplicate_keys_are_a_table(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(
        workdir / "c.csv",
        "id,item_tax_code,inactive,colour\n12,abc,TRUE,red\n14,1,maybe,\n12,2,FALSE,\n",
    )
    result = rowpush("validate", str(sheet), "-t", "halopsa.clients")
    assert result.code == 2
    assert "3 error(s) in 3 of 3 row(s)" in result.err
    assert "warning: c.csv: column D ('colour') is not a column of halopsa.clients" in result.err
    table = {tuple(line.split()[:4]): line for line in result.err.splitlines()}
    assert "a whole number" in table["2", "B", "item_tax_code", "abc"]
    assert "TRUE or FALSE" in table["3", "C", "inactive", "maybe"]
    assert "id 12 appears again (first on row 2)" in table["4", "A", "id", "12"]


def test_valid_sheet_passes(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n14,2\n")
    result = rowpush("validate", str(sheet), "-t", "halopsa.clients")
    assert result.code == 0
    assert "2 row(s) valid for halopsa.clients" in result.out


def test_apply_refuses_invalid_rows_and_sends_nothing(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    first = sorted(sandbox.state.halopsa.clients)[0]
    sheet = _csv(workdir / "c.csv", f"id,item_tax_code\n{first},3\n999999,1\n")
    sandbox.state.requests.clear()
    result = rowpush("apply", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--yes")
    assert result.code == 2
    assert "Nothing was sent: 1 row(s) are invalid" in result.err
    assert "no halopsa.clients record has id 999999" in result.err or "999999" in result.err
    assert not [
        r for r in sandbox.state.requests if r.method == "POST" and "/api/" in r.path.lower()
    ]


def test_apply_without_yes_off_a_terminal_refuses(workdir: Path, rowpush: Any) -> None:
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n")
    result = rowpush("apply", str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 2
    assert "--yes" in result.err


def test_rejected_credentials_exit_3_naming_connection_and_url(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    toml = (workdir / "rowpush.toml").read_text()
    (workdir / "rowpush.toml").write_text(
        toml.replace(sandbox.options.halo_client_secret, "WRONG-SECRET-XYZ")
    )
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n")
    result = rowpush("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 3
    assert "Connection 'halopsa'" in result.err
    assert sandbox.url in result.err
    assert "WRONG-SECRET-XYZ" not in result.err
    _no_traceback(result)


def test_unreachable_host_exit_3_naming_connection_and_url(
    workdir: Path, sandbox: SandboxServer, rowpush: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every attempt is refused at once: the backoffs between them (about 12 s in all)
    # would be the whole test, and tests/http checks them on a fake clock
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt: 0.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    toml = (workdir / "rowpush.toml").read_text()
    (workdir / "rowpush.toml").write_text(toml.replace(sandbox.url, f"http://127.0.0.1:{port}"))
    sheet = _csv(workdir / "c.csv", "id,item_tax_code\n12,1\n")
    result = rowpush("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 3
    assert "halopsa" in result.err
    assert f"127.0.0.1:{port}" in result.err
    _no_traceback(result)


@pytest.mark.parametrize("verb", ["template", "targets"])
def test_help_for_every_command(rowpush: Any, verb: str) -> None:
    result = rowpush(verb, "--help")
    assert result.code == 0
    assert "Usage" in result.out


def test_errors_name_the_sheets_own_column_letter_when_the_table_starts_further_right(
    tmp_path: Path, rowpush
) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["C1"], sheet["D1"] = "id", "item_tax_code"
    sheet["C2"], sheet["D2"] = "12", "abc"
    path = tmp_path / "shifted.xlsx"
    book.save(path)
    result = rowpush("validate", str(path), "-t", "halopsa.clients")
    assert result.code == 2
    assert re.search(r"^2\s+D\s+item_tax_code\s+abc", result.err, re.MULTILINE), result.err
