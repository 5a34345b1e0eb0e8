"""Issue 12, items 1-11: what hit a new user in the first hour, each reproduced through the
CLI against the sandbox (items 12-14 are tested where their faces are)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from e2e_sheets import APPLY_CSV, applied_ids, results_rows, shifted_tax_codes

from rowpush import cli
from rowpush.config import load_config
from rowpush.engine import export as export_module
from rowpush.engine.verbs import apply_file, prepare, start_apply
from rowpush.progress import Counter
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import LOCAL_RATE, SandboxServer, render_config


def _in_thread(call: Any, timeout: float) -> tuple[bool, Any]:
    """Run `call` in a thread; (finished in time, its result or exception)."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return (not thread.is_alive(), box[0] if box else None)


# -- 1. export never hangs; outputs are checked first ------------------------------------


def test_1_an_export_whose_file_cannot_be_written_ends_with_a_message_not_a_hang(
    workdir: Path, rowpush: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export_module.write_template

    def write_then_fail(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)  # every row read, then the rename onto the file fails
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export_module, "write_template", write_then_fail)
    done, result = _in_thread(
        lambda: rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", "c.xlsx"), 60
    )
    assert done, "export hung after its writer failed"
    assert result.code == 2
    assert "Cannot write c.xlsx: Permission denied" in result.err
    assert "Traceback" not in result.err


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr")
def test_1_an_export_onto_a_locked_file_is_refused_before_any_record_is_read(
    workdir: Path, rowpush: Any, sandbox: SandboxServer
) -> None:
    locked = workdir / "locked.xlsx"
    locked.write_bytes(b"Excel holds this")
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip("this file system has no immutable flag")
    try:
        sandbox.state.requests.clear()
        started = time.monotonic()
        result = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(locked), "--force")
        assert time.monotonic() - started < 10
        assert result.code == 2
        assert "Cannot replace" in result.err
        assert "open in Excel" in result.err
        assert not [r for r in sandbox.state.requests if "/api/" in r.path.lower()]
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=False)


