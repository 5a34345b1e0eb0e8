"""The vendor's edge in front of each emulated API: latency, rate limit, injected faults.

Order matters and mirrors a real gateway: the delay applies to every answer, the limiter
counts every request that reaches the API (token calls included), and an injected fault
is answered before the API's own code runs, so it never changes state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.limiter import RollingWindowLimiter, retry_after_seconds
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.requestlog import note


def plain_fault(status: int) -> Response:
    """A bare gateway error page, as a load balancer would send."""
    return PlainTextResponse(f"{status} {HTTPStatus(status).phrase}", status_code=status)


class Gateway:
    """ASGI wrapper applying ``SandboxOptions`` latency, rate limit and fault rate to one API."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        options: SandboxOptions,
        limiter: RollingWindowLimiter,
        dice: FaultDice,
        too_many: Callable[[RateWindow], Response],
        fault: Callable[[int], Response] = plain_fault,
    ) -> None:
        self.app = app
        self.options = options
        self.limiter = limiter
        self.dice = dice
        self.too_many = too_many
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.options.latency_ms > 0:
            await asyncio.sleep(self.options.latency_ms / 1000)
        window = self.options.window()
        if window is not None:
            wait = self.limiter.admit(window)
            if wait is not None:
                note(scope, f"rate limited: {window.limit} per {window.seconds:g}s")
                response = self.too_many(window)
                if self.options.retry_after:
                    response.headers["Retry-After"] = str(retry_after_seconds(wait))
                await response(scope, receive, send)
                return
        status = self.dice.roll(self.options.fail_rate)
        if status is not None:
            note(scope, f"injected fault {status}")
            await self.fault(status)(scope, receive, send)
            return
        await self.app(scope, receive, send)
