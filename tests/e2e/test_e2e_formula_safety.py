"""No cell rowpush writes becomes a formula (CSV injection).

Text beginning with `=`, `+`, `-`, `@`, tab or CR comes back from the results workbook
and from an XLSX export as the very text (CR as LF, as Excel stores line breaks), in a
text cell, never a formula; in a CSV export it gets a leading `'` (a plain number such as
`-5` does not: it cannot become a formula). An API error message that looks like a
formula lands in `_message` as text too. See `rowpush.sheets.cells`.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from starlette.types import ASGIApp, Receive, Scope, Send

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer

EVIL = {
    "equals": '=HYPERLINK("http://evil.example","click me")',
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(A1)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}
"""Cell texts a spreadsheet program would run as formulas."""
ECHOED = "=cmd|' /C calc'!A0"
"""An API error message that is a DDE payload."""


def shown(text: str) -> str:
    """How a text comes back from an XLSX cell: line breaks as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Refusal:
    """When set, the sandbox answers every write with 400 and this message."""

    message: str | None = None


class RefuseWrites:
    """ASGI middleware in front of the sandbox that plays an API echoing a bad value."""

    def __init__(self, app: ASGIApp, refusal: Refusal) -> None:
        self.app = app
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = self.refusal.message
        writes = scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH")
        if message is None or not writes or scope["path"].lower().endswith("/token"):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"message": message}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def refusal() -> Refusal:
    return Refusal()


@pytest.fixture
def sandbox(refusal: Refusal) -> Iterator[SandboxServer]:
    """A small Halo tenant behind `RefuseWrites` (overrides conftest's sandbox)."""
    server = SandboxServer(SandboxOptions(halo_clients=20))
    server.app.add_middleware(RefuseWrites, refusal=refusal)
    with server:
        yield server


def _new_clients_csv(path: Path) -> Path:
    """One new client per formula-like text, in its name and its notes."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "notes"])
        for text in EVIL.values():
            writer.writerow(["", text, text])
    return path


def _apply(rowpush: Any, sheet: Path, results: Path) -> Any:
    return rowpush(
        "apply", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--yes", "--results",
        str(results),
    )  # fmt: skip


def assert_no_formula(path: Path) -> None:
    """No cell of any sheet is a formula, read by openpyxl and in the raw XML."""
    book = load_workbook(path)
    formulas = [
        f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert not formulas, f"formula cells in {path.name}: {formulas}"
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                xml = archive.read(member)
                assert b"<f>" not in xml, f"{member} holds a formula"
                assert b"<f " not in xml, f"{member} holds a formula"


def _rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = list(load_workbook(path)[sheet].iter_rows())
    header = [str(c.value) for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_formula_like_cells_of_the_sheet_stay_text_in_the_results_workbook(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    results = workdir / "r.xlsx"
    applied = _apply(rowpush, _new_clients_csv(workdir / "c.csv"), results)
    assert applied.code == 0, applied.err
    assert_no_formula(results)
    rows = _rows(results, "Results")
    assert [r["_status"].value for r in rows] == ["created"] * len(EVIL)
    for row, text in zip(rows, EVIL.values(), strict=True):
        for header in ("name", "notes"):
            cell = row[header]
            assert cell.data_type == "s", (header, text)
            assert cell.value == shown(text), (header, text)


def test_an_api_error_message_that_looks_like_a_formula_stays_text(
    workdir: Path, sandbox: SandboxServer, refusal: Refusal, rowpush: Any
) -> None:
    refusal.message = ECHOED
    results = workdir / "r.xlsx"
    applied = _apply(rowpush, _new_clients_csv(workdir / "c.csv"), results)
    assert applied.code == 1, applied.out + applied.err
    assert_no_formula(results)
    rows = _rows(results, "Results")
    assert [r["_status"].value for r in rows] == ["failed"] * len(EVIL)
    for row in rows:
        assert row["_message"].data_type == "s"
        assert row["_message"].value == ECHOED


@pytest.fixture
def formula_like_clients(sandbox: SandboxServer) -> dict[int, str]:
    """Live clients whose name and notes are formula-like texts: id -> text."""
    clients = sandbox.state.halopsa.clients
    chosen = dict(zip(sorted(clients), EVIL.values(), strict=False))
    for client_id, text in chosen.items():
        clients[client_id]["name"] = text
        clients[client_id]["notes"] = text
    return chosen


def test_an_xlsx_export_keeps_formula_like_values_as_text(
    workdir: Path, formula_like_clients: dict[int, str], rowpush: Any
) -> None:
    out = workdir / "clients.xlsx"
    exported = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(out))
    assert exported.code == 0, exported.err
    assert_no_formula(out)
    rows = {r["id"].value: r for r in _rows(out, "halopsa.clients")}
    for client_id, text in formula_like_clients.items():
        for header in ("name", "notes"):
            cell = rows[client_id][header]
            assert cell.data_type == "s", (header, text)
            assert cell.value == shown(text), (header, text)


def test_a_csv_export_quotes_formula_like_values_but_not_plain_numbers(
    workdir: Path, sandbox: SandboxServer, formula_like_clients: dict[int, str], rowpush: Any
) -> None:
    plain = next(i for i in sorted(sandbox.state.halopsa.clients) if i not in formula_like_clients)
    sandbox.state.halopsa.clients[plain]["notes"] = "-5"
    out = workdir / "clients.csv"
    exported = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(out))
    assert exported.code == 0, exported.err
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = {int(r["id"]): r for r in csv.DictReader(handle)}
    for client_id, text in formula_like_clients.items():
        assert rows[client_id]["name"] == "'" + text
        assert rows[client_id]["notes"] == "'" + text
    assert rows[plain]["notes"] == "-5"


def test_a_csv_export_read_back_plans_unchanged(
    workdir: Path, formula_like_clients: dict[int, str], rowpush: Any
) -> None:
    out = workdir / "clients.csv"
    assert rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(out)).code == 0
    planned = rowpush("plan", str(out), "-t", "halopsa.clients", "-c", "halopsa", "--json")
    assert planned.code == 0, planned.err
    updates = {r["key"] for r in json.loads(planned.out)["rows"] if r["status"] == "update"}
    # the `'` csv_safe adds is dropped on reading; cells are trimmed on reading by design
    # (a stray space is not a change), so only the texts that begin with a tab or CR differ
    trimmed = {i for i, text in formula_like_clients.items() if text != text.strip()}
    assert updates == trimmed
