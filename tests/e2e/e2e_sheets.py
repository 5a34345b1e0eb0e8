"""Sheets and request-log readings shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer

APPLY_CSV = ("apply", "-t", "halopsa.clients", "-c", "halopsa", "--yes")
"""`rowpush apply` of a CSV sheet to the sandbox, without asking (the file goes after)."""


def shifted_tax_codes(sandbox: SandboxServer, path: Path, count: int) -> list[int]:
    """Write a CSV moving the first `count` clients to another item tax code; their ids."""
    clients = sandbox.state.halopsa.clients
    ids = sorted(clients)[:count]
    rows = [f"{i},{(clients[i]['item_tax_code'] or 0) % 4 + 1}" for i in ids]
    path.write_text("id,item_tax_code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return ids


def applied_ids(sandbox: SandboxServer) -> list[int]:
    """Ids of every record the sandbox accepted in a POST to /api, repeats kept, sorted."""
    return sorted(
        record["id"]
        for request in sandbox.state.requests
        if request.method == "POST" and request.status == 201 and "/api/" in request.path.lower()
        for record in request.body
    )


def results_rows(path: Path) -> list[dict[str, object]]:
    """The Results sheet of a results workbook: one dict per row, header → value."""
    table = list(load_workbook(path)["Results"].iter_rows(values_only=True))
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]
