"""HS256 JSON Web Tokens (RFC 7519) with the standard library: sign, and verify a signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

HEADER = {"typ": "JWT", "alg": "HS256"}
"""As in the decoded sample token (documented), in that order."""


class InvalidToken(Exception):
    """Not a well-formed JWT signed with our key."""


def encode(claims: dict[str, Any], key: str) -> str:
    """``header.claims.signature``, each base64url without padding."""
    signing_input = f"{_b64(_json(HEADER))}.{_b64(_json(claims))}"
    return f"{signing_input}.{_b64(_sign(signing_input, key))}"


def decode(token: str, key: str) -> dict[str, Any]:
    """The claims of a token whose HS256 signature matches ``key``; expiry is not checked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not three dot-separated parts")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError as error:
        raise InvalidToken(f"undecodable: {error}") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("alg is not HS256")
    if not hmac.compare_digest(signature, _sign(f"{parts[0]}.{parts[1]}", key)):
        raise InvalidToken("bad signature")
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not an object")
    return claims


def _sign(signing_input: str, key: str) -> bytes:
    return hmac.new(key.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(c not in _ALPHABET for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
