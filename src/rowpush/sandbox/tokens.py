"""Bearer tokens: random opaque strings that expire."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from rowpush.sandbox.clock import Clock


@dataclass(frozen=True)
class Token:
    """An issued access token and what it grants."""

    value: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class TokenStore:
    """Issues tokens and recognises live ones; expired tokens are forgotten."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}

    def issue(
        self, client_id: str, scopes: frozenset[str], ttl: float, *, value: str | None = None
    ) -> Token:
        """A new token valid for ``ttl`` seconds from now.

        ``value`` is the token string when the API mints its own (a JWT); it must be
        unguessable. By default a random opaque string.
        """
        self._forget_expired()
        value = value or secrets.token_urlsafe(32)
        token = Token(value, client_id, scopes, self._clock() + ttl)
        self._tokens[token.value] = token
        return token

    def lookup(self, value: str) -> Token | None:
        """The live token with this value, or None if unknown or expired."""
        token = self._tokens.get(value)
        if token is None:
            return None
        if self._clock() >= token.expires_at:
            del self._tokens[value]
            return None
        return token

    def revoke_all(self) -> None:
        """Invalidate every token (tests: force a re-authentication)."""
        self._tokens.clear()

    def __len__(self) -> int:
        return len(self._tokens)

    def _forget_expired(self) -> None:
        now = self._clock()
        for value in [v for v, t in self._tokens.items() if now >= t.expires_at]:
            del self._tokens[value]
