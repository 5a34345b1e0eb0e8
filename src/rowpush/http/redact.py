"""`Redactor`: keeps secrets out of any text rowpush shows or writes.

APIs echo what they were sent: an error body may quote the Authorization header,
the API key, the token. The redactor knows the connection's secrets and learns
every credential that goes out in a request header (tokens appear mid-run), so a
message from the API can be cleaned before it reaches a terminal, a journal or a
results workbook.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable

import httpx

__all__ = ["MASK", "Redactor"]

MASK = "***"
MIN_SECRET = 6
"""Shorter values are not masked: they would mangle ordinary words, and are no secret."""
_CREDENTIAL_HEADER = re.compile(r"auth|key|token|secret|signature|cookie", re.IGNORECASE)
_SCHEME = re.compile(r"^(Bearer|Basic|Token|JWT)\s+", re.IGNORECASE)


class Redactor:
    """Replaces every known secret (and its Basic and URL-encoded forms) with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Mask `secret` from now on, with its base64 and URL-encoded forms."""
        secret = secret.strip()
        if len(secret) < MIN_SECRET:
            return
        forms = {secret, str(httpx.QueryParams({"x": secret}))[2:]}  # and as in a form body
        with self._lock:
            before = len(self._secrets)
            self._secrets.update(f for f in forms if len(f) >= MIN_SECRET)
            if len(self._secrets) != before:
                self._pattern = None

    def add_basic(self, user: str, password: str) -> None:
        """Mask the Basic form of `user:password` (and the password alone)."""
        self.add(password)
        self.add(base64.b64encode(f"{user}:{password}".encode()).decode())

    def learn(self, request: httpx.Request) -> None:
        """Mask the credentials this request carries in its headers."""
        for name, value in request.headers.items():
            if _CREDENTIAL_HEADER.search(name):
                self.add(value)
                self.add(_SCHEME.sub("", value))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        pattern = self._compiled()
        return text if pattern is None else pattern.sub(MASK, text)

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                ordered = sorted(self._secrets, key=len, reverse=True)  # longest first
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            return self._pattern
