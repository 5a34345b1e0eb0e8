"""Helpers for the m3ter sandbox tests: tokens and clients aimed at the organisation.

Plain functions (not fixtures) so test modules can wrap them in fixtures of their own
without redefining imported names.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from rowpush.sandbox.m3ter.options import M3terOptions, m3ter_options
from rowpush.sandbox.server import SandboxServer

FORM = {"grant_type": "client_credentials"}


def m3ter_opts(server: SandboxServer) -> M3terOptions:
    """The server's live m3ter options (changes apply to the next request)."""
    return m3ter_options(server.options)


def basic_header(key_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def fetch_m3ter_token(server: SandboxServer) -> str:
    """A bearer token from ``/m3ter/oauth/token`` (Basic auth, form body)."""
    opts = m3ter_opts(server)
    response = httpx.post(
        f"{server.url}/m3ter/oauth/token",
        data=FORM,
        headers=basic_header(opts.access_key_id, opts.api_secret),
        verify=False,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@contextmanager
def org_client(
    server: SandboxServer, host: str = "m3ter", token: str | None = None
) -> Iterator[httpx.Client]:
    """A client whose base URL is ``{url}/{host}/organizations/{orgId}``, with a token."""
    token = token or fetch_m3ter_token(server)
    base = f"{server.url}/{host}/organizations/{m3ter_opts(server).org_id}"
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10, verify=False
    ) as client:
        yield client


def meter_body(code: str = "new_meter", **overrides: object) -> dict[str, object]:
    """A valid create-meter body."""
    body: dict[str, object] = {
        "code": code,
        "name": "New meter",
        "dataFields": [
            {"category": "WHO", "code": "user_id", "name": "User"},
            {"category": "MEASURE", "code": "units", "name": "Units", "unit": "{unit}"},
        ],
        "derivedFields": [],
        "customFields": {"owner": "tests"},
    }
    body.update(overrides)
    return body


def m3ter_body_copy(record: dict[str, object]) -> dict[str, object]:
    """A record as a client would PUT it back: everything it fetched, deep-copied."""
    return copy.deepcopy(record)
