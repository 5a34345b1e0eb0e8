"""Orange's routes: the token endpoint and the Cloud Store Customer Space resources.

Paths are those of the real hosts (``/oauth/v3/token``, ``/cloud/b2b/v1/...``) below our
``/orange`` prefix. The token, contract, document and write calls are the vendor guide's
Postman collection's (documented); ``documentType``/``limit`` come from public scripts
(observed); the user listing is assumed (rowpush needs it to tell new users from old).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from rowpush.sandbox.orange import xlsx
from rowpush.sandbox.orange.auth import (
    CONTRACT_HEADER,
    issue_token,
    require_caller,
    require_contract,
)
from rowpush.sandbox.orange.documents import ZIP_MEDIA_TYPE
from rowpush.sandbox.orange.errors import GatewayError, OrangeAnswer, gateway_response
from rowpush.sandbox.orange.seed import StoredDocument
from rowpush.sandbox.orange.state import OrangeState
from rowpush.sandbox.orange.validation import json_object
from rowpush.sandbox.orange.writes import create_contract, create_user
from rowpush.sandbox.requestlog import note

API = "/cloud/b2b/v1"
SEEN_DOCUMENT_TYPES = ("bills", "comsumptionRatedReports", "partialConsumptionRatedReports")
"""Types seen working in public scripts (``comsumption`` is the vendor's spelling)."""
ZIPPABLE_AS_SEEN = ("comsumptionRatedReports", "partialConsumptionRatedReports")

Handler = Callable[[Request, OrangeState], Awaitable[Response]]


def orange_routes(state: OrangeState) -> list[BaseRoute]:
    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(path, _bind(handler, state), methods=[method])

    return [
        route("/oauth/v3/token", issue_token, "POST"),
        route(f"{API}/contracts", _list_contracts, "GET"),
        route(f"{API}/contracts", _create_contract, "POST"),
        route(f"{API}/contract", _get_contract, "GET"),
        route(f"{API}/contracts/{{contract_id}}/users", _list_users, "GET"),
        route(f"{API}/contracts/{{contract_id}}/user", _create_user, "POST"),
        route(f"{API}/documents", _list_documents, "GET"),
        route(f"{API}/documents/{{document_id}}", _get_document, "GET"),
        route(f"{API}/documents/{{document_id}}/file", _download, "GET"),
        route("/storage/{nonce}", _storage, "GET"),
    ]


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's default: the gateway's 404 code 60."""
    path = scope["path"][len(scope.get("root_path", "")) :]
    response = gateway_response(404, 60, f"No resource at {path}.")
    await response(scope, receive, send)


def _bind(handler: Handler, state: OrangeState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, state)
        except OrangeAnswer as answer:
            note(request.scope, f"answered {type(answer).__name__}: {answer}")
            return answer.response()

    return endpoint


async def _list_contracts(request: Request, state: OrangeState) -> Response:
    require_caller(request, state)
    summaries = [
        {k: c[k] for k in ("id", "name", "createdAt", "offer")} for c in state.contracts.values()
    ]
    return JSONResponse(summaries)


async def _get_contract(request: Request, state: OrangeState) -> Response:
    require_caller(request, state)
    return JSONResponse(state.contracts[require_contract(request, state)])


async def _create_contract(request: Request, state: OrangeState) -> Response:
    _require_writes(state)
    require_caller(request, state)
    body = await json_object(request)
    created = create_contract(state, body, lambda text: note(request.scope, text))
    return JSONResponse(created, status_code=201)


async def _list_users(request: Request, state: OrangeState) -> Response:
    contract_id = _path_contract(request, state)
    if state.settings.user_list_needs_contract_header:
        require_contract(request, state, contract_id)
    return JSONResponse(state.users[contract_id])


async def _create_user(request: Request, state: OrangeState) -> Response:
    _require_writes(state)
    contract_id = _path_contract(request, state)
    # Documented: the guide's "create user" sends no X-ECCS-Contract-Id. Assumed: one
    # that is sent must name the path's contract.
    if request.headers.get(CONTRACT_HEADER, "").strip():
        require_contract(request, state, contract_id)
    body = await json_object(request)
    created = create_user(state, contract_id, body, lambda text: note(request.scope, text))
    return JSONResponse(created, status_code=201)


async def _list_documents(request: Request, state: OrangeState) -> Response:
    require_caller(request, state)
    contract_id = require_contract(request, state)
    params = request.query_params
    for name in params:
        if name not in ("documentType", "limit"):
            note(request.scope, f"unknown query parameter {name!r} ignored")
    # Observed: public scripts send `limit`. Likely, not confirmed: without it the real
    # API answers only 10 documents (``documents_default_limit``).
    limit = _limit(params.get("limit"))
    if limit is None:
        limit = state.settings.documents_default_limit
    wanted = params.get("documentType", "")
    known = SEEN_DOCUMENT_TYPES + (("invoices",) if state.settings.invoices else ())
    if wanted and wanted not in known:
        # Seen in public scripts: an unknown type answers this instead of an array.
        return JSONResponse({"documents": None})
    docs = [
        d.meta
        for d in state.documents_of(contract_id)
        if not wanted or d.meta["documentType"] == wanted
    ]
    return JSONResponse(docs[:limit] if limit is not None else docs)


async def _get_document(request: Request, state: OrangeState) -> Response:
    return JSONResponse(_document(request, state).meta)


async def _download(request: Request, state: OrangeState) -> Response:
    doc = _document(request, state)
    raw = request.query_params.get("zipped", "0")
    if raw not in ("0", "1"):
        raise GatewayError(400, 28, "The query-string parameter 'zipped' must be 0 or 1.")
    zipped = raw == "1"
    if (
        zipped
        and not state.settings.zip_any_document
        and doc.meta["documentType"] not in ZIPPABLE_AS_SEEN
    ):
        note(request.scope, "zipped=1 ignored for this document type")
        zipped = False
    if state.settings.redirect_downloads:
        nonce = state.new_download(doc.id, zipped)
        root = request.scope.get("root_path", "")
        location = f"{request.url.scheme}://{request.url.netloc}{root}/storage/{nonce}"
        return RedirectResponse(location, status_code=302)
    return _file(doc, zipped)


async def _storage(request: Request, state: OrangeState) -> Response:
    """A one-shot download URL, as a storage service would hand out (no credentials)."""
    found = state.downloads.pop(request.path_params["nonce"], None)
    if found is None or found[0] not in state.documents:
        raise GatewayError(404, 60, "This download link is unknown or was already used.")
    document_id, zipped = found
    return _file(state.documents[document_id], zipped)


def _file(doc: StoredDocument, zipped: bool) -> Response:
    filename, content, media_type = doc.meta["filename"], doc.content, doc.media_type
    if zipped:
        content = xlsx.zip_bytes({filename: content})
        filename, media_type = f"{filename}.zip", ZIP_MEDIA_TYPE
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _document(request: Request, state: OrangeState) -> StoredDocument:
    require_caller(request, state)
    contract_id = require_contract(request, state)
    doc = state.documents.get(request.path_params["document_id"])
    if doc is None or doc.contract_id != contract_id:
        raise GatewayError(404, 60, f"Document {request.path_params['document_id']!r} not found.")
    return doc


def _path_contract(request: Request, state: OrangeState) -> str:
    """The contract of a ``/contracts/{id}/...`` path, after the caller checks."""
    require_caller(request, state)
    contract_id: str = request.path_params["contract_id"]
    if contract_id not in state.contracts:
        raise GatewayError(404, 60, f"Contract {contract_id!r} not found.")
    return contract_id


def _require_writes(state: OrangeState) -> None:
    if not state.settings.writes:
        raise GatewayError(404, 60, "Write endpoints are switched off in this sandbox.")


def _limit(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise GatewayError(
            400, 28, "The query-string parameter 'limit' must be a positive whole number."
        )
    return int(raw)
