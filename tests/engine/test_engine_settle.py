"""Rows whose answer was lost are settled against the live records, within a bounded
number of sends (over httpx's MockTransport: a Halo that never answers a create)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from rowpush.config import Connection
from rowpush.engine.results_reader import open_results
from rowpush.engine.run import SETTLE_ROUNDS
from rowpush.engine.verbs import apply_file, prepare
from rowpush.model import Status

CONN = Connection(
    "halo",
    "halopsa",
    {
        "base_url": "https://halo.test",
        "client_id": "id",
        "client_secret": "secret",
        "rate": "1000/s",
    },
)


class LostCreates:
    """Every create is answered 502 (not made); a lookup by name finds nothing."""

    def __init__(self) -> None:
        self.creates: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if request.method == "GET":
            return httpx.Response(200, json={"record_count": 0, "clients": []})
        self.creates.append([r["name"] for r in json.loads(request.content)])
        return httpx.Response(502, text="502 Bad Gateway")


def test_a_create_that_never_lands_is_sent_settle_rounds_more_times_then_failed(
    tmp_path: Path,
) -> None:
    sheet = tmp_path / "new.csv"
    sheet.write_text("id,name\n,Northwind Traders\n", encoding="utf-8")
    halo = LostCreates()
    report = asyncio.run(
        apply_file(
            prepare(sheet, target="halopsa.clients"),
            CONN,
            results=tmp_path / "r.xlsx",
            transport=httpx.MockTransport(halo),
        )
    )
    # a create is never retried blindly: each send follows a lookup that found nothing
    assert halo.creates == [["Northwind Traders"]] * (SETTLE_ROUNDS + 1)
    assert report.counts["failed"] == 1
    (row,) = open_results(tmp_path / "r.xlsx").rows()
    assert row.status is Status.FAILED
    assert row.message.startswith(f"the answer was lost {SETTLE_ROUNDS + 1} times")
