"""Helpers for the Usage Engine sandbox tests: token bodies, tokens, clients, request bodies.

Plain functions (not fixtures) so test modules can wrap them in fixtures of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from rowpush.sandbox.server import SandboxServer
from rowpush.sandbox.usage_engine.options import UsageEngineOptions, ue_options

TOKEN_PATH = "/authentication/v1/oauth/token"
METER_TYPES = "/usage-metering/v1/meter-types"
METERS = "/usage-metering/v1/meters"
MONTHLY = {"minute": "0", "hour": "0", "day": "1", "month": "*", "weekday": "*"}


def ue_opts(server: SandboxServer) -> UsageEngineOptions:
    """The server's live Usage Engine options (changes apply to the next request)."""
    return ue_options(server.options)


def ue_base(server: SandboxServer) -> str:
    """The environment's base URL, as a client configures it."""
    return f"{server.url}/usage-engine"


def token_fields(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """A correct token call body (audience with its documented trailing slash)."""
    opts = ue_opts(server)
    fields: dict[str, Any] = {
        "client_id": opts.client_id,
        "client_secret": opts.client_secret,
        "grant_type": "client_credentials",
        "audience": ue_base(server) + "/",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def fetch_ue_token(server: SandboxServer) -> str:
    """A bearer token from the token call (JSON body)."""
    response = httpx.post(
        ue_base(server) + TOKEN_PATH, json=token_fields(server), verify=False, timeout=10
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@contextmanager
def ue_client(server: SandboxServer, token: str | None = None) -> Iterator[httpx.Client]:
    """A client of the emulation, carrying ``token`` when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(
        base_url=ue_base(server), headers=headers, timeout=10, verify=False
    ) as client:
        yield client


def meter_type_body(name: str = "Pay-Per-Scan", **extra: Any) -> dict[str, Any]:
    """The documented create body, renamed."""
    return {
        "name": name,
        "description": "Pages scanned per customer and month",
        "unit": "pages",
        "category": "Printing",
        "aggregation": {"type": "sum"},
        "resetSchedule": dict(MONTHLY),
        "timezone": "Etc/UTC",
        **extra,
    }
