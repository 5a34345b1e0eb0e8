"""The sandbox application: every emulated API mounted under its own prefix, one request log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from rowpush.sandbox.clock import Clock, monotonic
from rowpush.sandbox.halopsa import api as halopsa
from rowpush.sandbox.halopsa.state import HaloState
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import RequestLog, RequestLogMiddleware

ConnectionFactory = Callable[[str, SandboxOptions], dict[str, str]]

CONNECTIONS: dict[str, ConnectionFactory] = {
    halopsa.NAME: halopsa.halopsa_connection,
}
"""Connection name -> its ``rowpush.toml`` section, given the server's root URL."""
PREFIXES: dict[str, str] = {halopsa.PREFIX: halopsa.NAME}
"""Mount prefix -> API name."""


@dataclass
class SandboxState:
    """What tests can reach through ``app.state.sandbox``."""

    options: SandboxOptions
    clock: Clock
    requests: RequestLog
    """Every request received, oldest first, credentials redacted."""
    halopsa: HaloState

    def reset(self) -> None:
        """Reseed every API and forget logged requests."""
        self.halopsa.reset()
        self.requests.clear()


def create_app(options: SandboxOptions | None = None, *, clock: Clock = monotonic) -> Starlette:
    """The sandbox as an ASGI app; ``clock`` drives token expiry and rate windows."""
    options = options or SandboxOptions()
    log = RequestLog(options.log_limit)
    halo_app, halo_state = halopsa.build_halopsa(options, clock)

    async def index(request: Request) -> Response:
        return JSONResponse(
            {"sandbox": "rowpush", "apis": {name: p for p, name in PREFIXES.items()}}
        )

    app = Starlette(
        routes=[Route("/", index), Mount(halopsa.PREFIX, app=halo_app)],
        middleware=[Middleware(RequestLogMiddleware, log=log, prefixes=PREFIXES)],
    )
    app.state.sandbox = SandboxState(options=options, clock=clock, requests=log, halopsa=halo_state)
    return app
