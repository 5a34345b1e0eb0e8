"""The token call (``POST /authentication/v1/oauth/token``) and the bearer check.

Credentials, ``grant_type`` and ``audience`` come in the body, JSON or form-encoded (both
documented). Tokens are JWT-shaped like the documented sample (RS256 header, ``accountId``,
``iss``, ``sub`` = ``<client_id>@clients``, ``aud``, ``iat``, ``exp``, ``scope``); the
signature is random bytes, not a real RS256 signature (no public key is published).
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

from rowpush.sandbox.limiter import retry_after_seconds
from rowpush.sandbox.requestlog import note
from rowpush.sandbox.tokens import Token
from rowpush.sandbox.usage_engine.bodies import is_json, media_type, read_body
from rowpush.sandbox.usage_engine.errors import UEError, too_many_requests, unauthorized
from rowpush.sandbox.usage_engine.options import UE_TOKEN_TTL, UsageEngineOptions, ue_options
from rowpush.sandbox.usage_engine.state import UsageEngineState

ISSUER = "https://auth.digitalroute.io/"
KEY_ID = "sandbox-usage-engine-1"
SCOPE = "create:meter_types read:meter_types create:meters read:meters delete:meters"
"""As in the notes' example answer (scopes are not enforced)."""
TOKEN_FIELDS = ("client_id", "client_secret", "grant_type", "audience")
FORM = "application/x-www-form-urlencoded"


async def issue_token(request: Request, state: UsageEngineState) -> Response:
    """Check the body, the per-client window, the credentials and the audience; answer a JWT."""
    options = ue_options(state.options)
    fields = await _token_fields(request, options)
    _from_basic_header(request, fields, options)
    client_id = fields.get("client_id")
    window = options.token_window
    if window is not None:
        wait = state.token_limiter(client_id if isinstance(client_id, str) else "").admit(window)
        if wait is not None:
            note(request.scope, f"token call limited: {window.limit} per {window.seconds:g}s")
            response = too_many_requests()
            if state.options.retry_after:
                response.headers["Retry-After"] = str(retry_after_seconds(wait))
            return response
    for name in TOKEN_FIELDS:
        value = fields.get(name)
        if value is None or value == "":
            raise UEError(400, f"{name} is required")
        if not isinstance(value, str):
            raise UEError(400, f"{name} must be a string")
    if fields["grant_type"] != "client_credentials":
        raise UEError(400, "grant_type must be client_credentials")
    if not (
        secrets.compare_digest(fields["client_id"].encode(), options.client_id.encode())
        and secrets.compare_digest(fields["client_secret"].encode(), options.client_secret.encode())
    ):
        raise UEError(401, "Unauthorized")
    expected = expected_audience(request, options)
    if options.check_audience and not audience_matches(fields["audience"], expected, options):
        raise UEError(400, f"audience must be {expected}")
    ttl = state.options.token_lifetime(UE_TOKEN_TTL)
    value = _jwt(state, fields["client_id"], fields["audience"], ttl)
    state.tokens.issue(fields["client_id"], frozenset(SCOPE.split()), ttl, value=value)
    body = {"access_token": value, "scope": SCOPE, "expires_in": ttl, "token_type": "Bearer"}
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def require_token(request: Request, state: UsageEngineState) -> Token:
    """The live bearer token of the request; else 401."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized()
    token = state.tokens.lookup(value.strip())
    if token is None:
        raise unauthorized()
    return token


def environment_url(request: Request) -> str:
    """This environment's base URL as the client reached it: ``http://host:port/usage-engine``."""
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


def expected_audience(request: Request, options: UsageEngineOptions) -> str:
    """The audience to send, written as the documented examples write it (trailing slash)."""
    if options.audience is not None:
        return options.audience
    return environment_url(request).rstrip("/") + "/"


def audience_matches(sent: str, expected: str, options: UsageEngineOptions) -> bool:
    if options.audience_slash_optional:
        return sent.rstrip("/") == expected.rstrip("/")
    return sent == expected


async def _token_fields(request: Request, options: UsageEngineOptions) -> dict[str, Any]:
    body = await read_body(request, options)
    if is_json(request):
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            raise UEError(400, "The request body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise UEError(400, "The request body must be a JSON object")
        return parsed
    if media_type(request) == FORM:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not body:
        return {}
    raise UEError(400, f"Content-Type must be application/json or {FORM}")


def _from_basic_header(
    request: Request, fields: dict[str, Any], options: UsageEngineOptions
) -> None:
    """Fill in credentials from a Basic header when allowed and the body has none."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or (fields.get("client_id") and fields.get("client_secret")):
        return
    if not options.accept_basic_auth:
        note(request.scope, "Basic header ignored: credentials go in the body")
        missing = [name for name in ("client_id", "client_secret") if not fields.get(name)]
        verb = "are" if len(missing) > 1 else "is"
        raise UEError(400, f"{' and '.join(missing)} {verb} required in the request body")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UEError(401, "Unauthorized") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise UEError(401, "Unauthorized")
    fields["client_id"], fields["client_secret"] = unquote_plus(client_id), unquote_plus(secret)


def _jwt(state: UsageEngineState, client_id: str, audience: str, ttl: int) -> str:
    iat = int(state.wall.epoch())
    header = {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    claims = {
        "accountId": state.account_id,
        "iss": ISSUER,
        "sub": f"{client_id}@clients",
        "aud": audience,
        "iat": iat,
        "exp": iat + ttl,
        "scope": SCOPE,
    }
    # 256 random bytes: the length of a 2048-bit RS256 signature, and what makes it unguessable.
    return ".".join(
        (_b64(_compact(header)), _b64(_compact(claims)), _b64(secrets.token_bytes(256)))
    )


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
