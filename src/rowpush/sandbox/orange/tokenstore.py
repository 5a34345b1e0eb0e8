"""Opaque access tokens that remember their expiry, so an expired one is told from a forged one.

Orange's gateway answers code 42 "Expired credentials" for an expired token and code 41
for an unknown one; the shared ``TokenStore`` forgets expired tokens, hence this store.
"""

from __future__ import annotations

import secrets
from enum import Enum

from rowpush.sandbox.clock import Clock

FORGET_AFTER = 86_400.0
"""Seconds after expiry when a token is dropped (then it reads as unknown)."""


class TokenCheck(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class ExpiringTokens:
    """Issues random tokens and says whether a presented one is valid, expired or unknown."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self, ttl: float) -> str:
        """A new token valid for ``ttl`` seconds from now."""
        now = self._clock()
        for value in [v for v, at in self._expiry.items() if now >= at + FORGET_AFTER]:
            del self._expiry[value]
        value = secrets.token_urlsafe(32)
        self._expiry[value] = now + ttl
        return value

    def check(self, value: str) -> TokenCheck:
        expires_at = self._expiry.get(value)
        if expires_at is None:
            return TokenCheck.UNKNOWN
        return TokenCheck.VALID if self._clock() < expires_at else TokenCheck.EXPIRED

    def revoke_all(self) -> None:
        """Forget every token (tests: force a re-authentication)."""
        self._expiry.clear()

    def __len__(self) -> int:
        return len(self._expiry)
