"""The sandbox application: every emulated API mounted under its own prefix, one request log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from rowpush.sandbox.clock import Clock, monotonic
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.registry import ConnectionFactory, discover
from rowpush.sandbox.requestlog import RequestLog, RequestLogMiddleware

if TYPE_CHECKING:
    from rowpush.sandbox.halopsa.state import HaloState

APIS = discover()
CONNECTIONS: dict[str, ConnectionFactory] = {api.name: api.connection for api in APIS}
"""Connection name -> its ``rowpush.toml`` section, given the server's root URL."""


@dataclass
class SandboxState:
    """What tests can reach through ``app.state.sandbox``: ``state.halopsa``, ``state.m3ter``…"""

    options: SandboxOptions
    clock: Clock
    requests: RequestLog
    """Every request received, oldest first, credentials redacted."""
    apis: dict[str, Any] = field(default_factory=dict)
    """API name -> that API's state (records, tokens, limiter)."""

    @property
    def halopsa(self) -> HaloState:
        state: HaloState = self.apis["halopsa"]
        return state

    def __getattr__(self, name: str) -> Any:
        apis = self.__dict__.get("apis", {})
        key = name.replace("_", "-")
        for candidate in (name, key):
            if candidate in apis:
                return apis[candidate]
        raise AttributeError(name)

    def reset(self) -> None:
        """Reseed every API and forget logged requests."""
        for state in self.apis.values():
            state.reset()
        self.requests.clear()


def create_app(options: SandboxOptions | None = None, *, clock: Clock = monotonic) -> Starlette:
    """The sandbox as an ASGI app; ``clock`` drives token expiry and rate windows."""
    options = options or SandboxOptions()
    log = RequestLog(options.log_limit)
    routes: list[BaseRoute] = []
    prefixes: dict[str, str] = {}
    states: dict[str, Any] = {}
    for api in APIS:
        mounts, state = api.build(options, clock)
        states[api.name] = state
        for prefix, asgi in mounts.items():
            routes.append(Mount(prefix, app=asgi))
            prefixes[prefix] = api.name

    async def index(request: Request) -> Response:
        mounted: dict[str, list[str]] = {}
        for prefix, name in prefixes.items():
            mounted.setdefault(name, []).append(prefix)
        return JSONResponse({"sandbox": "rowpush", "apis": mounted})

    app = Starlette(
        routes=[Route("/", index), *routes],
        middleware=[Middleware(RequestLogMiddleware, log=log, prefixes=prefixes)],
    )
    app.state.sandbox = SandboxState(options=options, clock=clock, requests=log, apis=states)
    return app
