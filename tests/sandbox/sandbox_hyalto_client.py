"""Helpers for the Hyalto sandbox tests: the key-pair exchange, JWT decoding, clients."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from rowpush.sandbox.hyalto.options import HyaltoOptions, hyalto_options
from rowpush.sandbox.server import SandboxServer

TOKEN_PATH = "/accountManagement/auth/token"


def settings(server: SandboxServer) -> HyaltoOptions:
    return hyalto_options(server.options)


def base_url(server: SandboxServer) -> str:
    return f"{server.url}/hyalto"


def key_pair(server: SandboxServer) -> dict[str, str]:
    opts = settings(server)
    return {"accessKey": opts.access_key, "secretKey": opts.secret_key}


def fetch_token(server: SandboxServer) -> str:
    response = httpx.post(base_url(server) + TOKEN_PATH, json=key_pair(server), verify=False)
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


@contextmanager
def hyalto_client(server: SandboxServer, token: str | None = None) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token or fetch_token(server)}"}
    with httpx.Client(
        base_url=base_url(server), headers=headers, timeout=10, verify=False
    ) as client:
        yield client


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """(header, claims, signature), without verifying anything."""
    header, claims, signature = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(claims)), unb64url(signature)


def hs256_signature(signing_input: str, key: str) -> bytes:
    return hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()


def sign(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    """A JWT signed here, independently of the sandbox's code."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(hs256_signature(f'{head}.{body}', key))}"


def error_of(response: httpx.Response, status: int) -> str:
    """Asserts Hyalto's ``{"error", "message"}`` shape; returns the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    message: str = body["message"]
    return message
