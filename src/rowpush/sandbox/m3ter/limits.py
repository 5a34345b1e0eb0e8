"""m3ter's own rate limits, behind the shared gateway: per source IP and per organisation.

Each host has one ``VendorLimits``; its windows come from ``M3terOptions`` on every
request (None: off). The per-IP window counts every request to the host; the per-org
window counts requests whose path names an organisation, per organisation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.limiter import RollingWindowLimiter, retry_after_seconds
from rowpush.sandbox.options import RateWindow
from rowpush.sandbox.requestlog import note

ORG_IN_PATH = re.compile(r"/organizations/([^/]+)")


class KeyedLimiters:
    """One rolling-window limiter per key (an IP address, an organisation id)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._limiters: dict[str, RollingWindowLimiter] = {}

    def admit(self, key: str, window: RateWindow) -> float | None:
        """Admit one request for ``key``, or the seconds until it could be admitted."""
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RollingWindowLimiter(self._clock)
        return limiter.admit(window)

    def reset(self) -> None:
        self._limiters.clear()


Windows = Callable[[], tuple[RateWindow | None, RateWindow | None]]
"""-> (per-IP window, per-org window) for this request."""


class VendorLimits:
    """ASGI wrapper answering 429 when a per-IP or per-org window is full."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiters: KeyedLimiters,
        windows: Windows,
        retry_after: Callable[[], bool],
        too_many: Callable[[], Response],
    ) -> None:
        self.app = app
        self.limiters = limiters
        self.windows = windows
        self.retry_after = retry_after
        self.too_many = too_many

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait, why = self._admit(scope)
            if wait is not None:
                note(scope, f"rate limited: {why}")
                response = self.too_many()
                if self.retry_after():
                    response.headers["Retry-After"] = str(retry_after_seconds(wait))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _admit(self, scope: Scope) -> tuple[float | None, str]:
        ip_window, org_window = self.windows()
        if ip_window is not None:
            client = scope.get("client")
            ip = client[0] if client else "unknown"
            wait = self.limiters.admit(f"ip:{ip}", ip_window)
            if wait is not None:
                return wait, f"{ip_window.limit} per {ip_window.seconds:g}s per IP"
        match = ORG_IN_PATH.search(scope["path"])
        if org_window is not None and match is not None:
            wait = self.limiters.admit(f"org:{match.group(1)}", org_window)
            if wait is not None:
                return wait, f"{org_window.limit} per {org_window.seconds:g}s per organization"
        return None, ""
