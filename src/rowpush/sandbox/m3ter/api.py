"""Assembles the m3ter emulation: two hosts, each behind its own gateway and limits.

``/m3ter`` is ``https://api.m3ter.com`` (Config API and ``/oauth/token``) and
``/m3ter-ingest`` is ``https://ingest.m3ter.com``. Order on each host: latency, the shared
window, injected faults (all from ``SandboxOptions``), then m3ter's own windows
(``M3terOptions``), then the routes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.gateway import Gateway
from rowpush.sandbox.m3ter.errors import gateway_fault, message_response, too_many_requests
from rowpush.sandbox.m3ter.limits import VendorLimits
from rowpush.sandbox.m3ter.options import NAME, m3ter_options
from rowpush.sandbox.m3ter.routes import config_routes, ingest_routes
from rowpush.sandbox.m3ter.state import Host, M3terState
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.registry import SandboxApi

CONFIG_PREFIX = "/m3ter"
INGEST_PREFIX = "/m3ter-ingest"


def build_m3ter(options: SandboxOptions, clock: Clock) -> tuple[dict[str, ASGIApp], M3terState]:
    """The Config and Ingest apps by mount prefix, and the organisation behind them."""
    state = M3terState.seeded(options, clock)
    config = _host(state, config_routes(state), state.config_host, ingest=False)
    ingest = _host(state, ingest_routes(state), state.ingest_host, ingest=True)
    return {CONFIG_PREFIX: config, INGEST_PREFIX: ingest}, state


def _host(state: M3terState, routes: list[BaseRoute], host: Host, *, ingest: bool) -> ASGIApp:
    options = state.options

    def error_key() -> str:
        return m3ter_options(options).error_key

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = message_response(exc.status_code, exc.detail, error_key())
        response.headers.update(exc.headers or {})
        return response

    def windows() -> tuple[RateWindow | None, RateWindow | None]:
        opts = m3ter_options(options)
        return (opts.ingest_window if ingest else opts.config_window), opts.org_window

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.router.redirect_slashes = False  # a gateway does not redirect: /meters/ is 404
    limited = VendorLimits(
        app,
        limiters=host.vendor,
        windows=windows,
        retry_after=lambda: options.retry_after,
        too_many=lambda: too_many_requests(error_key()),
    )
    return Gateway(
        limited,
        options=options,
        limiter=host.limiter,
        dice=host.dice,
        too_many=lambda _window: too_many_requests(error_key()),
        fault=gateway_fault,
    )


def m3ter_connection(base_url: str, options: SandboxOptions) -> dict[str, str]:
    """The ``rowpush.toml`` connection for this emulation at server root ``base_url``."""
    root = base_url.rstrip("/")
    opts = m3ter_options(options)
    return {
        "api": NAME,
        "base_url": f"{root}{CONFIG_PREFIX}",
        "ingest_url": f"{root}{INGEST_PREFIX}",
        "org_id": opts.org_id,
        "access_key_id": opts.access_key_id,
        "api_secret": opts.api_secret,
    }


SANDBOX_API = SandboxApi(name=NAME, build=build_m3ter, connection=m3ter_connection)
