"""Orange's token endpoint (``/oauth/v3/token``) and the gateway checks on resource calls.

Every resource call needs a live bearer token and the ``X-API-Key``; contract-scoped calls
also need ``X-ECCS-Contract-Id`` naming a contract the key can see.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.orange.errors import GatewayError, OAuthError
from rowpush.sandbox.orange.state import OrangeState
from rowpush.sandbox.orange.tokenstore import TokenCheck
from rowpush.sandbox.requestlog import note

CONTRACT_HEADER = "x-eccs-contract-id"
API_KEY_HEADER = "x-api-key"
USE_BASIC = "Client authentication failed: send the client credentials as an HTTP Basic header."
BAD_CLIENT = "Client authentication failed: unknown client or wrong secret."


async def issue_token(request: Request, state: OrangeState) -> Response:
    """``POST /oauth/v3/token``: Basic client auth, form ``grant_type=client_credentials``."""
    settings = state.settings
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise OAuthError(
            400, "invalid_request", "Expected an application/x-www-form-urlencoded body."
        )
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    credentials = _basic_credentials(request)
    if credentials is None:
        if not settings.accept_body_credentials or "client_id" not in form:
            raise OAuthError(401, "invalid_client", USE_BASIC)
        credentials = form.get("client_id", ""), form.get("client_secret", "")
    elif "client_id" in form or "client_secret" in form:
        note(request.scope, "form credentials ignored: the Basic header was used")
    client_id, secret = credentials
    if not (
        secrets.compare_digest(client_id.encode(), settings.client_id.encode())
        and secrets.compare_digest(secret.encode(), settings.client_secret.encode())
    ):
        raise OAuthError(401, "invalid_client", BAD_CLIENT)
    grant = form.get("grant_type")
    if grant is None:
        raise OAuthError(400, "invalid_request", "Missing grant_type.")
    if grant != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", f"Grant type {grant!r} is not supported.")
    ttl = state.token_ttl
    body = {"token_type": "Bearer", "access_token": state.tokens.issue(ttl), "expires_in": ttl}
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """(client_id, client_secret) from a Basic header, None when there is none."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", BAD_CLIENT) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client", BAD_CLIENT)
    return client_id, secret


def require_caller(request: Request, state: OrangeState) -> None:
    """A live bearer token and the right ``X-API-Key``; else the gateway's 401/403."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise GatewayError(
            401, 40, "The requested service needs credentials, but none were provided."
        )
    check = state.tokens.check(value.strip())
    if check is TokenCheck.EXPIRED:
        raise GatewayError(
            401,
            42,
            "The requested service needs credentials, and the ones provided were out-of-date.",
        )
    if check is TokenCheck.UNKNOWN:
        raise GatewayError(
            401, 41, "The requested service needs credentials, and the ones provided were invalid."
        )
    key = request.headers.get(API_KEY_HEADER)
    if key is not None and secrets.compare_digest(key.encode(), state.settings.api_key.encode()):
        return
    if state.settings.api_key_rejection == 403:
        raise GatewayError(
            403, 50, "The application is not allowed to access this API: check X-API-Key."
        )
    if key is None:
        raise GatewayError(401, 40, "The X-API-Key header is missing.")
    raise GatewayError(401, 41, "The X-API-Key header is invalid.")


def require_contract(request: Request, state: OrangeState, path_id: str | None = None) -> str:
    """The contract named by ``X-ECCS-Contract-Id`` (equal to ``path_id`` when given)."""
    contract_id = request.headers.get(CONTRACT_HEADER, "").strip()
    if not contract_id:
        problem = "The X-ECCS-Contract-Id header is missing."
    elif contract_id not in state.contracts:
        problem = f"Contract {contract_id!r} is not accessible with this API key."
    elif path_id is not None and contract_id != path_id:
        problem = f"X-ECCS-Contract-Id {contract_id!r} does not match contract {path_id!r}."
    else:
        return contract_id
    if state.settings.contract_rejection == 401:
        raise GatewayError(401, 41, problem)
    raise GatewayError(403, 50, problem)
