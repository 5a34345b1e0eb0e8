"""m3ter access tokens: JWTs shaped like the documented sample, remembered after expiry.

An expired token must answer 403 with its own message, so issued tokens are kept (not
dropped on expiry like the shared ``TokenStore`` does) until the store is reset. The
signature is not RS256 (no key pair is published); clients cannot verify it anyway.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.m3ter.wallclock import WallClock

ISSUER = "https://m3ter.com/oauth2"
MAX_REMEMBERED = 100_000


class TokenStatus(Enum):
    LIVE = "live"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IssuedToken:
    """One issued token and its claims."""

    value: str
    org_id: str
    subject: str
    expires_at: float
    """On the sandbox clock (monotonic seconds)."""


class AccessTokens:
    """Issues tokens and classifies presented ones as live, expired or unknown."""

    def __init__(self, clock: Clock, wall: WallClock) -> None:
        self._clock = clock
        self._wall = wall
        self._issued: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue(self, org_id: str, subject: str, ttl: int) -> IssuedToken:
        """A new JWT valid for ``ttl`` seconds from now."""
        iat = int(self._wall.epoch())
        header = {"typ": "JWT", "pt": "service", "alg": "RS256", "kid": f"serviceUser_{org_id}"}
        claims: dict[str, Any] = {
            "sub": subject,
            "permissions": ["ADMINISTRATOR"],
            "iss": ISSUER,
            "iat": iat,
            "exp": iat + ttl,
            "orgId": org_id,
            "jti": secrets.token_hex(8),
        }
        value = ".".join(
            (_b64(_compact(header)), _b64(_compact(claims)), _b64(secrets.token_bytes(32)))
        )
        token = IssuedToken(value, org_id, subject, self._clock() + ttl)
        with self._lock:
            if len(self._issued) >= MAX_REMEMBERED:
                self._issued.clear()
            self._issued[value] = token
        return token

    def check(self, value: str) -> tuple[TokenStatus, IssuedToken | None]:
        """Whether ``value`` is a live token of ours, an expired one, or not ours at all."""
        with self._lock:
            token = self._issued.get(value)
        if token is None:
            return TokenStatus.UNKNOWN, None
        if self._clock() >= token.expires_at:
            return TokenStatus.EXPIRED, token
        return TokenStatus.LIVE, token

    def revoke_all(self) -> None:
        """Forget every token (they become unknown)."""
        with self._lock:
            self._issued.clear()

    def __len__(self) -> int:
        return len(self._issued)


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
