"""Fixtures: a real sandbox server on a free port, and clients that talk to it over HTTP.

Tests with default options share the session's server (tests/conftest.py), reset
(records reseeded, tokens, rate window, dice and request log cleared, options restored)
before each test; stopping uvicorn costs ~0.2 s. A test that parametrizes ``options``
gets a server of its own.
Clients use ``verify=False`` only because building a certificate store costs ~50 ms per
client and every URL here is plain http on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer


def fetch_token(client: httpx.Client, options: SandboxOptions, scope: str = "all") -> str:
    """A bearer token from the sandbox's token endpoint, credentials in the form body."""
    response = client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": options.halo_client_id,
            "client_secret": options.halo_client_secret,
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def options() -> SandboxOptions:
    """Default options; parametrize this fixture to get a server with other options."""
    return SandboxOptions()


@pytest.fixture
def server(options: SandboxOptions, request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    if options != SandboxOptions():
        with SandboxServer(options) as running:
            yield running
        return
    yield request.getfixturevalue("shared_sandbox")


@pytest.fixture
def anon(server: SandboxServer) -> Iterator[httpx.Client]:
    """An unauthenticated client whose base URL is the Halo emulation."""
    with httpx.Client(base_url=f"{server.url}/halopsa", timeout=10, verify=False) as client:
        yield client


@pytest.fixture
def token_for(anon: httpx.Client, server: SandboxServer) -> Callable[[str], str]:
    """Fetches a token with the given scope."""
    return lambda scope: fetch_token(anon, server.options, scope)


@pytest.fixture
def halo(anon: httpx.Client, server: SandboxServer) -> Iterator[httpx.Client]:
    """A client of the Halo emulation carrying a fresh bearer token."""
    token = fetch_token(anon, server.options)
    with httpx.Client(
        base_url=f"{server.url}/halopsa",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        verify=False,
    ) as client:
        yield client
