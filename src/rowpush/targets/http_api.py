"""The generic connection, `api = "http"`: any REST API a declarative target describes.

    [connections.orange-ccs]
    api = "http"
    base_url = "https://api.orange.com/cloud/b2b/v1"
    auth = "oauth2"
    auth_url = "https://api.orange.com/oauth/v3/token"
    client_id = "${ORANGE_CCS_CLIENT_ID}"
    client_secret = "${ORANGE_CCS_CLIENT_SECRET}"
    api_key = "${ORANGE_CCS_API_KEY}"
    key_name = "X-API-Key"
    vars = { "Contract-Id" = "CT-128356" }

Each declarative target makes its own `HttpApi` (its default rate and throttled statuses
are the target file's); every one is named "http" and reads the same settings.
"""

from __future__ import annotations

from typing import Literal, cast

import httpx
from pydantic import Field, SecretStr

from rowpush.config import Connection, ConnectionSettings
from rowpush.errors import ConfigError
from rowpush.http.auth import ClientCredentials, FixedCredentials
from rowpush.targets.base import Api

__all__ = ["HttpApi", "HttpSettings", "http_api"]


class HttpSettings(ConnectionSettings):
    """A connection to any REST API a declarative target describes (`rowpush-targets/`):
    how to authenticate, fixed headers, and the values its `{{placeholders}}` may take."""

    base_url: str
    """The address the target's paths are under, e.g. "https://api.example.com/v1"."""
    auth: Literal["oauth2", "bearer", "api_key", "basic", "none"] = "none"
    """oauth2: client credentials; bearer: a fixed token; api_key: a key alone; basic: a
    username and password; none."""
    auth_url: str | None = None
    """oauth2: the token endpoint, e.g. "https://example.com/oauth/token"."""
    client_id: str | None = None
    """oauth2: the client id."""
    client_secret: SecretStr | None = None
    """oauth2: the client secret."""
    client_auth: Literal["basic", "body"] = "basic"
    """oauth2: the client id and secret as a Basic header or in the form body."""
    scope: str | None = None
    """oauth2: the scope asked for (none: not sent)."""
    audience: str | None = None
    """oauth2: the audience asked for (none: not sent)."""
    token: SecretStr | None = None
    """bearer: the token, sent as `Authorization: Bearer …`."""
    username: str | None = None
    """basic: the user name."""
    password: SecretStr | None = None
    """basic: the password."""
    api_key: SecretStr | None = None
    """An API key, sent on every call with any auth (alone with auth = "api_key")."""
    key_name: str = "X-API-Key"
    """The header (or query parameter) that carries api_key."""
    key_in: Literal["header", "query"] = "header"
    """Where api_key goes: a header or a query parameter (query: not with oauth2)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Fixed headers sent on every call, e.g. { "X-ECCS-Contract-Id" = "CT-1" } (no secrets)."""
    vars: dict[str, str] = Field(default_factory=dict)
    """Values for the target's `{{placeholders}}` that no column fills, e.g. a contract id."""


class HttpApi(Api[HttpSettings]):
    """The generic connection kind; `http_api` makes one per declarative target."""

    name = "http"
    description = "any HTTP API (a declarative target)"
    Settings = HttpSettings
    default_rate = "5/s"
    throttled_statuses: frozenset[int] = frozenset({429})

    def auth(self, conn: Connection) -> httpx.Auth:
        settings = self.settings(conn)
        key = settings.api_key.get_secret_value() if settings.api_key else None
        if settings.auth == "oauth2":
            return self._oauth2(conn, settings, key)
        fixed = FixedCredentials()
        if settings.auth == "bearer":
            fixed = FixedCredentials(
                headers={"Authorization": f"Bearer {_need(conn, settings.token, 'token')}"}
            )
        elif settings.auth == "basic":
            if not settings.username:
                raise conn.missing("username", "the user name for Basic auth")
            fixed = FixedCredentials.basic(
                settings.username, _need(conn, settings.password, "password")
            )
        elif settings.auth == "api_key" and key is None:
            raise conn.missing("api_key", "the API key")
        if key is not None:
            fixed.with_key(settings.key_name, key, where=settings.key_in)
        return fixed

    def _oauth2(self, conn: Connection, settings: HttpSettings, key: str | None) -> httpx.Auth:
        if not settings.auth_url:
            raise conn.missing("auth_url", "the OAuth2 token endpoint")
        if not settings.client_id:
            raise conn.missing("client_id", "the OAuth2 client id")
        if key is not None and settings.key_in == "query":
            raise ConfigError(
                f'{conn.where}: key_in = "query" does not go with auth = "oauth2".',
                hint='Send the key as a header (key_in = "header").',
            )
        return ClientCredentials(
            token_url=settings.auth_url,
            client_id=settings.client_id,
            client_secret=_need(conn, settings.client_secret, "client_secret"),
            client_auth=settings.client_auth,
            scope=settings.scope,
            audience=settings.audience,
            api_headers={settings.key_name: key} if key is not None else None,
        )

    def headers(self, conn: Connection) -> dict[str, str]:
        return {"Accept": "application/json", **self.settings(conn).headers}

    def is_throttled(self, response: httpx.Response) -> bool:
        return response.status_code in self.throttled_statuses

    def vars(self, conn: Connection) -> dict[str, str]:
        """The connection's values for placeholders no column fills."""
        return dict(self.settings(conn).vars)


def _need(conn: Connection, value: SecretStr | None, key: str) -> str:
    if value is None or not value.get_secret_value():
        raise conn.missing(key)
    return value.get_secret_value()


HTTP = HttpApi()


def http_api(rate: str, throttled: frozenset[int]) -> HttpApi:
    """An "http" API with a declarative target's own default rate and throttled statuses."""
    kind = type(
        "DeclaredHttpApi", (HttpApi,), {"default_rate": rate, "throttled_statuses": throttled}
    )
    return cast(HttpApi, kind())
