"""Assembles the Orange emulation: routes behind the vendor's gateway, and its connection."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Router
from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.gateway import Gateway
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.orange.errors import throttled
from rowpush.sandbox.orange.options import NAME, orange_options
from rowpush.sandbox.orange.routes import API, not_found, orange_routes
from rowpush.sandbox.orange.seed import contract_ids
from rowpush.sandbox.orange.state import OrangeState
from rowpush.sandbox.registry import SandboxApi

PREFIX = "/orange"


def build_orange(options: SandboxOptions, clock: Clock) -> tuple[dict[str, ASGIApp], OrangeState]:
    """The ASGI app to mount at ``PREFIX`` and the state behind it."""
    state = OrangeState.seeded(options, clock)
    router = Router(routes=orange_routes(state), redirect_slashes=False, default=not_found)

    def too_many(window: RateWindow) -> Response:
        return throttled(state.settings.throttle_status)

    app = Gateway(
        router, options=options, limiter=state.limiter, dice=state.dice, too_many=too_many
    )
    return {PREFIX: app}, state


def orange_connection(base_url: str, options: SandboxOptions) -> dict[str, str]:
    """The ``rowpush.toml`` connection for this emulation at server root ``base_url``."""
    root = f"{base_url.rstrip('/')}{PREFIX}"
    settings = orange_options(options)
    return {
        "api": NAME,
        "base_url": f"{root}{API}",
        "oauth_url": f"{root}/oauth/v3",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "api_key": settings.api_key,
        "contract_id": contract_ids(options.seed, settings.contracts)[0],
    }


SANDBOX_API = SandboxApi(name=NAME, build=build_orange, connection=orange_connection)
