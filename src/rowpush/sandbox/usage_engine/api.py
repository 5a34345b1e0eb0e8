"""Assembles the Usage Engine emulation: its routes behind the vendor's gateway.

``/usage-engine`` stands for ``https://api.digitalroute.io``. Order: latency, the shared
window, injected faults (all from ``SandboxOptions``), then the routes; the token call's
own per-client window is checked by the token route.
"""

from __future__ import annotations

from starlette.routing import Router
from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.gateway import Gateway
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.registry import SandboxApi
from rowpush.sandbox.usage_engine.errors import gateway_fault, too_many_requests
from rowpush.sandbox.usage_engine.options import NAME, PREFIX, ue_options
from rowpush.sandbox.usage_engine.routes import not_found, ue_routes
from rowpush.sandbox.usage_engine.state import UsageEngineState


def build_usage_engine(
    options: SandboxOptions, clock: Clock
) -> tuple[dict[str, ASGIApp], UsageEngineState]:
    """The ASGI app to mount at ``PREFIX`` and the account behind it."""
    state = UsageEngineState.seeded(options, clock)
    router = Router(routes=ue_routes(state), redirect_slashes=False, default=not_found)
    app = Gateway(
        router,
        options=options,
        limiter=state.limiter,
        dice=state.dice,
        too_many=too_many_requests,
        fault=gateway_fault,
    )
    return {PREFIX: app}, state


def usage_engine_connection(base_url: str, options: SandboxOptions) -> dict[str, str]:
    """The ``rowpush.toml`` connection at server root ``base_url``; the token's audience is
    the ``base_url`` itself (the client's default)."""
    opts = ue_options(options)
    return {
        "api": NAME,
        "base_url": f"{base_url.rstrip('/')}{PREFIX}",
        "client_id": opts.client_id,
        "client_secret": opts.client_secret,
    }


SANDBOX_API = SandboxApi(name=NAME, build=build_usage_engine, connection=usage_engine_connection)