# -- 2. one apply at a time per sheet -------------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from rowpush.engine.run_lock import RunLock
RunLock.acquire([Path(sys.argv[1])], command="apply " + Path(sys.argv[1]).name)
print("held", flush=True)
time.sleep(60)
"""


def test_2_a_second_apply_of_a_sheet_being_applied_refuses_naming_the_process(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "dup.csv"
    sheet.write_text("id,name\n,New One\n,New Two\n,New Three\n", encoding="utf-8")
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(sheet)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "held"
        before = len(sandbox.state.halopsa.clients)
        result = rowpush(*APPLY_CSV, str(sheet), "--results", "d.xlsx")
        assert result.code == 2
        assert f"process {other.pid}" in result.err
        assert "rowpush apply dup.csv" in result.err
        assert f"kill {other.pid}" in result.err
        assert len(sandbox.state.halopsa.clients) == before  # nothing created
        assert not (workdir / "d.xlsx.journal").exists()
    finally:
        other.kill()
        other.wait()
        if other.stdout is not None:
            other.stdout.close()
    # the OS dropped the lock with the process: the same apply now goes through, once
    result = rowpush(*APPLY_CSV, str(sheet), "--results", "d.xlsx")
    assert result.code == 0, result.err
    names = [c["name"] for c in sandbox.state.halopsa.clients.values()]
    assert names.count("New One") == 1


def test_2_an_apply_releases_its_lock_when_it_ends(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 2)
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "a.xlsx").code == 0
    shifted_tax_codes(sandbox, sheet, 2)
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "b.xlsx").code == 0
    assert applied_ids(sandbox) == sorted(ids * 2)


# -- 3. progress, rates -------------------------------------------------------------------


def test_3_the_sandbox_config_names_a_local_rate_and_says_why() -> None:
    text = render_config("http://127.0.0.1:9", SandboxOptions(), with_rate=True)
    halo = text.split("[connections.halopsa]")[1].split("\n\n")[0]
    assert [line for line in halo.splitlines() if "rate" in line] == [
        f'rate = "{LOCAL_RATE}"  # suited to this local emulator only; a real instance has '
        "its own limit (leave rate out for the vendor's default)"
    ]
    limited = render_config("http://127.0.0.1:9", SandboxOptions(rate_limit=5), with_rate=True)
    assert 'rate = "5/1s"' in limited  # the sandbox's own limit, not more
    vendor = SandboxOptions(vendor_limits=True)
    assert "rate =" not in render_config("http://127.0.0.1:9", vendor, with_rate=True)


def test_3_export_takes_a_rate(workdir: Path, rowpush: Any) -> None:
    result = rowpush(
        "export", "halopsa.clients", "-c", "halopsa", "-o", "c.xlsx", "--rate", "bogus"
    )
    assert result.code == 3
    assert "rate 'bogus' is not understood" in result.err
    result = rowpush(
        "export", "halopsa.clients", "-c", "halopsa", "-o", "c.xlsx", "--rate", "500/s",
        "--columns", "id,name",
    )  # fmt: skip
    assert result.code == 0, result.err


def test_3_a_counter_shows_the_pace_and_the_time_left() -> None:
    counter = Counter("planning", "rows", total=500)
    counter.count = 100
    assert counter.line(2.0) == "planning: 100 of 500 rows · 50/s · about 8 s left…"
    counter.total = None
    assert counter.line(2.0) == "planning: 100 rows · 50/s…"
    assert counter.line(0.5) == "planning: 100 rows…"


def test_3_plan_and_apply_show_progress_on_a_terminal(
    workdir: Path, sandbox: SandboxServer
) -> None:
    """Under a pseudo-terminal (`script`), plan and apply draw their counters on stderr."""
    if shutil.which("script") is None:
        pytest.skip("needs script(1) for a terminal")
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 60)
    exe = Path(sys.executable).with_name("rowpush")
    command = f"{exe} apply {sheet} -t halopsa.clients -c halopsa --yes --results r.xlsx"
    out = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
    )
    assert "planning: " in out.stdout
    assert "of 60 rows" in out.stdout


# -- 4, 6. outputs ----------------------------------------------------------------------


def test_4_results_in_a_missing_folder_is_a_message_not_a_traceback(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    result = rowpush(*APPLY_CSV, str(sheet), "--results", "nodir/r.xlsx")
    assert result.code == 2
    assert "the folder nodir does not exist" in result.err
    assert "Traceback" not in result.err
    assert "sqlite3" not in result.err


@pytest.mark.parametrize(
    "command",
    [
        ("template", "halopsa.clients"),
        ("export", "halopsa.clients", "-c", "halopsa", "--columns", "id,name"),
    ],
)
def test_6_an_existing_file_is_not_replaced_without_force(
    workdir: Path, rowpush: Any, command: tuple[str, ...]
) -> None:
    kept = workdir / "keep.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["edited by hand"])  # type: ignore[union-attr]
    book.save(kept)
    before = kept.read_bytes()
    result = rowpush(*command, "-o", str(kept))
    assert result.code == 2
    assert "keep.xlsx already exists" in result.err
    assert "--force" in result.err
    assert kept.read_bytes() == before
    result = rowpush(*command, "-o", str(kept), "--force")
    assert result.code == 0, result.err
    assert kept.read_bytes() != before


def test_6_existing_results_are_not_replaced_without_force(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    (workdir / "r.xlsx").write_bytes(b"an earlier run's audit")
    result = rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx")
    assert result.code == 2
    assert "r.xlsx already exists" in result.err
    assert applied_ids(sandbox) == []
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx", "--force").code == 0


# -- 5. Excel serial dates -------------------------------------------------------------------


def test_5_an_excel_serial_in_a_date_column_is_that_date_and_only_there(tmp_path: Path) -> None:
    sheet = tmp_path / "m.csv"
    sheet.write_text(
        "meter,account,ts,ets,measure.calls\napi_calls,46000,46000,46000.5,46000\n",
        encoding="utf-8",
    )
    prep = prepare(sheet, target="m3ter.measurements")
    [row] = list(prep.rows())
    assert row.errors == []
    assert row.values["ts"].replace(tzinfo=None) == datetime(2025, 12, 9)
    assert row.values["ets"].replace(tzinfo=None) == datetime(2025, 12, 9, 12)
    assert row.values["account"] == "46000"  # a text column keeps the number as written


# -- 7. messages for a value --------------------------------------------------------------


def test_7_a_blank_required_cell_and_a_bad_email_are_said_in_words(
    tmp_path: Path, rowpush: Any
) -> None:
    sheet = tmp_path / "m.csv"
    sheet.write_text("meter,account,ts\napi_calls,acme,\n", encoding="utf-8")
    result = rowpush("validate", str(sheet), "-t", "m3ter.measurements")
    assert result.code == 2
    assert "a value is needed (the cell is blank)" in result.err
    assert "{'meter'" not in result.err
    users = tmp_path / "u.csv"
    users.write_text("login,civility,lastName,firstName,email\nj,MR,D,J,nope\n", encoding="utf-8")
    result = rowpush("validate", str(users), "-t", "orange.users")
    assert "expected a value like 'marie.durand@acme.example'" in result.err
    assert "^" not in result.err  # no regular expression


# -- 8, 9. headers ---------------------------------------------------------------------------


def _template_with(tmp_path: Path, rowpush: Any, target: str, name: str) -> Path:
    path = tmp_path / name
    assert rowpush("template", target, "-o", str(path)).code == 0
    return path


def test_8_a_notes_sheet_in_front_and_a_title_above_the_header_are_read_past(
    tmp_path: Path, rowpush: Any
) -> None:
    path = _template_with(tmp_path, rowpush, "halopsa.clients", "c.xlsx")
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("Notes", 0)
    notes.append(["Read me first"])
    data = book["halopsa.clients"]
    data.insert_rows(1, 2)
    data["A1"] = "Clients to update (December)"
    data.append([12, "Acme"])
    book.save(path)
    result = rowpush("validate", str(path))
    assert result.code == 0, result.err
    assert "1 row(s) valid for halopsa.clients" in result.out


def test_8_a_sheet_made_for_another_target_says_so(tmp_path: Path, rowpush: Any) -> None:
    path = _template_with(tmp_path, rowpush, "orange.users", "u.xlsx")
    result = rowpush("validate", str(path), "-t", "halopsa.clients")
    assert result.code == 2
    assert "u.xlsx was made for orange.users" in result.err


def test_8_a_missing_column_names_the_sheet_read_and_sheet_option(
    tmp_path: Path, rowpush: Any
) -> None:
    path = tmp_path / "w.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"  # type: ignore[union-attr]
    book.active.append(["Read me", "first"])  # type: ignore[union-attr]
    book.create_sheet("Data").append(["meter", "account", "ts"])
    book.save(path)
    result = rowpush("validate", str(path), "-t", "m3ter.measurements")
    assert result.code == 2
    assert "read sheet 'Notes', header row 1" in result.err
    assert "--sheet" in result.err


def test_9_a_mistyped_header_is_an_error_with_did_you_mean(tmp_path: Path, rowpush: Any) -> None:
    sheet = tmp_path / "c.csv"
    sheet.write_text("id,nmae\n12,Acme\n", encoding="utf-8")
    result = rowpush("validate", str(sheet), "-t", "halopsa.clients")
    assert result.code == 2
    assert "column B ('nmae') is not a column of halopsa.clients. Did you mean 'name'?" in (
        result.err
    )


# -- 10, 11. exit codes, retry, show ---------------------------------------------------------


def test_10_skip_invalid_with_invalid_rows_exits_1(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 2)
    with sheet.open("a", encoding="utf-8") as f:
        f.write(f"{ids[0] + 100000},abc\n")
    result = rowpush(*APPLY_CSV, str(sheet), "--skip-invalid", "--results", "r.xlsx")
    assert result.code == 1, result.err
    assert "1 invalid" in result.out


def test_11_retry_with_nothing_to_retry_writes_nothing(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 2)
    assert rowpush(*APPLY_CSV, str(sheet), "--results", "r.xlsx").code == 0
    before = set(workdir.iterdir())
    result = rowpush("retry", "r.xlsx", "--yes")
    assert result.code == 0, result.err
    assert "Nothing to retry: no row of r.xlsx failed or was skipped." in result.out
    assert set(workdir.iterdir()) == before


def test_11_show_text_lists_invalid_and_skipped_rows_with_key_and_name(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    sheet.write_text("id,name,item_tax_code\n,Brand New Ltd,abc\n,Other New Ltd,1\n")
    result = rowpush(*APPLY_CSV, str(sheet), "--skip-invalid", "--results", "r.xlsx")
    assert result.code == 1, result.err
    shown = rowpush("show", "r.xlsx", "--text").out
    header, *rows = [line for line in shown.splitlines() if line.startswith(("ROW", "2 "))]
    assert header.split()[:4] == ["ROW", "STATUS", "ID", "NAME"]
    assert rows
    assert "invalid" in rows[0]
    assert "Brand New Ltd" in rows[0]


def test_11_measurements_are_reported_sent_not_created_as_m3ter_may_ignore_resends(
    workdir: Path, rowpush: Any
) -> None:
    sheet = workdir / "m.csv"
    sheet.write_text(
        "meter,account,ts,measure.requests\napi_calls,ACME-001,2026-01-31,5\n", encoding="utf-8"
    )
    for results in ("r1.xlsx", "r2.xlsx"):  # the second run resends the same uid
        result = rowpush(
            "apply", str(sheet), "-t", "m3ter.measurements", "-c", "m3ter", "--yes",
            "--results", results,
        )  # fmt: skip
        assert result.code == 0, result.err
        assert "Applied: 1 sent to m3ter (any already ingested" in result.out
        assert "created" not in result.out


def test_2_a_client_created_by_another_run_after_the_plan_is_not_created_twice(
    workdir: Path, sandbox: SandboxServer
) -> None:
    """Two applies of different sheets, each creating 'Twin Ltd': both plan before either
    creates; the second is caught at send time by Halo's natural key (the name)."""
    sheet = workdir / "b.csv"
    sheet.write_text("id,name\n,Twin Ltd\n,Single Ltd\n", encoding="utf-8")
    conn = load_config().connection("halopsa")
    run = start_apply(prepare(sheet, target="halopsa.clients"), conn, workdir / "b.xlsx")

    async def plan_then_send() -> dict[str, int]:
        assert [c.action.value async for c in run.plan()] == ["create", "create"]
        # meanwhile the other run (sheet a.csv) creates its Twin Ltd
        other = workdir / "a.csv"
        other.write_text("id,name\n,Twin Ltd\n", encoding="utf-8")
        await apply_file(prepare(other, target="halopsa.clients"), conn, results=workdir / "a.xlsx")
        return await run.send()

    try:
        counts = asyncio.run(plan_then_send())
    finally:
        run.close()
    assert (counts["created"], counts["failed"]) == (1, 1)
    names = [c["name"] for c in sandbox.state.halopsa.clients.values()]
    assert names.count("Twin Ltd") == 1
    twin = next(r for r in results_rows(workdir / "b.xlsx") if r["name"] == "Twin Ltd")
    assert "already exists" in str(twin["_message"])
    assert "created after the plan" in str(twin["_message"])


