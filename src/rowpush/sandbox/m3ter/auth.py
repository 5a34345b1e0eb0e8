"""The token endpoint (``POST /oauth/token``, Basic client auth) and the bearer check.

Client credentials go only in an ``Authorization: Basic base64(accessKeyId:apiSecret)``
header; the body carries ``grant_type=client_credentials`` form-encoded or as JSON.
Credentials sent in the body instead are refused as an OAuth server refuses an
unsupported client authentication method (401 ``invalid_client``).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.m3ter.errors import M3terError, OAuthError
from rowpush.sandbox.m3ter.options import m3ter_token_ttl
from rowpush.sandbox.m3ter.state import M3terState
from rowpush.sandbox.m3ter.tokens import IssuedToken, TokenStatus
from rowpush.sandbox.requestlog import note

BODY_CREDENTIALS = ("client_id", "client_secret", "accessKeyId", "apiSecret")
EXPIRED = "Unauthorized: the bearer token has expired"


async def issue_token(request: Request, state: M3terState) -> Response:
    """``POST /oauth/token``: a bearer token for the service user's access key."""
    opts = state.m3ter
    shape = opts.token_error_shape
    body, body_problem = _token_body(request, await request.body())
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        if isinstance(body, dict) and any(key in body for key in BODY_CREDENTIALS):
            note(request.scope, "client credentials in the body refused (Basic only)")
            raise OAuthError(
                401,
                "invalid_client",
                "Client authentication must use HTTP Basic: "
                "Authorization: Basic base64(accessKeyId:apiSecret)",
                shape=shape,
            )
        raise OAuthError(401, "invalid_client", "Client authentication failed", shape=shape)
    key_id, secret = _basic(encoded, shape)
    if not (
        secrets.compare_digest(key_id.encode(), opts.access_key_id.encode())
        and secrets.compare_digest(secret.encode(), opts.api_secret.encode())
    ):
        raise OAuthError(401, "invalid_client", "Bad client credentials", shape=shape)
    if body_problem is not None:
        raise OAuthError(400, "invalid_request", body_problem, shape=shape)
    grant = body.get("grant_type")
    if grant is None or grant == "":
        raise OAuthError(400, "invalid_request", "grant_type is required", shape=shape)
    if grant != "client_credentials":
        raise OAuthError(
            400, "unsupported_grant_type", f"Grant type {grant!r} is not supported", shape=shape
        )
    if body.get("scope"):
        note(request.scope, "scope accepted, not used")
    ttl = m3ter_token_ttl(state.options)
    token = state.tokens.issue(opts.org_id, opts.service_user_id, ttl)
    answer = {
        "token_type": "Bearer",
        "access_token": token.value,
        "expires_in": ttl,
        "scope": None,
    }
    return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _token_body(request: Request, raw: bytes) -> tuple[dict[str, Any], str | None]:
    """The body as a dict and, if it cannot be read, why (reported after client auth)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True)), None
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return {}, "The request body is not valid JSON"
        if not isinstance(parsed, dict):
            return {}, "The request body must be a JSON object"
        return parsed, None
    if not raw:
        return {}, "grant_type is required"
    return {}, f"Unsupported content type {content_type or '(none)'!r}"


def _basic(encoded: str, shape: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            401, "invalid_client", "Malformed Basic credentials", shape=shape
        ) from None
    key_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client", "Malformed Basic credentials", shape=shape)
    # RFC 6749 2.3.1: both parts are form-encoded before base64.
    return unquote_plus(key_id), unquote_plus(secret)


def authorize(request: Request, state: M3terState) -> IssuedToken:
    """The request's live token, for the organisation in its path; else 403 (or 401)."""
    opts = state.m3ter
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise M3terError(opts.bad_token_status, "Unauthorized")
    status, token = state.tokens.check(value.strip())
    if status is TokenStatus.EXPIRED:
        raise M3terError(403, EXPIRED)
    if status is TokenStatus.UNKNOWN or token is None:
        raise M3terError(opts.bad_token_status, "Unauthorized: invalid bearer token")
    org_id = request.path_params.get("org_id")
    if org_id != opts.org_id or token.org_id != org_id:
        raise M3terError(403, f"Forbidden: no access to organization {org_id}")
    return token
