"""The vendor's edge in front of each emulated API: latency, rate limit, injected faults.

Order matters and mirrors a real gateway: the delay applies to every answer, the limiter
counts every request that reaches the API (token calls included), then one roll of the
fault dice decides the request's fate. A 5xx, a throttle answer or a timeout is decided
before the API's own code runs, so it never changes state; a dropped connection comes
after the API has answered, so the change landed but the client cannot know it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rowpush.sandbox.faults import Fault, FaultDice, FaultKind
from rowpush.sandbox.limiter import RollingWindowLimiter, retry_after_seconds
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.requestlog import note

INJECTED_RETRY_AFTER = 1
"""Seconds of ``Retry-After`` on an injected throttle answer."""
INJECTED_THROTTLE_WINDOW = RateWindow(1, 1.0)
"""The window an injected throttle answer names when no rate limit is configured."""
TIMEOUT_STATUS = 504
"""What a hung request is answered once ``hang_seconds`` pass, if the client still waits."""
BODYLESS_STATUSES = frozenset({204, 304})
"""Statuses whose head ends the message: a drop sends 200 instead, so a body is expected."""
SERVER_LOGGER = "uvicorn.error"


def plain_fault(status: int) -> Response:
    """A bare gateway error page, as a load balancer would send."""
    return PlainTextResponse(f"{status} {HTTPStatus(status).phrase}", status_code=status)


class ConnectionDropped(Exception):
    """Raised after half an answer is sent: the server then closes the connection.

    Uvicorn closes the TCP connection when the app raises after the response started;
    nothing else in ASGI lets an app cut a connection.
    """


class Gateway:
    """ASGI wrapper applying ``SandboxOptions`` latency, rate limit and faults to one API.

    ``too_many`` is the API's own throttle answer (used by the limiter and by injected
    throttles), ``fault`` its 5xx answer (injected errors, and 504 after a timeout).
    ``own_window`` is the vendor's published limit, enforced when no shared window is
    set (``SandboxOptions.vendor_limits``); None where the sandbox knows none.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        options: SandboxOptions,
        limiter: RollingWindowLimiter,
        dice: FaultDice,
        too_many: Callable[[RateWindow], Response],
        fault: Callable[[int], Response] = plain_fault,
        throttle_window: RateWindow = INJECTED_THROTTLE_WINDOW,
        own_window: Callable[[], RateWindow | None] | None = None,
    ) -> None:
        self.app = app
        self.options = options
        self.limiter = limiter
        self.dice = dice
        self.too_many = too_many
        self.fault = fault
        self.throttle_window = throttle_window
        self.own_window = own_window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.options.latency_ms > 0:
            await asyncio.sleep(self.options.latency_ms / 1000)
        window = self.window()
        if window is not None:
            wait = self.limiter.admit(window)
            if wait is not None:
                note(scope, f"rate limited: {window.limit} per {window.seconds:g}s")
                await self._throttle(window, retry_after_seconds(wait))(scope, receive, send)
                return
        fault = self.dice.roll(self.options)
        if fault is None:
            await self.app(scope, receive, send)
        else:
            await self._inject(fault, scope, receive, send)

    async def _inject(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.kind is FaultKind.ERROR:
            assert fault.status is not None
            note(scope, f"injected fault {fault.status}")
            await self.fault(fault.status)(scope, receive, send)
        elif fault.kind is FaultKind.THROTTLE:
            window = self.window() or self.throttle_window
            response = self._throttle(window, INJECTED_RETRY_AFTER)
            note(scope, f"injected throttle {response.status_code}")
            await response(scope, receive, send)
        elif fault.kind is FaultKind.TIMEOUT:
            seconds = self.options.hang_seconds
            note(scope, f"injected timeout {seconds:g}s")
            if await client_left_within(receive, seconds):
                note(scope, "client disconnected while the request hung")
                return
            await self.fault(TIMEOUT_STATUS)(scope, receive, send)
        else:
            await answer_then_drop(self.app, scope, receive, send)

    def window(self) -> RateWindow | None:
        """The window enforced now: the shared one, else the vendor's own when on."""
        shared = self.options.window()
        if shared is not None or self.own_window is None or not self.options.vendor_limits:
            return shared
        return self.own_window()

    def _throttle(self, window: RateWindow, retry_after: int) -> Response:
        response = self.too_many(window)
        if self.options.retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response


async def client_left_within(receive: Receive, seconds: float) -> bool:
    """Wait ``seconds``; True as soon as the client disconnects, False if it still waits.

    The request body was already read (by the request log), so the next message the
    server can give is ``http.disconnect``.
    """

    async def disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnect(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def answer_then_drop(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Let ``app`` handle the request in full, send the head and half the body, then cut.

    The client gets a head and part of a body, never the rest: httpx raises
    ``RemoteProtocolError`` (``ReadError`` if the close arrives as a reset), and cannot
    tell whether the change landed. It did.
    """
    head: Message | None = None
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal head
        if message["type"] == "http.response.start":
            head = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    status = 500 if head is None else int(head["status"])
    note(scope, f"injected drop after {status}")
    body = b"".join(chunks)
    headers = [
        (name, value)
        for name, value in ([] if head is None else head.get("headers", []))
        if name.lower() not in (b"content-length", b"transfer-encoding")
    ]
    # Declare at least one byte, so even an empty answer is left unfinished.
    headers.append((b"content-length", str(max(len(body), 1)).encode()))
    await send(
        {
            "type": "http.response.start",
            "status": 200 if status in BODYLESS_STATUSES else status,
            "headers": headers,
        }
    )
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    raise ConnectionDropped(f"{scope['method']} {scope['path']}: dropped after {status}")


class HideDroppedConnections(logging.Filter):
    """Keeps injected drops out of the server log: they are meant, not crashes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionDropped)


def hide_dropped_connections() -> None:
    """Install ``HideDroppedConnections`` on uvicorn's error log (once)."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, HideDroppedConnections) for f in logger.filters):
        logger.addFilter(HideDroppedConnections())
