"""OAuth2 client credentials (and friends) against a mock token endpoint and API."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx
import pytest

from rowpush.errors import AuthFailed, ConfigError, ConnectionFailed
from rowpush.http.auth import ApiKeyHeader, BearerToken, ClientCredentials
from rowpush.http.client import build_client
from rowpush.http.limiter import RateLimiter
from rowpush.http.rate import Rate
from rowpush.http.retry import RetryPolicy

if TYPE_CHECKING:
    from http_fakes import FakeClock

pytestmark = pytest.mark.anyio

BASE = "https://api.example.com"
TOKEN_URL = "https://auth.example.com/oauth/token"
SECRET = "s3cr3t-v4lue"


class Server:
    """A token endpoint minting tok-1, tok-2, ... and an API that accepts live tokens."""

    def __init__(self, *, lifetime: float | None = 3600, camel: bool = False) -> None:
        self.lifetime = lifetime
        self.camel = camel
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.live: set[str] = set()
        self.token_answer: httpx.Response | Exception | None = None
        """Given to every token request (instead of a token) while set."""
        self.token_hiccups: list[httpx.Response] = []
        """Given to the next token requests, one each, before tokens are minted."""
        self.reject_with = 401

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let other tasks interleave, as the network would
        if request.url == TOKEN_URL:
            self.token_requests.append(request)
            if isinstance(self.token_answer, Exception):
                raise self.token_answer
            if self.token_answer is not None:
                return self.token_answer
            if self.token_hiccups:
                return self.token_hiccups.pop(0)
            token = f"tok-{len(self.token_requests)}"
            self.live.add(token)
            fields: dict[str, Any] = (
                {"tokenType": "Bearer", "accessToken": token, "scope": "all"}
                if self.camel
                else {"token_type": "Bearer", "access_token": token, "scope": None}
            )
            if self.lifetime is not None:
                fields["expiresIn" if self.camel else "expires_in"] = self.lifetime
            return httpx.Response(200, json=fields)
        self.api_requests.append(request)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.live:
            return httpx.Response(self.reject_with, json={"message": "token expired"})
        return httpx.Response(200, json={"token": bearer})

    def revoke(self) -> None:
        self.live.clear()


def client_for(
    server: Server, auth: httpx.Auth, clock: FakeClock, **options: Any
) -> httpx.AsyncClient:
    return build_client(
        BASE, auth=auth, transport=httpx.MockTransport(server), sleep=clock.sleep, **options
    )


def credentials(clock: FakeClock, **options: Any) -> ClientCredentials:
    return ClientCredentials(TOKEN_URL, "my-id", SECRET, clock=clock, **options)


def form(request: httpx.Request) -> dict[str, str]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def test_the_token_is_fetched_once_and_reused(clock: FakeClock) -> None:
    server = Server()
    async with client_for(server, credentials(clock), clock) as client:
        answers = [await client.get(f"/things/{n}") for n in range(5)]
    assert [a.json()["token"] for a in answers] == ["tok-1"] * 5
    assert len(server.token_requests) == 1
    assert all(r.headers["Authorization"] == "Bearer tok-1" for r in server.api_requests)


async def test_basic_client_auth_sends_the_credentials_in_the_header(clock: FakeClock) -> None:
    server = Server()
    async with client_for(server, credentials(clock, client_auth="basic"), clock) as client:
        await client.get("/x")
    (token_request,) = server.token_requests
    expected = base64.b64encode(f"my-id:{SECRET}".encode()).decode()
    assert token_request.method == "POST"
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert form(token_request) == {"grant_type": "client_credentials"}


async def test_body_client_auth_sends_the_credentials_as_form_fields(clock: FakeClock) -> None:
    server = Server()
    auth = credentials(clock, client_auth="body", scope="all")
    async with client_for(server, auth, clock) as client:
        await client.get("/x")
    (token_request,) = server.token_requests
    assert "Authorization" not in token_request.headers
    assert form(token_request) == {
        "grant_type": "client_credentials",
        "client_id": "my-id",
        "client_secret": SECRET,
        "scope": "all",
    }


async def test_scope_and_audience_go_in_a_json_body(clock: FakeClock) -> None:
    server = Server()
    auth = credentials(
        clock,
        client_auth="body",
        body_format="json",
        scope="read write",
        audience="https://api.digitalroute.io/",
    )
    async with client_for(server, auth, clock) as client:
        await client.get("/x")
    (token_request,) = server.token_requests
    assert token_request.headers["Content-Type"] == "application/json"
    assert json.loads(token_request.content) == {
        "grant_type": "client_credentials",
        "client_id": "my-id",
        "client_secret": SECRET,
        "scope": "read write",
        "audience": "https://api.digitalroute.io/",
    }


async def test_the_token_request_carries_the_user_agent_and_is_sent_politely(
    clock: FakeClock,
) -> None:
    server = Server()
    server.token_hiccups = [httpx.Response(503)]
    limiter = RateLimiter(Rate.parse("10/min"), clock=clock, sleep=clock.sleep)
    async with client_for(server, credentials(clock), clock, limiter=limiter) as client:
        response = await client.get("/x")
    assert response.status_code == 200
    assert len(server.token_requests) == 2  # the 503 was retried by the transport
    assert server.token_requests[-1].headers["User-Agent"].startswith("rowpush/")
    assert limiter.state.in_window == 3  # two token attempts and the API call


async def test_the_token_is_refreshed_before_it_expires(clock: FakeClock) -> None:
    server = Server(lifetime=3600)
    async with client_for(server, credentials(clock, expiry_margin=60), clock) as client:
        await client.get("/x")
        clock.advance(3539)
        assert (await client.get("/x")).json()["token"] == "tok-1"
        clock.advance(2)  # now within the last 60 s of the token's life
        assert (await client.get("/x")).json()["token"] == "tok-2"
    assert len(server.token_requests) == 2


async def test_a_short_lived_token_is_kept_for_half_its_life(clock: FakeClock) -> None:
    server = Server(lifetime=30)  # shorter than the 60 s margin
    async with client_for(server, credentials(clock), clock) as client:
        await client.get("/x")
        clock.advance(14)
        await client.get("/x")
        assert len(server.token_requests) == 1
        clock.advance(2)
        await client.get("/x")
        assert len(server.token_requests) == 2


async def test_a_refused_token_is_replaced_and_the_request_sent_again(clock: FakeClock) -> None:
    server = Server()
    async with client_for(server, credentials(clock), clock) as client:
        await client.get("/x")
        server.revoke()
        response = await client.get("/y")
    assert response.status_code == 200
    assert response.json()["token"] == "tok-2"
    assert len(server.token_requests) == 2
    assert [r.url.path for r in server.api_requests] == ["/x", "/y", "/y"]


async def test_a_second_refusal_is_returned_as_is(clock: FakeClock) -> None:
    server = Server()
    server.live = set()

    async def never_live(request: httpx.Request) -> httpx.Response:
        response = await Server.__call__(server, request)
        server.revoke()
        return response

    auth = credentials(clock)
    async with build_client(
        BASE, auth=auth, transport=httpx.MockTransport(never_live), sleep=clock.sleep
    ) as client:
        response = await client.get("/x")
    assert response.status_code == 401
    assert response.json() == {"message": "token expired"}
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 2


async def test_m3ter_style_403_can_trigger_the_refresh(clock: FakeClock) -> None:
    server = Server()
    server.reject_with = 403
    auth = credentials(clock, refresh_on={401, 403})
    async with client_for(server, auth, clock) as client:
        await client.get("/x")
        server.revoke()
        response = await client.get("/x")
    assert response.status_code == 200
    assert len(server.token_requests) == 2


async def test_a_403_does_not_refresh_unless_asked(clock: FakeClock) -> None:
    server = Server()
    server.reject_with = 403
    async with client_for(server, credentials(clock), clock) as client:
        await client.get("/x")
        server.revoke()
        response = await client.get("/x")
    assert response.status_code == 403
    assert len(server.token_requests) == 1


async def test_concurrent_requests_share_one_token_fetch(clock: FakeClock) -> None:
    server = Server()
    async with client_for(server, credentials(clock), clock) as client:
        answers = await asyncio.gather(*(client.get(f"/x/{n}") for n in range(20)))
    assert all(a.status_code == 200 for a in answers)
    assert len(server.token_requests) == 1


async def test_concurrent_refusals_share_one_refresh(clock: FakeClock) -> None:
    server = Server()
    async with client_for(server, credentials(clock), clock) as client:
        await client.get("/warm-up")
        server.revoke()
        answers = await asyncio.gather(*(client.get(f"/x/{n}") for n in range(20)))
    assert all(a.json()["token"] == "tok-2" for a in answers)
    assert len(server.token_requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_a_refusing_token_endpoint_raises_auth_failed(clock: FakeClock, status: int) -> None:
    server = Server()
    server.token_answer = httpx.Response(
        status,
        json={"error": "invalid_client", "error_description": f"Bad secret {SECRET} for my-id"},
    )
    async with client_for(server, credentials(clock), clock) as client:
        with pytest.raises(AuthFailed) as caught:
            await client.get("/x")
    error = caught.value
    text = str(error)
    assert error.exit_code == 3
    assert TOKEN_URL in error.message
    assert str(status) in error.message
    assert "invalid_client" in error.message
    assert "Bad secret" in error.message
    assert SECRET not in text
    assert base64.b64encode(f"my-id:{SECRET}".encode()).decode() not in text
    assert error.hint is not None
    assert "client_id" in error.hint
    assert "client_secret" in error.hint
    assert "rowpush.toml" in error.hint
    assert server.api_requests == []


async def test_a_text_error_from_the_token_endpoint_is_quoted(clock: FakeClock) -> None:
    server = Server()
    server.token_answer = httpx.Response(401, text="Unauthorized\n  tenant unknown")
    async with client_for(server, credentials(clock), clock) as client:
        with pytest.raises(AuthFailed, match="Unauthorized tenant unknown"):
            await client.get("/x")


async def test_a_missing_token_endpoint_points_at_the_url(clock: FakeClock) -> None:
    server = Server()
    server.token_answer = httpx.Response(404, text="Not Found")
    async with client_for(server, credentials(clock), clock) as client:
        with pytest.raises(AuthFailed) as caught:
            await client.get("/x")
    assert TOKEN_URL in caught.value.message
    assert caught.value.hint is not None
    assert "token URL" in caught.value.hint


async def test_a_failing_token_endpoint_raises_connection_failed(clock: FakeClock) -> None:
    server = Server()
    server.token_answer = httpx.Response(503, json={"message": "down for maintenance"})
    async with client_for(server, credentials(clock), clock) as client:
        with pytest.raises(ConnectionFailed, match="down for maintenance") as caught:
            await client.get("/x")
    assert TOKEN_URL in caught.value.message
    assert len(server.token_requests) == 6  # retried by the transport first


async def test_an_unreachable_token_endpoint_raises_connection_failed(clock: FakeClock) -> None:
    server = Server()
    server.token_answer = httpx.ConnectError("[Errno -2] Name or service not known")
    async with client_for(
        server, credentials(clock), clock, policy=RetryPolicy(max_attempts=2)
    ) as client:
        with pytest.raises(ConnectionFailed) as caught:
            await client.get("/x")
    assert TOKEN_URL in caught.value.message
    assert "Name or service not known" in caught.value.message
    assert SECRET not in str(caught.value)
    assert len(server.token_requests) == 2


async def test_a_token_response_without_a_token_raises_auth_failed(clock: FakeClock) -> None:
    server = Server()
    server.token_answer = httpx.Response(200, text="<html>login page</html>")
    async with client_for(server, credentials(clock), clock) as client:
        with pytest.raises(AuthFailed, match="no access token"):
            await client.get("/x")


async def test_a_camel_case_token_response_is_accepted(clock: FakeClock) -> None:
    server = Server(lifetime=3600, camel=True)
    auth = ClientCredentials.key_pair(TOKEN_URL, "AK1f3c9e", SECRET, clock=clock)
    async with client_for(server, auth, clock) as client:
        response = await client.get("/accounts")
        clock.advance(3541)
        await client.get("/accounts")
    assert response.json()["token"] == "tok-1"
    assert len(server.token_requests) == 2  # expiresIn was read
    token_request = server.token_requests[0]
    assert "Authorization" not in token_request.headers
    assert json.loads(token_request.content) == {"accessKey": "AK1f3c9e", "secretKey": SECRET}


async def test_a_token_response_without_a_lifetime_is_kept_an_hour(clock: FakeClock) -> None:
    server = Server(lifetime=None)
    async with client_for(server, credentials(clock), clock) as client:
        await client.get("/x")
        clock.advance(3000)
        await client.get("/x")
        assert len(server.token_requests) == 1
        clock.advance(600)
        await client.get("/x")
        assert len(server.token_requests) == 2


async def test_api_headers_go_on_api_requests_only(clock: FakeClock) -> None:
    server = Server()
    auth = credentials(clock, api_headers={"X-API-Key": "k3y"})
    async with client_for(server, auth, clock) as client:
        await client.get("/contracts")
    assert server.api_requests[0].headers["X-API-Key"] == "k3y"
    assert "X-API-Key" not in server.token_requests[0].headers
    assert "k3y" not in repr(auth)


async def test_an_unbound_auth_works_with_any_async_client(clock: FakeClock) -> None:
    server = Server()
    auth = credentials(clock)
    async with httpx.AsyncClient(
        base_url=BASE, auth=auth, transport=httpx.MockTransport(server)
    ) as client:
        answers = await asyncio.gather(*(client.get("/x") for _ in range(5)))
        server.revoke()
        again = await client.get("/x")
    assert all(a.status_code == 200 for a in answers)
    assert again.json()["token"] == "tok-2"
    assert len(server.token_requests) == 2


def test_a_sync_client_is_refused(clock: FakeClock) -> None:
    with (
        httpx.Client(
            auth=credentials(clock), transport=httpx.MockTransport(lambda r: httpx.Response(200))
        ) as client,
        pytest.raises(RuntimeError, match="AsyncClient"),
    ):
        client.get(f"{BASE}/x")


def test_repr_redacts_the_secret(clock: FakeClock) -> None:
    auth = credentials(clock)
    text = repr(auth)
    assert SECRET not in text
    assert "***" in text
    assert "my-id" in text
    assert TOKEN_URL in text


@pytest.mark.parametrize("url", ["/auth/token", "auth.example.com/token", "ftp://x/token"])
def test_a_token_url_must_be_a_full_http_url(url: str) -> None:
    with pytest.raises(ConfigError, match="token URL"):
        ClientCredentials(url, "id", SECRET)


async def test_fixed_header_auths_add_their_header_and_hide_it() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    for auth in (ApiKeyHeader("k3y"), BearerToken("t0ken")):
        async with httpx.AsyncClient(auth=auth, transport=httpx.MockTransport(record)) as client:
            await client.get(f"{BASE}/x")
        assert "k3y" not in repr(auth)
        assert "t0ken" not in repr(auth)
    assert seen[0].headers["X-API-Key"] == "k3y"
    assert seen[1].headers["Authorization"] == "Bearer t0ken"


async def test_messages_keep_the_tenant_of_a_halo_token_url(clock: FakeClock) -> None:
    url = "https://acme.halopsa.com/auth/token?tenant=acme"

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    auth = ClientCredentials(url, "my-id", SECRET, client_auth="body", scope="all", clock=clock)
    async with build_client(
        "https://acme.halopsa.com", auth=auth, transport=httpx.MockTransport(refuse)
    ) as client:
        with pytest.raises(AuthFailed) as caught:
            await client.get("/api/Client")
    assert url in caught.value.message
    assert url in repr(auth)
