"""Settling many lost Halo creates reads the list once, against the sandbox over HTTP.

`find_created_many` must agree with `find_created` (the newest record with the natural
key, or none) while spending a few list pages instead of a search per row, and fall
back to searches where paging would cost more.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.connect import connect
from rowpush.model import Action, Change
from rowpush.sandbox.requestlog import LoggedRequest
from rowpush.sandbox.server import SandboxServer
from rowpush.targets.base import Lookup
from rowpush.targets.halopsa import PAGE_SIZE, PAGES_IN_FLIGHT, HaloClients, HaloSites


def _conn(sandbox: SandboxServer) -> Connection:
    options = sandbox.options
    return Connection(
        "halopsa",
        "halopsa",
        {
            "base_url": f"{sandbox.url}/halopsa",
            "client_id": options.halo_client_id,
            "client_secret": options.halo_client_secret,
            "rate": "100000/s",
        },
    )


def _creates(names: Sequence[str]) -> list[Change]:
    return [Change(n + 2, Action.CREATE, payload={"name": name}) for n, name in enumerate(names)]


def _lookups(
    sandbox: SandboxServer, target: HaloClients | HaloSites, changes: Sequence[Change]
) -> tuple[list[Lookup], list[Lookup], Counter[str]]:
    """(bulk answers, one-by-one answers, requests of the bulk call by kind)."""

    async def go() -> tuple[list[Lookup], list[Lookup], list[LoggedRequest]]:
        async with connect(target, target.conn or _conn(sandbox)) as client:
            await client.get("/api/authinfo")  # the token first: not counted below
            seen = len(sandbox.state.requests)
            bulk = await target.find_created_many(client, changes)
            spent = list(sandbox.state.requests)[seen:]
            one_by_one = [await target.find_created(client, c) for c in changes]
        return bulk, one_by_one, spent

    bulk, single, spent = asyncio.run(go())
    kinds = Counter("search" if "search" in r.params else "list page" for r in spent)
    return bulk, single, kinds


@pytest.fixture
def halo(shared_sandbox: SandboxServer) -> SandboxServer:
    """The shared sandbox with two clients of one name (the newer must win) made after
    the seeded ones."""
    clients = shared_sandbox.state.halopsa.clients
    top = max(clients)
    for n, name in enumerate(["Twice Ltd", "Twice Ltd", "Once Ltd"], start=1):
        clients[top + n] = {**clients[top], "id": top + n, "name": name}
    return shared_sandbox


def test_many_lost_creates_are_looked_up_in_one_read_of_the_list(halo: SandboxServer) -> None:
    top = max(halo.state.halopsa.clients)
    names = ["Twice Ltd", "ONCE ltd", "Never Made Ltd", *[f"Absent {n}" for n in range(9)]]
    changes = [*_creates(names), Change(99, Action.CREATE, payload={})]
    bulk, single, spent = _lookups(halo, HaloClients(_conn(halo)), changes)
    assert bulk == single  # the same answers as a search per row
    assert bulk[0] == Lookup(known=True, remote_id=str(top - 1))  # the newer of the two
    assert bulk[1] == Lookup(known=True, remote_id=str(top))  # names compare as Halo's do
    assert bulk[2] == Lookup(known=True, remote_id=None)
    assert bulk[-1] == Lookup(known=False)  # no name: cannot tell
    pages = -(-len(halo.state.halopsa.clients) // 100)
    assert spent == Counter({"list page": pages})  # not one search per row


def test_a_few_lost_creates_are_searched_when_the_list_is_longer(halo: SandboxServer) -> None:
    changes = _creates(["Twice Ltd", "Once Ltd", "Never Made Ltd"])
    bulk, single, spent = _lookups(halo, HaloClients(_conn(halo)), changes)
    assert bulk == single
    # the first page tells 6 pages: more than the 2 searches left, so it searches
    assert spent == Counter({"list page": 1, "search": 3})


def test_one_lost_create_is_one_search(halo: SandboxServer) -> None:
    bulk, _, spent = _lookups(halo, HaloClients(_conn(halo)), _creates(["Once Ltd"]))
    assert bulk[0].remote_id == str(max(halo.state.halopsa.clients))
    assert spent == Counter({"search": 1})


def test_sites_are_found_within_their_client_by_list_or_search(
    shared_sandbox: SandboxServer,
) -> None:
    sandbox = shared_sandbox
    sites = sandbox.state.halopsa.sites
    some = sorted(sites.values(), key=lambda s: s["id"])[:12]
    changes = [
        Change(n, Action.CREATE, payload={"name": s["name"], "client_id": s["client_id"]})
        for n, s in enumerate(some, start=2)
    ]
    wrong_client = Change(50, Action.CREATE, payload={"name": some[0]["name"], "client_id": 10**6})
    bulk, single, _ = _lookups(sandbox, HaloSites(_conn(sandbox)), [*changes, wrong_client])
    assert bulk == single
    assert [b.remote_id for b in bulk[:-1]] == [str(s["id"]) for s in some]
    assert bulk[-1] == Lookup(known=True, remote_id=None)


def test_a_list_that_does_not_tell_its_length_is_not_trusted_to_be_whole() -> None:
    """Without `record_count` the first page may be all there is or not: a create missing
    from it may have landed on page two, so each is searched for instead."""
    records = [{"id": n, "name": f"Client {n}"} for n in range(1, 6)]
    asked: list[str] = []

    def halo(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        search = request.url.params.get("search")
        asked.append("search" if search is not None else "list page")
        found = [r for r in records if search is None or search.casefold() in r["name"].casefold()]
        return httpx.Response(200, json={"clients": found[:3]})  # never a record_count

    conn = Connection(
        "halo", "halopsa", {"base_url": "https://halo.test", "client_id": "c", "client_secret": "s"}
    )
    target = HaloClients(conn)

    async def go() -> list[Lookup]:
        async with connect(target, conn, transport=httpx.MockTransport(halo)) as client:
            return await target.find_created_many(client, _creates(["Client 5", "Client 9"]))

    assert asyncio.run(go()) == [
        Lookup(known=True, remote_id="5"),  # not on the first page, yet found
        Lookup(known=True, remote_id=None),
    ]
    assert asked == ["list page", "search", "search"]


def test_the_list_is_read_a_few_pages_at_a_time_and_comes_back_in_order() -> None:
    """The first page tells the length; the others go `PAGES_IN_FLIGHT` at a time (a list
    is latency-bound), and the records still come in the list's order."""
    total = PAGE_SIZE * 9 + 7  # ten pages
    in_flight = 0
    most_in_flight = 0
    asked: list[int] = []

    async def halo(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most_in_flight
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        number = int(request.url.params["page_no"])
        asked.append(number)
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.01 * (11 - number))  # later pages answer first
        in_flight -= 1
        first = (number - 1) * PAGE_SIZE
        page = [
            {"id": n, "name": f"Client {n}"} for n in range(first, min(first + PAGE_SIZE, total))
        ]
        return httpx.Response(200, json={"record_count": total, "clients": page})

    conn = Connection(
        "halo", "halopsa", {"base_url": "https://halo.test", "client_id": "c", "client_secret": "s"}
    )
    target = HaloClients(conn)

    async def go() -> list[int]:
        transport = httpx.MockTransport(halo)
        async with connect(target, conn, transport=transport, concurrency=8) as client:
            return [r["id"] for page in [p async for p in target._pages(client)] for r in page]

    assert asyncio.run(go()) == list(range(total))
    assert sorted(asked) == list(range(1, 11))
    assert most_in_flight == PAGES_IN_FLIGHT
