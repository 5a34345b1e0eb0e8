"""Halo's authorisation server (``/auth/token``) and the bearer check on ``/api``."""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.halopsa.errors import HaloError, OAuthError, Unauthorized
from rowpush.sandbox.halopsa.state import HaloState
from rowpush.sandbox.requestlog import note
from rowpush.sandbox.tokens import Token

# Scope names as validated by homotechsual/HaloAPI (Classes/HaloAuth.psm1).
KNOWN_SCOPES = frozenset(
    {
        "all", "all:standard", "admin", "read:tickets", "edit:tickets", "read:calendar",
        "edit:calendar", "read:customers", "edit:customers", "read:crm", "edit:crm",
        "editMine:timesheets", "read:timesheets", "edit:timesheets", "read:contracts",
        "edit:contracts", "read:suppliers", "edit:suppliers", "read:items", "edit:items",
        "read:projects", "edit:projects", "read:sales", "edit:sales", "read:quotes",
        "edit:quotes", "read:sos", "edit:sos", "read:pos", "edit:pos", "read:invoices",
        "edit:invoices", "read:reporting", "edit:reporting", "read:software", "edit:software",
        "read:softwarelicensing", "edit:softwarelicensing", "read:kb", "edit:kb",
        "read:assets", "edit:assets", "access:chat", "access:adpasswordreset",
    }
)  # fmt: skip
INVALID_CLIENT = "Invalid client credentials."
HALO_TOKEN_TTL = 3600
"""Token lifetime without a shared ``token_ttl``: 3600 s (assumed, third-party docs)."""


async def issue_token(request: Request, state: HaloState) -> Response:
    """``POST /auth/token``: client credentials in a form body or a Basic header."""
    options = state.options
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise OAuthError(
            400, "invalid_request", "Expected an application/x-www-form-urlencoded body."
        )
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    tenant = request.query_params.get("tenant")
    if tenant is not None:
        note(request.scope, f"tenant {tenant!r}")
    client_id, secret = _client_credentials(request, form, options.halo_accept_basic_auth)
    if not (
        secrets.compare_digest(client_id.encode(), options.halo_client_id.encode())
        and secrets.compare_digest(secret.encode(), options.halo_client_secret.encode())
    ):
        raise OAuthError(401, "invalid_client", INVALID_CLIENT)
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", f"Grant type {grant!r} is not supported.")
    scopes = form.get("scope", "").split() or ["all"]
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown and options.halo_check_scopes:
        raise OAuthError(400, "invalid_scope", f"Unknown scope: {' '.join(unknown)}.")
    ttl = options.token_lifetime(HALO_TOKEN_TTL)
    token = state.tokens.issue(client_id, frozenset(scopes), ttl)
    body = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": " ".join(scopes),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _client_credentials(
    request: Request, form: dict[str, str], accept_basic: bool
) -> tuple[str, str]:
    """(client_id, client_secret) from the Basic header if sent (and accepted), else the form."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and not accept_basic:
        note(request.scope, "Basic header ignored (halo_accept_basic_auth is off)")
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", INVALID_CLIENT) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        # RFC 6749 2.3.1: both parts are form-encoded before base64.
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def require_token(request: Request, state: HaloState, scopes: frozenset[str]) -> Token:
    """The live bearer token of the request, holding one of ``scopes``; else 401 or 403."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized()
    token = state.tokens.lookup(value.strip())
    if token is None:
        raise Unauthorized()
    if state.options.halo_check_scopes and not token.scopes & scopes:
        raise HaloError(403, "The application's scopes do not allow this request.")
    return token
