"""Assembles the HaloPSA emulation: routes behind case folding and the vendor's gateway."""

from __future__ import annotations

from starlette.routing import Router
from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.gateway import Gateway
from rowpush.sandbox.halopsa.errors import rate_limited
from rowpush.sandbox.halopsa.routes import halo_routes
from rowpush.sandbox.halopsa.state import KIND_PATHS, HaloState
from rowpush.sandbox.options import HALO_300_PER_5_MIN, SandboxOptions
from rowpush.sandbox.paths import CaseInsensitivePaths
from rowpush.sandbox.registry import SandboxApi

NAME = "halopsa"
PREFIX = "/halopsa"


def build_halopsa(options: SandboxOptions, clock: Clock) -> tuple[dict[str, ASGIApp], HaloState]:
    """The ASGI app to mount at ``PREFIX`` and the tenant state behind it."""
    state = HaloState.seeded(options, clock)
    router = Router(routes=halo_routes(state, list(KIND_PATHS)), redirect_slashes=False)
    app = Gateway(
        CaseInsensitivePaths(router),
        options=options,
        limiter=state.limiter,
        dice=state.dice,
        too_many=rate_limited,
        throttle_window=HALO_300_PER_5_MIN,  # the window quoted in real 429 bodies
        own_window=lambda: options.halo_rate_window,  # a rolling window, when limits are on
    )
    return {PREFIX: app}, state


def halopsa_connection(base_url: str, options: SandboxOptions) -> dict[str, str]:
    """The ``rowpush.toml`` connection for this emulation at server root ``base_url``."""
    return {
        "api": NAME,
        "base_url": f"{base_url.rstrip('/')}{PREFIX}",
        "client_id": options.halo_client_id,
        "client_secret": options.halo_client_secret,
    }


SANDBOX_API = SandboxApi(name=NAME, build=build_halopsa, connection=halopsa_connection)
