"""m3ter's token endpoint (Basic client auth only) and the bearer check on both hosts."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from m3ter_fixtures import FORM, basic_header, fetch_m3ter_token, m3ter_opts, org_client

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.m3ter.options import M3terOptions
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer


@pytest.fixture
def anon(server: SandboxServer) -> Iterator[httpx.Client]:
    """An unauthenticated client of the Config host."""
    with httpx.Client(base_url=f"{server.url}/m3ter", timeout=10, verify=False) as client:
        yield client


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


def test_basic_auth_with_a_form_body_issues_a_bearer_token(
    anon: httpx.Client, server: SandboxServer
) -> None:
    opts = m3ter_opts(server)
    response = anon.post(
        "/oauth/token", data=FORM, headers=basic_header(opts.access_key_id, opts.api_secret)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 18000
    assert body["scope"] is None
    claims = _claims(body["access_token"])
    assert claims["orgId"] == opts.org_id
    assert claims["iss"] == "https://m3ter.com/oauth2"
    assert claims["exp"] == claims["iat"] + 18000  # type: ignore[operator]


def test_basic_auth_with_a_json_body_and_a_scope_works_too(
    anon: httpx.Client, server: SandboxServer
) -> None:
    opts = m3ter_opts(server)
    response = anon.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "scope": "whatever"},
        headers=basic_header(opts.access_key_id, opts.api_secret),
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    with org_client(server, token=token) as config:
        assert config.get("/meters").status_code == 200
    assert "scope accepted, not used" in server.state.requests.entries("m3ter")[-2].notes


def test_credentials_in_the_body_are_refused(anon: httpx.Client, server: SandboxServer) -> None:
    opts = m3ter_opts(server)
    form = {**FORM, "client_id": opts.access_key_id, "client_secret": opts.api_secret}
    response = anon.post("/oauth/token", data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "Basic" in response.json()["error_description"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("key_id", "secret"),
    [("sandbox-m3ter-key", "wrong"), ("someone-else", "sandbox-m3ter-secret-4Fp8Lw2R")],
)
def test_wrong_credentials_are_invalid_client(anon: httpx.Client, key_id: str, secret: str) -> None:
    response = anon.post("/oauth/token", data=FORM, headers=basic_header(key_id, secret))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_grant_type_is_checked_after_client_auth(anon: httpx.Client, server: SandboxServer) -> None:
    opts = m3ter_opts(server)
    auth = basic_header(opts.access_key_id, opts.api_secret)
    wrong = anon.post("/oauth/token", data={"grant_type": "password"}, headers=auth)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "unsupported_grant_type")
    missing = anon.post("/oauth/token", json={}, headers=auth)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")


def test_token_error_shape_switch(anon: httpx.Client, server: SandboxServer) -> None:
    m3ter_opts(server).token_error_shape = "message"
    response = anon.post("/oauth/token", data=FORM, headers=basic_header("x", "y"))
    assert response.status_code == 401
    assert list(response.json()) == ["message"]


def test_one_token_works_on_both_hosts(server: SandboxServer) -> None:
    token = fetch_m3ter_token(server)
    with org_client(server, token=token) as config:
        assert config.get("/accounts").status_code == 200
    with org_client(server, "m3ter-ingest", token=token) as ingest:
        body = {
            "measurements": [
                {"meter": "seats", "account": "ACME-001", "ts": "2025-01-01T00:00:00Z"}
            ]
        }
        assert ingest.post("/measurements", json=body).json() == {"result": "accepted"}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_missing_or_unknown_tokens_are_403(server: SandboxServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    url = f"{server.url}/m3ter/organizations/{m3ter_opts(server).org_id}/meters"
    response = httpx.get(url, headers=headers, verify=False)
    assert response.status_code == 403
    assert response.json()["message"].startswith("Unauthorized")


def test_bad_token_status_switch_gives_401(server: SandboxServer) -> None:
    m3ter_opts(server).bad_token_status = 401
    url = f"{server.url}/m3ter/organizations/{m3ter_opts(server).org_id}/meters"
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_unknown_org_is_403(server: SandboxServer) -> None:
    token = fetch_m3ter_token(server)
    other = "00000000-0000-4000-8000-000000000000"
    for url in (
        f"{server.url}/m3ter/organizations/{other}/meters",
        f"{server.url}/m3ter-ingest/organizations/{other}/measurements",
    ):
        response = httpx.request(
            "GET" if "meters" in url else "POST",
            url,
            headers={"Authorization": f"Bearer {token}"},
            json=None if "meters" in url else {"measurements": []},
        )
        assert response.status_code == 403, url
        assert other in response.json()["message"]


def test_expired_token_answers_403_with_the_documented_message() -> None:
    clock = ManualClock()
    opts = SandboxOptions(apis={"m3ter": M3terOptions(accounts=3)})
    with SandboxServer(opts, clock=clock) as server:
        token = fetch_m3ter_token(server)
        with (
            org_client(server, token=token) as config,
            org_client(server, "m3ter-ingest", token=token) as ingest,
        ):
            assert config.get("/meters").status_code == 200
            clock.advance(17_999)
            assert config.get("/meters").status_code == 200
            clock.advance(1)
            expired = config.get("/meters")
            assert expired.status_code == 403
            assert expired.json() == {"message": "Unauthorized: the bearer token has expired"}
            body = {
                "measurements": [{"meter": "seats", "account": "X", "ts": "2025-01-01T00:00:00Z"}]
            }
            assert ingest.post("/measurements", json=body).status_code == 403
        assert server.state.m3ter.measurements == []
        with org_client(server) as fresh:
            assert fresh.get("/meters").status_code == 200


def test_token_ttl_option_sets_expires_in(server: SandboxServer) -> None:
    m3ter_opts(server).token_ttl = 60
    opts = m3ter_opts(server)
    response = httpx.post(
        f"{server.url}/m3ter/oauth/token",
        data=FORM,
        headers=basic_header(opts.access_key_id, opts.api_secret),
    )
    assert response.json()["expires_in"] == 60
