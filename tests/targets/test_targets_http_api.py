"""The generic connection, api = "http": each auth kind signs requests as its settings
say, fixed headers and vars come from the connection, and secrets stay secret."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.errors import ConfigError
from rowpush.targets.http_api import HTTP, http_api

Sent = list[httpx.Request]


def conn(**settings: Any) -> Connection:
    return Connection("mine", "http", {"base_url": "https://api.example", **settings})


def send(connection: Connection) -> Sent:
    """One GET through the connection's auth (and its token request, if any)."""
    sent: Sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600})
        return httpx.Response(200, json={})

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(handler),
            base_url=HTTP.base_url(connection),
            auth=HTTP.auth(connection),
            headers=HTTP.headers(connection),
        ) as client:
            await client.get("/things")

    asyncio.run(go())
    return sent


def test_oauth2_client_credentials_by_basic_header_with_scope_audience_and_a_key() -> None:
    token, api = send(
        conn(
            auth="oauth2",
            auth_url="https://api.example/oauth/token",
            client_id="cid",
            client_secret="csecret",
            scope="all",
            audience="https://aud",
            api_key="k-123",
            headers={"X-ECCS-Contract-Id": "CT-1"},
        )
    )
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    form = dict(httpx.QueryParams(token.content.decode()))
    assert form == {"grant_type": "client_credentials", "scope": "all", "audience": "https://aud"}
    assert "X-API-Key" not in token.headers  # the key goes to the API, not the token endpoint
    assert api.headers["Authorization"] == "Bearer tok-1"
    assert api.headers["X-API-Key"] == "k-123"
    assert api.headers["X-ECCS-Contract-Id"] == "CT-1"


def test_oauth2_client_credentials_in_the_body() -> None:
    token, _ = send(
        conn(
            auth="oauth2",
            auth_url="https://api.example/oauth/token",
            client_id="cid",
            client_secret="csecret",
            client_auth="body",
        )
    )
    assert "Authorization" not in token.headers
    form = dict(httpx.QueryParams(token.content.decode()))
    assert form["client_id"] == "cid"
    assert form["client_secret"] == "csecret"


@pytest.mark.parametrize(
    ("settings", "header", "value", "query"),
    [
        ({"auth": "bearer", "token": "t-9"}, "Authorization", "Bearer t-9", {}),
        (
            {"auth": "basic", "username": "ada", "password": "pw"},
            "Authorization",
            "Basic " + base64.b64encode(b"ada:pw").decode(),
            {},
        ),
        ({"auth": "api_key", "api_key": "k1", "key_name": "X-Key"}, "X-Key", "k1", {}),
        (
            {"auth": "api_key", "api_key": "k1", "key_name": "apikey", "key_in": "query"},
            None,
            None,
            {"apikey": "k1"},
        ),
    ],
)
def test_fixed_credentials(
    settings: dict[str, str], header: str | None, value: str | None, query: dict[str, str]
) -> None:
    (request,) = send(conn(**settings))
    if header:
        assert request.headers[header] == value
    assert dict(request.url.params) == query


def test_a_missing_secret_names_the_setting_and_the_repr_hides_it() -> None:
    with pytest.raises(ConfigError, match="has no token"):
        HTTP.auth(conn(auth="bearer"))
    with pytest.raises(ConfigError, match="has no auth_url"):
        HTTP.auth(conn(auth="oauth2", client_id="x", client_secret="y"))
    connection = conn(auth="bearer", token="s3cret-token", api_key="s3cret-key")
    assert set(connection.secrets()) == {"s3cret-token", "s3cret-key"}
    assert "s3cret" not in repr(HTTP.auth(connection))
    assert "s3cret" not in repr(HTTP.settings(connection))


def test_each_declared_target_has_its_own_rate_and_throttled_statuses() -> None:
    api = http_api("2/s", frozenset({429, 503}))
    assert api.name == "http"
    assert api.default_rate == "2/s"
    assert api.is_throttled(httpx.Response(503))
    assert not HTTP.is_throttled(httpx.Response(503))
    assert api.vars(conn(vars={"Contract-Id": "CT-1"})) == {"Contract-Id": "CT-1"}
