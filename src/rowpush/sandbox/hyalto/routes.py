"""Hyalto's routes: the token exchange (documented) and the guide's read-only resources.

``/accountManagement/accounts``, ``/serviceOfferings/accounts/{id}/services/`` (trailing
slash as in the guide) and ``/reports/usage/service/{id}``. Ids are integers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from rowpush.sandbox.hyalto.auth import issue_token, require_token
from rowpush.sandbox.hyalto.errors import HyaltoError, error_response
from rowpush.sandbox.hyalto.options import HyaltoOptions
from rowpush.sandbox.hyalto.paging import NUMBER, SIZE, paged
from rowpush.sandbox.hyalto.state import HyaltoState
from rowpush.sandbox.hyalto.usage import FROM, TO, matching, period
from rowpush.sandbox.requestlog import note

Handler = Callable[[Request, HyaltoState], Awaitable[Response]]
SERVICES = "/serviceOfferings/accounts/{account_id:int}/services"


def hyalto_routes(state: HyaltoState) -> list[BaseRoute]:
    def route(path: str, handler: Handler, method: str = "GET") -> Route:
        return Route(path, _bind(handler, state), methods=[method])

    return [
        route("/accountManagement/auth/token", issue_token, "POST"),
        route("/accountManagement/accounts", _accounts),
        route(f"{SERVICES}/", _services),
        route(SERVICES, _services_without_slash),
        route("/reports/usage/service/{service_id:int}", _usage),
    ]


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope["path"][len(scope.get("root_path", "")) :]
    await error_response(404, f"No route for {scope['method']} {path}")(scope, receive, send)


def _bind(handler: Handler, state: HyaltoState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, state)
        except HyaltoError as error:
            note(request.scope, f"answered {error.status}: {error.message}")
            return error.response()

    return endpoint


async def _accounts(request: Request, state: HyaltoState) -> Response:
    require_token(request, state, "accounts")
    _note_unknown(request, (NUMBER, SIZE))
    accounts = [_account_view(a, state.settings) for a in state.accounts.values()]
    return _list(request, accounts, state.settings)


async def _services(request: Request, state: HyaltoState) -> Response:
    require_token(request, state, "services")
    account_id: int = request.path_params["account_id"]
    if account_id not in state.accounts:
        raise HyaltoError(404, f"Account {account_id} not found")
    _note_unknown(request, (NUMBER, SIZE))
    services = [_service_view(s, state.settings) for s in state.services[account_id]]
    return _list(request, services, state.settings)


async def _services_without_slash(request: Request, state: HyaltoState) -> Response:
    if state.settings.strict_trailing_slash:
        path = request.url.path[len(request.scope.get("root_path", "")) :]
        raise HyaltoError(404, f"No route for GET {path}")
    return await _services(request, state)


async def _usage(request: Request, state: HyaltoState) -> Response:
    require_token(request, state, "usage")
    settings = state.settings
    service_id: int = request.path_params["service_id"]
    if service_id not in state.usage:
        raise HyaltoError(404, f"Service {service_id} not found")
    _note_unknown(request, (NUMBER, SIZE, FROM, TO))
    start, end = period(request.query_params, settings.require_usage_filters)
    records = matching(state.usage[service_id], start, end, settings.filter_match)
    account = state.accounts[state.owners[service_id]]
    if settings.list_shape == "bare":
        _bare_note(request)
        return JSONResponse([{**r, "currency": account["currency"]} for r in records])
    report = {
        "serviceId": service_id,
        "from": request.query_params.get(FROM),
        "to": request.query_params.get(TO),
        "currency": account["currency"],
        **paged(request, records, settings, _noter(request)),
        "total": round(sum(r["cost"] for r in records), 2),
    }
    return JSONResponse(report)


def _list(request: Request, items: list[dict[str, Any]], settings: HyaltoOptions) -> Response:
    """A list answer in the configured shape: ``{"data": [...]}`` (paged) or a bare array."""
    if settings.list_shape == "bare":
        _bare_note(request)
        return JSONResponse(items)
    return JSONResponse(paged(request, items, settings, _noter(request)))


def _bare_note(request: Request) -> None:
    if NUMBER in request.query_params or SIZE in request.query_params:
        note(request.scope, "page parameters ignored: lists are bare arrays")


def _account_view(account: dict[str, Any], settings: HyaltoOptions) -> dict[str, Any]:
    """An account with its name where ``record_fields`` puts it."""
    if settings.record_fields == "notes":
        return account
    return {("companyName" if k == "name" else k): v for k, v in account.items()}


def _service_view(service: dict[str, Any], settings: HyaltoOptions) -> dict[str, Any]:
    """A service with its kind where ``record_fields`` puts it."""
    if settings.record_fields == "notes":
        return service
    view = {k: v for k, v in service.items() if k != "serviceType"}
    return {**view, "metaData": {"type": service.get("serviceType")}}


def _noter(request: Request) -> Callable[[str], None]:
    return lambda text: note(request.scope, text)


def _note_unknown(request: Request, known: tuple[str, ...]) -> None:
    for name in request.query_params:
        if name not in known:
            note(request.scope, f"unknown query parameter {name!r} ignored")
