"""Assembles the Hyalto emulation: routes behind the vendor's gateway, and its connection."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Router
from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.gateway import Gateway
from rowpush.sandbox.hyalto.errors import rate_limited
from rowpush.sandbox.hyalto.options import NAME, hyalto_options
from rowpush.sandbox.hyalto.routes import hyalto_routes, not_found
from rowpush.sandbox.hyalto.state import HyaltoState
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.registry import SandboxApi

PREFIX = "/hyalto"


def build_hyalto(options: SandboxOptions, clock: Clock) -> tuple[dict[str, ASGIApp], HyaltoState]:
    """The ASGI app to mount at ``PREFIX`` and the state behind it."""
    state = HyaltoState.seeded(options, clock)
    router = Router(routes=hyalto_routes(state), redirect_slashes=False, default=not_found)

    def too_many(window: RateWindow) -> Response:
        return rate_limited()

    app = Gateway(
        router, options=options, limiter=state.limiter, dice=state.dice, too_many=too_many
    )
    return {PREFIX: app}, state


def hyalto_connection(base_url: str, options: SandboxOptions) -> dict[str, str]:
    """The ``rowpush.toml`` connection for this emulation at server root ``base_url``."""
    settings = hyalto_options(options)
    return {
        "api": NAME,
        "base_url": f"{base_url.rstrip('/')}{PREFIX}",
        "access_key": settings.access_key,
        "secret_key": settings.secret_key,
    }


SANDBOX_API = SandboxApi(name=NAME, build=build_hyalto, connection=hyalto_connection)
