"""Hyalto's key-pair -> JWT exchange and the bearer check on every other call.

``POST /accountManagement/auth/token`` takes the Access Key and Secret Key in a JSON body
(field names assumed) and answers camelCase ``tokenType``/``accessToken`` (documented) plus
``scope``/``expiresIn`` (guide). The token is an HS256 JWT with the documented claim set.
"""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.hyalto import hs256
from rowpush.sandbox.hyalto.errors import HyaltoError
from rowpush.sandbox.hyalto.state import HyaltoState
from rowpush.sandbox.requestlog import note

SNAKE_CASE_FIELDS = ("access_key", "secret_key")
BAD_KEYS = "Invalid access key or secret key"


async def issue_token(request: Request, state: HyaltoState) -> Response:
    settings = state.settings
    body = await _token_body(request, state)
    pairs = [settings.key_fields]
    if settings.accept_snake_case_keys:
        pairs.append(SNAKE_CASE_FIELDS)
    access_name, secret_name = next(
        (pair for pair in pairs if pair[0] in body or pair[1] in body), settings.key_fields
    )
    access, secret = body.get(access_name), body.get(secret_name)
    if not isinstance(access, str) or not isinstance(secret, str) or not access or not secret:
        raise HyaltoError(400, f"{access_name} and {secret_name} are required")
    if not (
        secrets.compare_digest(access.encode(), settings.access_key.encode())
        and secrets.compare_digest(secret.encode(), settings.secret_key.encode())
    ):
        raise HyaltoError(401, BAD_KEYS)
    ttl = state.token_ttl
    issued_at = int(state.now())
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "iat": issued_at,
        "exp": issued_at + ttl,
        "iss": settings.issuer,
        "scope": "all",
        "serviceProviderId": settings.service_provider_id,
        "accountId": settings.account_id,
        "companyName": settings.company_name,
        "userId": None,
        "username": None,
        "apiKeyId": settings.api_key_id,
        "apex": False,
        "access": copy.deepcopy(settings.access),
    }
    state.issued[claims["jti"]] = claims["exp"]
    answer: dict[str, Any] = {
        "tokenType": "Bearer",
        "accessToken": hs256.encode(claims, settings.jwt_key),
    }
    if settings.token_extras:
        answer |= {"scope": "all", "expiresIn": ttl}
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def _token_body(request: Request, state: HyaltoState) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if request.headers.get("authorization"):
        note(request.scope, "Authorization header not read by the token endpoint")
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = json.loads(raw)
        except ValueError:
            raise HyaltoError(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise HyaltoError(400, "The request body must be a JSON object")
        return body
    fields = "/".join(state.settings.key_fields)
    form = content_type == "application/x-www-form-urlencoded"
    if form and not state.settings.reject_form_token_requests:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    raise HyaltoError(400, f"Send a JSON body with {fields}")


def require_token(request: Request, state: HyaltoState, family: str) -> dict[str, Any]:
    """The claims of the request's live bearer JWT, which must allow reading ``family``."""
    settings = state.settings
    value = _token_of(request.headers.get("authorization", "").strip(), settings.token_scheme)
    if not value:
        raise HyaltoError(401, "Missing bearer token")
    try:
        claims = hs256.decode(value.strip(), settings.jwt_key)
    except hs256.InvalidToken as error:
        note(request.scope, f"invalid token: {error}")
        raise HyaltoError(401, "Invalid token") from None
    jti, exp = claims.get("jti"), claims.get("exp")
    if claims.get("iss") != settings.issuer or not isinstance(jti, str) or jti not in state.issued:
        raise HyaltoError(401, "Invalid token")
    if not isinstance(exp, int) or state.now() >= exp:
        raise HyaltoError(401, "Token expired")
    area = settings.route_areas.get(family)
    if settings.check_access and area is not None:
        access = claims.get("access")
        flags = access.get(area) if isinstance(access, dict) else None
        if not isinstance(flags, dict) or flags.get("R") is not True:
            raise HyaltoError(403, f"Missing permission: {area} (R)")
    return claims


def _token_of(header: str, scheme: str) -> str | None:
    """The JWT an Authorization header carries in the accepted ``scheme``, else None."""
    word, _, rest = header.partition(" ")
    if word.lower() == "bearer" and rest.strip():
        return rest.strip() if scheme in ("Bearer", "either") else None
    if header and " " not in header and header.lower() != "bearer":
        return header if scheme in ("bare", "either") else None
    return None
