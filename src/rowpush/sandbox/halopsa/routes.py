"""Halo's routes: the token endpoint, discovery, and list/get/upsert for each record kind.

Routes are declared in lower case; ``CaseInsensitivePaths`` in front folds what clients send.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rowpush.sandbox.halopsa.auth import issue_token, require_token
from rowpush.sandbox.halopsa.errors import HaloAnswer, HaloError
from rowpush.sandbox.halopsa.listing import QueryParams, list_records
from rowpush.sandbox.halopsa.state import HaloState
from rowpush.sandbox.requestlog import note

Handler = Callable[[Request, HaloState], Awaitable[Response]]


def halo_routes(state: HaloState, kinds: list[str]) -> list[BaseRoute]:
    """Routes for the tenant; ``kinds`` are the collection paths to serve ("client", ...)."""
    routes: list[BaseRoute] = [
        Route("/auth/token", _bind(issue_token, state), methods=["POST"]),
        Route("/api/authinfo", _bind(_authinfo, state), methods=["GET"]),
    ]
    for path in kinds:
        routes += [
            Route(f"/api/{path}", _bind(_collection_handler(path, "list"), state), methods=["GET"]),
            Route(
                f"/api/{path}", _bind(_collection_handler(path, "upsert"), state), methods=["POST"]
            ),
            Route(
                f"/api/{path}/{{record_id:int}}",
                _bind(_collection_handler(path, "get"), state),
                methods=["GET"],
            ),
        ]
    return routes


def _bind(handler: Handler, state: HaloState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, state)
        except HaloAnswer as answer:
            note(request.scope, f"answered {type(answer).__name__}: {answer}")
            return answer.response()

    return endpoint


async def _authinfo(request: Request, state: HaloState) -> Response:
    """``GET /api/authinfo`` (no auth): where the authorisation server is."""
    base = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
    return JSONResponse({"auth_url": f"{base}/auth", "tenant_id": state.options.halo_tenant})


def _collection_handler(path: str, action: str) -> Handler:
    async def handle(request: Request, state: HaloState) -> Response:
        collection = state.collection(path)
        kind = collection.kind
        options = state.options
        scopes = kind.edit_scopes if action == "upsert" else kind.read_scopes
        require_token(request, state, scopes)

        def log(text: str) -> None:
            note(request.scope, text)

        if action == "get":
            record = collection.get(request.path_params["record_id"])
            if record is None:
                raise HaloError(404, f"{kind.name} {request.path_params['record_id']} not found.")
            return JSONResponse(kind.as_sent(record))
        if action == "list":
            query = QueryParams(
                request.query_params.multi_items(), fold=options.halo_case_insensitive_names
            )
            listed = list_records(collection, query, options, log)
            listed[kind.envelope] = [kind.as_sent(r) for r in listed[kind.envelope]]
            return JSONResponse(listed)
        saved = [
            kind.as_sent(r)
            for r in collection.upsert(
                await _json_body(request, options.halo_require_json), options, log
            )
        ]
        body: Any = saved[0] if len(saved) == 1 else saved
        if len(saved) > 1 and options.halo_post_many_shape == "last":
            body = saved[-1]
        return JSONResponse(body, status_code=options.halo_post_status)

    return handle


async def _json_body(request: Request, require_json: bool) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or content_type.endswith("+json")
    if require_json and not is_json:
        raise HaloError(
            415, f"Unsupported content type {content_type or '(none)'!r}; send application/json."
        )
    raw = await request.body()
    try:
        return json.loads(raw)
    except ValueError:
        raise HaloError(400, "The request body is not valid JSON.") from None
