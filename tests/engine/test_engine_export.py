"""export streams live records into the template; a failure midway leaves no half file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from rowpush.config import Connection
from rowpush.engine.export import export_target
from rowpush.errors import RowpushError

CONN = Connection(
    "halo",
    "halopsa",
    {"base_url": "https://halo.test", "client_id": "id", "client_secret": "s", "rate": "1000/s"},
)


def _halo(fail_on_page: int | None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        page = int(request.url.params["page_no"])
        if page == fail_on_page:
            return httpx.Response(400, json={"Message": "boom"})
        start = (page - 1) * 100
        clients = [
            {"id": 1000 + i, "name": f"Client {i}", "item_tax_code": i % 3, "inactive": False}
            for i in range(start, min(start + 100, 250))
        ]
        return httpx.Response(200, json={"record_count": 250, "clients": clients})

    return httpx.MockTransport(handler)


def test_export_pages_every_record_into_the_template(tmp_path: Path) -> None:
    out = tmp_path / "clients.xlsx"
    count = asyncio.run(
        export_target(
            "halopsa.clients", CONN, out, columns=["name", "item_tax_code"], transport=_halo(None)
        )
    )
    assert count == 250
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("id", "name", "item_tax_code")
    assert rows[1] == (1000, "Client 0", 0)
    assert len(rows) == 251


def test_a_failed_export_leaves_the_earlier_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "clients.xlsx"
    out.write_bytes(b"the user's earlier file")
    with pytest.raises(RowpushError, match="boom"):
        asyncio.run(
            export_target("halopsa.clients", CONN, out, columns=["name"], transport=_halo(2))
        )
    assert out.read_bytes() == b"the user's earlier file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.xlsx"]  # no temporary left
