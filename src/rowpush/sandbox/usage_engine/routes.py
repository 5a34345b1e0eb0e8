"""Usage Engine's routes: the token call, meter types and meters under ``/usage-metering/v1``.

Each path answers every method itself, so a wrong method is a JSON 405 (documented code)
naming the allowed ones, and an unknown path a JSON 404. Paths are case-sensitive and a
trailing slash is not redirected, as at an API gateway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from rowpush.sandbox.requestlog import note
from rowpush.sandbox.usage_engine.auth import issue_token, require_token
from rowpush.sandbox.usage_engine.bodies import json_object, read_body
from rowpush.sandbox.usage_engine.errors import UEError, message_response
from rowpush.sandbox.usage_engine.options import ue_options
from rowpush.sandbox.usage_engine.state import UsageEngineState

Handler = Callable[[Request, UsageEngineState], Awaitable[Response]]

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
METERING = "/usage-metering/v1"


def ue_routes(state: UsageEngineState) -> list[BaseRoute]:
    """Every route of the account."""
    return [
        _route("/authentication/v1/oauth/token", state, {"POST": issue_token}),
        _route(f"{METERING}/meter-types", state, {"GET": _list_meter_types, "POST": _create_type}),
        _route(
            f"{METERING}/meter-types/{{item_id}}",
            state,
            {"GET": _get_meter_type, "DELETE": _delete_meter_type},
            update=_update_meter_type,
        ),
        _route(f"{METERING}/meters", state, {"GET": _list_meters, "POST": _create_meter}),
        _route(
            f"{METERING}/meters/{{item_id}}",
            state,
            {"GET": _get_meter, "DELETE": _delete_meter},
            update=_update_meter,
        ),
    ]


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's answer for a path it does not know."""
    await message_response(404, "Not found")(scope, receive, send)


def _route(
    path: str,
    state: UsageEngineState,
    handlers: Mapping[str, Handler],
    *,
    update: Handler | None = None,
) -> Route:
    async def endpoint(request: Request) -> Response:
        options = ue_options(state.options)
        allowed = dict(handlers)
        if update is not None:
            for method in options.update_methods:
                allowed.setdefault(method, update)
        handler = allowed.get(request.method)
        try:
            if handler is None:
                raise UEError(405, "Method not allowed", {"Allow": ", ".join(sorted(allowed))})
            if request.method in ("POST", "PUT", "PATCH"):
                await read_body(request, options)  # 413 before anything else looks at it
            return await handler(request, state)
        except UEError as error:
            note(request.scope, f"answered {error.status}: {error.message}")
            return error.response()

    return Route(path, endpoint, methods=ALL_METHODS)


def _query(request: Request, *names: str) -> list[str | None]:
    """The values of ``names`` (None when absent or empty); other parameters are noted."""
    for sent in request.query_params:
        if sent not in names:
            note(request.scope, f"query parameter {sent!r} ignored")
    return [request.query_params.get(name) or None for name in names]


def _log(request: Request) -> Callable[[str], None]:
    return lambda text: note(request.scope, text)


async def _list_meter_types(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    (name,) = _query(request, "name")
    return JSONResponse({"meterTypes": state.metering.list_meter_types(name)})


async def _create_type(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    body = await json_object(request, options)
    created = state.metering.create_meter_type(body, options, _log(request))
    return JSONResponse(created, status_code=options.create_status)


async def _get_meter_type(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    metering = state.metering
    return JSONResponse(metering.type_view(metering.meter_type(request.path_params["item_id"])))


async def _update_meter_type(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    type_id = request.path_params["item_id"]
    state.metering.meter_type(type_id)  # 404 before the body is judged
    body = await json_object(request, options)
    return JSONResponse(state.metering.update_meter_type(type_id, body, options, _log(request)))


async def _delete_meter_type(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    state.metering.delete_meter_type(request.path_params["item_id"], options)
    return Response(status_code=options.delete_status)


async def _list_meters(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    meter_type_id, meter_key = _query(request, "meterTypeId", "meterKey")
    return JSONResponse({"meters": state.metering.list_meters(meter_type_id, meter_key)})


async def _create_meter(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    body = await json_object(request, options)
    created = state.metering.create_meter(body, options, _log(request))
    return JSONResponse(created, status_code=options.create_status)


async def _get_meter(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    metering = state.metering
    return JSONResponse(metering.meter_view(metering.meter(request.path_params["item_id"])))


async def _update_meter(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    meter_id = request.path_params["item_id"]
    state.metering.meter(meter_id)
    body = await json_object(request, options)
    return JSONResponse(state.metering.update_meter(meter_id, body, options, _log(request)))


async def _delete_meter(request: Request, state: UsageEngineState) -> Response:
    require_token(request, state)
    options = ue_options(state.options)
    state.metering.delete_meter(request.path_params["item_id"])
    return Response(status_code=options.delete_status)
