"""Auth flows as `httpx.Auth` classes: OAuth2 client credentials (and its key-pair
cousin), and fixed header keys.

Secrets and tokens never appear in a repr or in any error message.
"""

from __future__ import annotations

import asyncio
import base64
import math
import time
import weakref
from collections.abc import AsyncGenerator, Collection, Generator, Mapping
from typing import Any, Literal

import httpx

from rowpush.errors import AuthFailed, ConfigError, ConnectionFailed
from rowpush.http.limiter import Clock
from rowpush.http.retry import IDEMPOTENT, connection_failed, safe_url

__all__ = ["ApiKeyHeader", "BearerToken", "ClientCredentials", "FixedCredentials"]

_DEFAULT_LIFETIME = 3600.0
"""Assumed token lifetime when the token response does not say (all five APIs: 1 h+)."""


class ClientCredentials(httpx.Auth):
    """OAuth2 client credentials: fetch a bearer token, cache it, refresh it.

    - Client authentication as a Basic header (`client_auth="basic"`) or as
      `client_id`/`client_secret` fields in the body (`"body"`); body as a form or
      JSON (`body_format`); optional `scope` and `audience` fields.
    - The token is kept for its `expires_in` less `expiry_margin` seconds, then
      fetched again before the next request.
    - A response whose status is in `refresh_on` (401; m3ter also says 403) means
      the token was refused: fetch a new one and send the request once more. A
      second refusal goes back to the caller as is.
    - Concurrent requests share one fetch: whoever holds the lock fetches, the
      others find the fresh token when they get it.
    - Token responses may spell fields `access_token`/`expires_in` or
      `accessToken`/`expiresIn` (Hyalto).
    - Errors: the token endpoint refusing (4xx) raises `AuthFailed`, an endpoint
      that cannot be reached or keeps failing (5xx, 429) raises `ConnectionFailed`;
      both name the token URL and the server's reason, never the secret.

    Token requests go through the client that sends the API requests, so they are
    rate limited and retried like the rest. `build_client` calls `bind(client)`
    so the flow can send them itself and report an unreachable token endpoint as
    `ConnectionFailed`; unbound (any other AsyncClient) they are sent as extra
    requests of the auth flow, and transport errors reach the caller as httpx's.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        client_auth: Literal["basic", "body"] = "basic",
        scope: str | None = None,
        audience: str | None = None,
        body_format: Literal["form", "json"] = "form",
        refresh_on: Collection[int] = frozenset({401}),
        expiry_margin: float = 60.0,
        grant_type: str | None = "client_credentials",
        id_field: str = "client_id",
        secret_field: str = "client_secret",
        api_headers: Mapping[str, str] | None = None,
        token_scheme: str = "Bearer",
        clock: Clock = time.monotonic,
    ) -> None:
        """`grant_type=None` leaves it out of the body; `id_field`/`secret_field` name the
        credential fields in the body; `api_headers` (e.g. an `X-API-Key`) are added to
        every API request but not to token requests, and are redacted like the secret;
        `token_scheme` starts the Authorization header (`""`: the bare token)."""
        url = httpx.URL(token_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(
                f"The token URL {token_url!r} is not a full http(s) URL.",
                hint="Write it like https://example.com/oauth/token in rowpush.toml.",
            )
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.client_auth = client_auth
        self.scope = scope
        self.audience = audience
        self.body_format = body_format
        self.refresh_on = frozenset(refresh_on)
        self.expiry_margin = expiry_margin
        self.grant_type = grant_type
        self.id_field = id_field
        self.secret_field = secret_field
        self._api_headers = dict(api_headers or {})
        self._scheme = f"{token_scheme.strip()} " if token_scheme.strip() else ""
        self._clock = clock
        self._credentials_name = f"{id_field} and {secret_field}"
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._shown_url = self._redact(safe_url(token_url, keep_query=True))
        self._token: str | None = None
        self._expires_at = -math.inf
        self._lock = asyncio.Lock()
        self._client: weakref.ref[httpx.AsyncClient] | None = None
        self.fetches = 0
        """How many tokens have been fetched (for tests and diagnostics)."""

    @classmethod
    def key_pair(
        cls,
        token_url: str,
        access_key: str,
        secret_key: str,
        *,
        access_key_field: str = "accessKey",
        secret_key_field: str = "secretKey",
        refresh_on: Collection[int] = frozenset({401}),
        expiry_margin: float = 60.0,
        token_scheme: str = "Bearer",
        clock: Clock = time.monotonic,
    ) -> ClientCredentials:
        """Key pair → JWT (Hyalto): a JSON body with the two keys, no OAuth grant type.

        The field names are assumed (../shared/apis/hyalto.md), hence parameters.
        """
        return cls(
            token_url,
            access_key,
            secret_key,
            client_auth="body",
            body_format="json",
            grant_type=None,
            id_field=access_key_field,
            secret_field=secret_key_field,
            refresh_on=refresh_on,
            expiry_margin=expiry_margin,
            token_scheme=token_scheme,
            clock=clock,
        )

    def bind(self, client: httpx.AsyncClient) -> None:
        """Send token requests through `client` (kept as a weak reference).

        Once bound, a later `bind` only takes over when the first client is gone
        or closed, so one auth can serve two clients (m3ter's two hosts).
        """
        current = self._client() if self._client is not None else None
        if current is None or current.is_closed:
            self._client = weakref.ref(client)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ClientCredentials works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator, as httpx expects

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers.update(self._api_headers)
        rejected: str | None = None
        for _ in range(2):
            async with self._lock:
                if self._must_fetch(rejected):
                    token_request = self._token_request(request)
                    sent_at = self._clock()
                    client = self._client() if self._client is not None else None
                    if client is not None and not client.is_closed:
                        token_response = await self._send(client, token_request)
                    else:
                        token_response = yield token_request
                        await token_response.aread()
                    self._accept(token_response, sent_at)
                token = self._token
            request.headers["Authorization"] = f"{self._scheme}{token}"
            response = yield request
            if response.status_code not in self.refresh_on:
                return
            rejected = token

    def _must_fetch(self, rejected: str | None) -> bool:
        if self._token is None or self._clock() >= self._expires_at:
            return True
        # Refused token: fetch unless another task has already replaced it.
        return rejected is not None and rejected == self._token

    def _token_request(self, trigger: httpx.Request) -> httpx.Request:
        headers = {"Accept": "application/json"}
        if "User-Agent" in trigger.headers:
            headers["User-Agent"] = trigger.headers["User-Agent"]
        fields: dict[str, str] = {}
        if self.grant_type:
            fields["grant_type"] = self.grant_type
        if self.client_auth == "body":
            fields[self.id_field] = self.client_id
            fields[self.secret_field] = self._secret
        else:
            headers["Authorization"] = self._basic
        if self.scope:
            fields["scope"] = self.scope
        if self.audience:
            fields["audience"] = self.audience
        extensions: dict[str, Any] = {IDEMPOTENT: True}
        if "timeout" in trigger.extensions:
            extensions["timeout"] = trigger.extensions["timeout"]
        if self.body_format == "json":
            return httpx.Request(
                "POST", self.token_url, headers=headers, json=fields, extensions=extensions
            )
        return httpx.Request(
            "POST", self.token_url, headers=headers, data=fields, extensions=extensions
        )

    async def _send(
        self, client: httpx.AsyncClient, token_request: httpx.Request
    ) -> httpx.Response:
        try:
            return await client.send(token_request, auth=None)
        except httpx.TransportError as exc:
            raise connection_failed(exc, self._shown_url, keep_query=True) from exc

    def _accept(self, response: httpx.Response, sent_at: float) -> None:
        """Keep the token from a token response, or raise what went wrong."""
        if not 200 <= response.status_code < 300:
            raise self._failure(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        token = _field(data, "access_token", "accessToken")
        if not isinstance(token, str) or not token:
            raise AuthFailed(
                f"The token endpoint {self._shown_url} answered "
                f"{response.status_code} but gave no access token.",
                hint="Check the token URL (base_url) of this connection in rowpush.toml.",
            )
        lifetime = _seconds(_field(data, "expires_in", "expiresIn")) or _DEFAULT_LIFETIME
        # Renew `expiry_margin` early, but keep a short-lived token for half its life.
        self._expires_at = sent_at + max(lifetime - self.expiry_margin, lifetime / 2)
        self._token = token
        self.fetches += 1

    def _failure(self, response: httpx.Response) -> AuthFailed | ConnectionFailed:
        status = response.status_code
        said = self._redact(_reason(response))
        message = (
            f"The token endpoint {self._shown_url} answered {status} "
            f"{response.reason_phrase}".rstrip()
            + (f": {said}." if said else ".")
        )
        if status in (400, 401, 403):
            return AuthFailed(
                "Authentication failed. " + message,
                hint=f"Check {self._credentials_name} of this connection in rowpush.toml "
                "(wrong, expired or revoked credentials, or a missing permission).",
            )
        if status < 500 and status != 429:  # 404, 405, a redirect: not a token endpoint
            return AuthFailed(
                "Authentication failed. " + message,
                hint="Check the token URL (base_url) of this connection in rowpush.toml.",
            )
        return ConnectionFailed(message, hint="The service may be busy or down: try again later.")

    def _redact(self, text: str) -> str:
        for secret in (self._secret, self._basic.removeprefix("Basic ")):
            if secret:
                text = text.replace(secret, "***")
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(token_url={self._shown_url!r}, "
            f"client_id={self.client_id!r}, client_secret='***', "
            f"client_auth={self.client_auth!r})"
        )


class ApiKeyHeader(httpx.Auth):
    """Adds one fixed header with a secret value, e.g. Orange's `X-API-Key`."""

    def __init__(self, value: str, *, header: str = "X-API-Key") -> None:
        self.header = header
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self._value
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(header={self.header!r}, value='***')"


class BearerToken(ApiKeyHeader):
    """A fixed bearer token: `Authorization: Bearer <token>`."""

    def __init__(self, token: str) -> None:
        super().__init__(f"Bearer {token}", header="Authorization")


class FixedCredentials(httpx.Auth):
    """Fixed secret headers and query parameters on every request: a bearer token, Basic
    credentials, an API key in a header or in the query, or several of these at once."""

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        self._headers = dict(headers or {})
        self._params = dict(params or {})

    @classmethod
    def basic(cls, username: str, password: str) -> FixedCredentials:
        """`Authorization: Basic base64(username:password)`."""
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        return cls(headers={"Authorization": f"Basic {pair}"})

    def with_key(self, name: str, value: str, *, where: Literal["header", "query"]) -> None:
        """Add an API key, as a header or a query parameter."""
        (self._headers if where == "header" else self._params)[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        if self._params:
            request.url = request.url.copy_merge_params(self._params)
        yield request

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(headers={sorted(self._headers)!r}, "
            f"params={sorted(self._params)!r}, values='***')"
        )


def _field(data: object, *names: str) -> object:
    if isinstance(data, dict):
        for name in names:
            if data.get(name) is not None:
                return data[name]
    return None


def _seconds(value: object) -> float | None:
    """A positive lifetime from a number or a numeric string; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _reason(response: httpx.Response) -> str:
    """What the server said about a failure, in one line: OAuth's `error` and
    `error_description`, or a `message`, or the start of a text body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts: list[str] = []
        for key in ("error", "error_description", "message", "Message", "errorMessage"):
            value = data.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
        if parts:
            text = parts[0] + (f" ({'; '.join(parts[1:])})" if len(parts) > 1 else "")
            return text[:300]
    text = " ".join(response.text.split())
    return text[:200]
