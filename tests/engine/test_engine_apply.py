"""Apply over httpx's MockTransport: batching, per-row outcomes, splitting rejected batches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from rowpush.engine.send import apply_changes
from rowpush.http.client import build_client
from rowpush.http.rate import Rate
from rowpush.http.retry import RetryPolicy
from rowpush.model import Action, Change, Outcome, Status
from rowpush.targets.halopsa import HaloClients


class FakeHalo:
    """Just enough of Halo's POST /api/Client to watch what apply sends."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.next_id = 900

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the send-time look-up of a create's name: none yet
            return httpx.Response(200, json={"clients": [], "record_count": 0})
        body = json.loads(request.content)
        self.posts.append(body)
        if any(r.get("item_tax_code") == 99 for r in body):
            return httpx.Response(
                400,
                json={"ClassName": "System.Exception", "Message": "Tax code 99 does not exist."},
            )
        saved = []
        for record in body:
            if "id" not in record:
                self.next_id += 1
                record = {**record, "id": self.next_id}
            saved.append({"name": "x", **record})
        return httpx.Response(201, json=saved[0] if len(saved) == 1 else saved)


def _run(changes: list[Change], batch_size: int = 100) -> tuple[FakeHalo, list[Outcome]]:
    fake = FakeHalo()
    outcomes: list[Outcome] = []

    async def go() -> None:
        client = build_client(
            "https://halo.test",
            rate=Rate.parse("1000/s"),
            policy=RetryPolicy(max_attempts=1),
            transport=httpx.MockTransport(fake),
        )
        async with client:
            await apply_changes(
                HaloClients(),
                client,
                changes,
                on_sending=lambda batch: None,
                on_outcomes=outcomes.extend,
                batch_size=batch_size,
                concurrency=2,
            )

    asyncio.run(go())
    return fake, sorted(outcomes, key=lambda o: o.row)


def _update(row: int, key: int, code: int) -> Change:
    return Change(
        row, Action.UPDATE, key, {"item_tax_code": (0, code)}, {"id": key, "item_tax_code": code}
    )


def test_batches_respect_the_size_and_every_row_gets_an_outcome() -> None:
    changes = [_update(r, 100 + r, 2) for r in range(2, 27)]  # 25 rows
    fake, outcomes = _run(changes, batch_size=10)
    assert sorted(len(p) for p in fake.posts) == [5, 10, 10]
    assert [o.row for o in outcomes] == list(range(2, 27))
    assert all(o.status is Status.UPDATED and o.http_status == 201 for o in outcomes)
    assert [o.remote_id for o in outcomes] == [str(100 + r) for r in range(2, 27)]


def test_creates_go_in_their_own_batches_and_get_remote_ids() -> None:
    changes = [
        _update(2, 12, 2),
        Change(3, Action.CREATE, None, {"name": (None, "New")}, {"name": "New"}),
        _update(4, 14, 2),
    ]
    fake, outcomes = _run(changes)
    assert sorted(len(p) for p in fake.posts) == [1, 2]
    assert all(("id" in r) for p in fake.posts if len(p) == 2 for r in p)
    created = outcomes[1]
    assert created.status is Status.CREATED
    assert created.remote_id == "901"


def test_a_rejected_batch_is_split_so_only_the_bad_row_fails() -> None:
    changes = [_update(r, 100 + r, 99 if r == 7 else 2) for r in range(2, 12)]
    fake, outcomes = _run(changes)
    failed = [o for o in outcomes if o.status is Status.FAILED]
    assert [o.row for o in failed] == [7]
    assert failed[0].http_status == 400
    assert failed[0].message == "Tax code 99 does not exist."
    assert sum(o.status is Status.UPDATED for o in outcomes) == 9
    sent_ok = [
        r["id"] for p in fake.posts if not any(x["item_tax_code"] == 99 for x in p) for r in p
    ]
    assert sorted(sent_ok) == sorted(100 + r for r in range(2, 12) if r != 7)  # each once


def test_a_stop_leaves_unsent_rows_unreported() -> None:
    stop = asyncio.Event()
    stop.set()
    outcomes: list[Outcome] = []

    async def go() -> None:
        client = build_client("https://halo.test", transport=httpx.MockTransport(FakeHalo()))
        async with client:
            await apply_changes(
                HaloClients(),
                client,
                [_update(2, 12, 2)],
                on_sending=lambda b: None,
                on_outcomes=outcomes.extend,
                stop=stop,
            )

    asyncio.run(go())
    assert outcomes == []
