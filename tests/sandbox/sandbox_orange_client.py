"""Helpers for the Orange sandbox tests: tokens, and clients carrying Orange's headers.

``verify=False`` only saves building a certificate store per client: every URL is plain
http on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from rowpush.sandbox.orange.options import OrangeOptions, orange_options
from rowpush.sandbox.server import SandboxServer

API_PATH = "/orange/cloud/b2b/v1"
TOKEN_PATH = "/orange/oauth/v3/token"
GRANT = {"grant_type": "client_credentials"}


def settings(server: SandboxServer) -> OrangeOptions:
    """The server's live Orange options."""
    return orange_options(server.options)


def first_contract(server: SandboxServer) -> str:
    return next(iter(server.state.orange.contracts))


def fetch_token(server: SandboxServer) -> str:
    """A bearer token, client credentials in a Basic header as Orange documents."""
    opts = settings(server)
    response = httpx.post(
        server.url + TOKEN_PATH,
        data=GRANT,
        auth=(opts.client_id, opts.client_secret),
        verify=False,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@contextmanager
def orange_client(
    server: SandboxServer, contract: str | None = None, *, token: str | None = None
) -> Iterator[httpx.Client]:
    """A client of ``/cloud/b2b/v1`` with a bearer token, the API key and, if given, the
    contract header."""
    headers = {
        "Authorization": f"Bearer {token or fetch_token(server)}",
        "X-API-Key": settings(server).api_key,
        "Accept": "application/json",
    }
    if contract is not None:
        headers["X-ECCS-Contract-Id"] = contract
    with httpx.Client(
        base_url=server.url + API_PATH, headers=headers, timeout=10, verify=False
    ) as client:
        yield client


def gateway_error(response: httpx.Response, status: int, code: int) -> str:
    """Asserts the gateway error shape; returns the description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "description"}
    assert body["code"] == code
    description: str = body["description"]
    return description