@pytest.mark.parametrize(
    ("final", "code"),
    [
        ({"updated": 2, "skipped": 53}, 1),  # cancelled mid-apply: 53 rows never sent
        ({"updated": 2, "invalid": 1}, 1),
        ({"updated": 2, "unchanged": 5}, 0),
    ],
)
def test_10_apply_tui_exits_1_when_rows_were_left_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, final: dict[str, int], code: int
) -> None:
    class FakeTui:
        @staticmethod
        def run_apply(source: object) -> dict[str, int]:
            return final

    class FakeSources:
        @staticmethod
        def apply_plan(*args: object, **kwargs: object) -> object:
            return object()

    monkeypatch.setattr(cli, "tui_app", FakeTui)
    monkeypatch.setattr(cli, "tui_sources", FakeSources)
    assert cli._apply_tui(None, None, tmp_path / "r.xlsx", False) == code  # type: ignore[arg-type]


def test_6_sandbox_config_out_does_not_replace_a_real_config(tmp_path: Path, rowpush: Any) -> None:
    real = tmp_path / "rowpush.toml"
    real.write_text('[connections.halo-prod]\napi = "halopsa"\n', encoding="utf-8")
    result = rowpush("sandbox", "--port", "0", "--config-out", str(real))
    assert result.code == 2
    assert "was not written by `rowpush sandbox`" in result.err
    assert real.read_text(encoding="utf-8").startswith("[connections.halo-prod]")
