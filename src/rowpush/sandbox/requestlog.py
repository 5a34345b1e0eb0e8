"""The request log: what every client sent, so tests can assert it exactly.

Credentials never reach the log: the Authorization (and API key) header values and any
body field named like a secret or password are replaced by ``[REDACTED]``.

Bodies are kept as received and parsed only when read, so logging a 1,000-measurement
ingest costs nothing per measurement; the log keeps the bodies of its newest requests up
to ``BODY_BUDGET`` bytes in all (older entries keep everything else, their body becomes a
note saying how big it was).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDACTED = "[REDACTED]"
RECORDED_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "user-agent",
    "x-api-key",
    "x-eccs-contract-id",
)
"""Headers worth asserting on; others are not kept."""
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization"})
SECRET_KEY_PARTS = ("secret", "password")
SCOPE_KEY = "rowpush.sandbox.log_entry"
MAX_TEXT_BODY = 2_000
BODY_BUDGET = 64 * 1024 * 1024
"""Bytes of request bodies the log keeps in all (newest first), so memory stays bounded."""
PARSED_CACHE_LIMIT = 64 * 1024
"""A body up to this size is parsed once and kept parsed; a bigger one is parsed per read."""
_UNPARSED = object()


@dataclass
class LoggedRequest:
    """One request as received, and the status it was answered with."""

    api: str | None
    """Which emulated API it was for ("halopsa"), None outside every prefix."""
    method: str
    path: str
    """As sent, prefix included: ``/halopsa/api/Client``."""
    query: list[tuple[str, str]]
    """Query parameters in order, repeats kept."""
    headers: dict[str, str]
    """The ``RECORDED_HEADERS`` present, names lower-cased, secrets redacted."""
    raw_body: bytes | None = field(repr=False)
    """The body as received (never shown: it may hold a secret); None once dropped."""
    at: float
    """Wall-clock time it arrived (``time.time()``)."""
    status: int | None = None
    """Response status; None while in flight or if the app crashed before answering."""
    notes: list[str] = field(default_factory=list)
    """What the emulator ignored or noticed (unknown query parameters, unknown fields)."""
    body_size: int = 0
    """Bytes of the body as received (kept when the body itself is dropped)."""
    _parsed: Any = field(default=_UNPARSED, repr=False, compare=False)

    @property
    def body(self) -> Any:
        """Parsed JSON, a form as a dict, text, or None when empty; secrets redacted.

        A body the log no longer keeps (``BODY_BUDGET``) reads as a text saying so.
        """
        cached, raw = self._parsed, self.raw_body  # once each: the server may drop it now
        if cached is not _UNPARSED:
            return cached
        if raw is None:
            if not self.body_size:
                return None
            return f"[body of {self.body_size:,} bytes no longer kept by the request log]"
        parsed = _parse_body(raw, self.headers.get("content-type", ""))
        if self.body_size <= PARSED_CACHE_LIMIT:
            self._parsed = parsed
        return parsed

    def drop_body(self) -> None:
        """Forget the body (its size stays), to keep the log's memory bounded."""
        self.raw_body = None
        self._parsed = _UNPARSED

    @property
    def params(self) -> dict[str, str]:
        """Query parameters as a dict (the last of repeated names wins)."""
        return dict(self.query)


class RequestLog:
    """A bounded, thread-safe list of ``LoggedRequest`` (the server runs in another thread).

    At most ``limit`` entries, and at most ``body_budget`` bytes of their bodies: beyond
    it the oldest entries still holding a body drop it.
    """

    def __init__(self, limit: int = 10_000, body_budget: int = BODY_BUDGET) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)
        self._bodied: deque[LoggedRequest] = deque()
        """Entries still holding a body, oldest first (a subsequence of ``_entries``)."""
        self._body_bytes = 0
        self._body_budget = body_budget
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            entries, bodied = self._entries, self._bodied
            full = entries.maxlen is not None and len(entries) == entries.maxlen
            if full and bodied and bodied[0] is entries[0]:  # the leaving entry has a body
                self._body_bytes -= bodied.popleft().body_size
            entries.append(entry)
            if entry.raw_body:
                bodied.append(entry)
                self._body_bytes += entry.body_size
            while self._body_bytes > self._body_budget and len(bodied) > 1:
                oldest = bodied.popleft()
                self._body_bytes -= oldest.body_size
                oldest.drop_body()

    @property
    def body_bytes(self) -> int:
        """Bytes of request bodies the log holds now (at most its budget, or one body)."""
        with self._lock:
            return self._body_bytes

    def entries(self, api: str | None = None) -> list[LoggedRequest]:
        """A snapshot, oldest first; only one API's requests when ``api`` is given."""
        with self._lock:
            snapshot = list(self._entries)
        return [e for e in snapshot if api is None or e.api == api]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bodied.clear()
            self._body_bytes = 0

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._entries[index]


def note(scope: Scope, text: str) -> None:
    """Attach a remark to the log entry of the request being handled."""
    entry = scope.get(SCOPE_KEY)
    if isinstance(entry, LoggedRequest):
        entry.notes.append(text)


class RequestLogMiddleware:
    """ASGI middleware that records every HTTP request before the app sees it."""

    def __init__(self, app: ASGIApp, log: RequestLog, prefixes: Mapping[str, str]) -> None:
        self.app = app
        self.log = log
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # client went away; let the app see an empty body
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = _decode_headers(scope)
        entry = LoggedRequest(
            api=self._api_of(scope["path"]),
            method=scope["method"],
            path=scope["path"],
            query=parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            headers={k: v for k, v in headers.items() if k in RECORDED_HEADERS},
            raw_body=body or None,
            at=time.time(),
            body_size=len(body),
        )
        self.log.append(entry)
        scope[SCOPE_KEY] = entry
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, replay, record)

    def _api_of(self, path: str) -> str | None:
        for prefix, api in self.prefixes.items():
            if path == prefix or path.startswith(prefix + "/"):
                return api
        return None


def _decode_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = _redact_header(value) if name in SECRET_HEADERS else value
    return headers


def _redact_header(value: str) -> str:
    scheme, sep, _ = value.partition(" ")
    return f"{scheme} {REDACTED}" if sep else REDACTED


def _parse_body(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if "x-www-form-urlencoded" in content_type:
        return _redact(dict(parse_qsl(text, keep_blank_values=True)))
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return _redact(json.loads(text))
        except ValueError:
            pass
    return text[:MAX_TEXT_BODY]


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and any(part in key.lower() for part in SECRET_KEY_PARTS)
