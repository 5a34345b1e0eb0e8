"""The routes of both hosts: Config API (token, records, org config, events) and Ingest API.

Paths are case-sensitive and a trailing slash is a different path (404), as behind an
API gateway. Every error is answered as ``{"message": ...}`` except the token endpoint's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rowpush.sandbox.m3ter.auth import authorize, issue_token
from rowpush.sandbox.m3ter.bodies import json_body
from rowpush.sandbox.m3ter.errors import M3terAnswer, M3terError
from rowpush.sandbox.m3ter.events import EVENT_FILTERS
from rowpush.sandbox.m3ter.ingest import submit_measurements
from rowpush.sandbox.m3ter.listing import list_page
from rowpush.sandbox.m3ter.state import KINDS, M3terState
from rowpush.sandbox.requestlog import note

Handler = Callable[[Request, M3terState], Awaitable[Response]]
ORG = "/organizations/{org_id}"


def config_routes(state: M3terState) -> list[BaseRoute]:
    """``/oauth/token`` and everything under ``/organizations/{orgId}`` on the Config host."""
    routes: list[BaseRoute] = [
        Route("/oauth/token", _bind(issue_token, state), methods=["POST"]),
        Route(f"{ORG}/organizationconfig", _bind(_get_org_config, state), methods=["GET"]),
        Route(f"{ORG}/organizationconfig", _bind(_put_org_config, state), methods=["PUT"]),
        Route(f"{ORG}/events", _bind(_list_events, state), methods=["GET"]),
        Route(f"{ORG}/events/{{record_id}}", _bind(_get_event, state), methods=["GET"]),
    ]
    for kind in KINDS:
        many, one = f"{ORG}/{kind.path}", f"{ORG}/{kind.path}/{{record_id}}"
        routes += [
            Route(many, _bind(_list(kind.path), state), methods=["GET"]),
            Route(many, _bind(_create(kind.path), state), methods=["POST"]),
            Route(one, _bind(_get(kind.path), state), methods=["GET"]),
            Route(one, _bind(_replace(kind.path), state), methods=["PUT"]),
            Route(one, _bind(_delete(kind.path), state), methods=["DELETE"]),
        ]
    return routes


def ingest_routes(state: M3terState) -> list[BaseRoute]:
    return [Route(f"{ORG}/measurements", _bind(submit_measurements, state), methods=["POST"])]


def _bind(handler: Handler, state: M3terState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, state)
        except M3terAnswer as answer:
            note(request.scope, f"answered {type(answer).__name__}: {answer}")
            return answer.response(state.m3ter.error_key)

    return endpoint


def _list(path: str) -> Handler:
    async def handle(request: Request, state: M3terState) -> Response:
        authorize(request, state)
        store = state.stores[path]
        page = list_page(
            store.records.values(),
            request.query_params.multi_items(),
            scope=path,
            filters=store.kind.filters,
            max_page_size=store.kind.max_page_size or state.m3ter.max_page_size,
            options=state.m3ter,
            note=lambda text: note(request.scope, text),
        )
        return JSONResponse(page)

    return handle


def _get(path: str) -> Handler:
    async def handle(request: Request, state: M3terState) -> Response:
        authorize(request, state)
        return JSONResponse(state.stores[path].get(request.path_params["record_id"]))

    return handle


def _create(path: str) -> Handler:
    async def handle(request: Request, state: M3terState) -> Response:
        token = authorize(request, state)
        body = await json_body(request)
        ctx = state.context(lambda text: note(request.scope, text))
        return JSONResponse(state.stores[path].create(body, ctx, state.author(token.subject)))

    return handle


def _replace(path: str) -> Handler:
    async def handle(request: Request, state: M3terState) -> Response:
        token = authorize(request, state)
        record_id = request.path_params["record_id"]
        store = state.stores[path]
        store.get(record_id)  # 404 before reading the body
        body = await json_body(request)
        ctx = state.context(lambda text: note(request.scope, text))
        return JSONResponse(store.replace(record_id, body, ctx, state.author(token.subject)))

    return handle


def _delete(path: str) -> Handler:
    async def handle(request: Request, state: M3terState) -> Response:
        authorize(request, state)
        return JSONResponse(state.stores[path].delete(request.path_params["record_id"]))

    return handle


async def _get_org_config(request: Request, state: M3terState) -> Response:
    authorize(request, state)
    return JSONResponse(state.org_config)


async def _put_org_config(request: Request, state: M3terState) -> Response:
    token = authorize(request, state)
    body = await json_body(request)
    ctx = state.context(lambda text: note(request.scope, text))
    store = state.org_config_store
    saved = store.replace(state.org_config["id"], body, ctx, state.author(token.subject))
    return JSONResponse(saved)


async def _list_events(request: Request, state: M3terState) -> Response:
    authorize(request, state)
    page = list_page(
        state.events,
        request.query_params.multi_items(),
        scope="events",
        filters=EVENT_FILTERS,
        max_page_size=state.m3ter.max_page_size,
        options=state.m3ter,
        note=lambda text: note(request.scope, text),
    )
    return JSONResponse(page)


async def _get_event(request: Request, state: M3terState) -> Response:
    authorize(request, state)
    record_id = request.path_params["record_id"]
    for event in state.events:
        if event["id"] == record_id:
            return JSONResponse(event)
    raise M3terError(404, f"Event {record_id} not found")
