"""The request log's memory stays bounded: bodies are kept up to a byte budget, newest first."""

from __future__ import annotations

import json

import httpx
import pytest

from rowpush.sandbox.requestlog import REDACTED, LoggedRequest, RequestLog
from rowpush.sandbox.server import SandboxServer


def entry(body: bytes, content_type: str = "application/json") -> LoggedRequest:
    return LoggedRequest(
        api="m3ter",
        method="POST",
        path="/m3ter-ingest/x",
        query=[],
        headers={"content-type": content_type},
        raw_body=body or None,
        at=1.0,
        body_size=len(body),
    )


def body_of(size: int, tag: str) -> bytes:
    """A JSON body of exactly ``size`` bytes."""
    empty = json.dumps({"tag": tag, "pad": ""}).encode()
    raw = json.dumps({"tag": tag, "pad": "x" * (size - len(empty))}).encode()
    assert len(raw) == size
    return raw


def test_bodies_beyond_the_budget_are_dropped_oldest_first() -> None:
    log = RequestLog(limit=100, body_budget=3_000)
    entries = [entry(body_of(1_000, f"r{n}")) for n in range(5)]
    for one in entries:
        log.append(one)
    assert log.body_bytes == 3_000
    assert [e.body["tag"] for e in entries[2:]] == ["r2", "r3", "r4"]
    for old in entries[:2]:
        assert old.body == "[body of 1,000 bytes no longer kept by the request log]"
        assert (old.body_size, old.method, old.path) == (1_000, "POST", "/m3ter-ingest/x")
    assert len(log) == 5  # entries stay; only their bodies go


def test_one_body_bigger_than_the_budget_is_still_kept() -> None:
    log = RequestLog(limit=100, body_budget=100)
    log.append(entry(body_of(50, "small")))
    big = entry(body_of(500, "big"))
    log.append(big)
    assert big.body["tag"] == "big"
    assert log.body_bytes == 500


def test_entries_leaving_the_log_release_their_bytes() -> None:
    log = RequestLog(limit=2, body_budget=10_000)
    for n in range(4):
        log.append(entry(body_of(1_000, f"r{n}")))
    log.append(entry(b""))
    kept, empty = log.entries()
    assert (kept.body["tag"], empty.body) == ("r3", None)
    assert log.body_bytes == 1_000
    log.clear()
    assert (len(log), log.body_bytes) == (0, 0)


def test_a_body_is_parsed_and_redacted_when_read() -> None:
    raw = json.dumps({"client_secret": "s3cret", "nested": [{"password": "p"}]}).encode()
    logged = entry(raw)
    assert logged.body == {"client_secret": REDACTED, "nested": [{"password": REDACTED}]}
    form = entry(b"grant_type=client_credentials&client_secret=s3cret", "x-www-form-urlencoded")
    assert form.body == {"grant_type": "client_credentials", "client_secret": REDACTED}
    assert "s3cret" not in repr(logged) + repr(form)
    assert entry(b"plain words", "text/plain").body == "plain words"


@pytest.fixture
def halo(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/halopsa", timeout=10, verify=False)


def test_the_server_log_counts_the_bodies_it_holds(
    halo: httpx.Client, server: SandboxServer
) -> None:
    with halo:
        halo.post("/api/client", json=[{"name": "x" * 300}])
        halo.get("/api/client")
    posted, got = server.state.requests.entries(api="halopsa")
    assert posted.body == [{"name": "x" * 300}]
    assert (got.body, got.body_size) == (None, 0)
    assert server.state.requests.body_bytes == posted.body_size > 300
