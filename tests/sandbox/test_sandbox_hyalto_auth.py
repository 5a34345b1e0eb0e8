"""Hyalto: the key pair -> HS256 JWT exchange, and the bearer and permission checks."""

from __future__ import annotations

import time

import httpx
import pytest
from sandbox_hyalto_client import (
    TOKEN_PATH,
    base_url,
    error_of,
    fetch_token,
    hs256_signature,
    hyalto_client,
    jwt_parts,
    key_pair,
    settings,
    sign,
)

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.hyalto.options import ACCESS_AREAS, HyaltoOptions
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import REDACTED
from rowpush.sandbox.server import SandboxServer

CLAIMS = {
    "jti", "iat", "exp", "iss", "scope", "serviceProviderId", "accountId", "companyName",
    "userId", "username", "apiKeyId", "apex", "access",
}  # fmt: skip


def test_the_key_pair_buys_a_camel_case_hs256_jwt(server: SandboxServer) -> None:
    response = httpx.post(base_url(server) + TOKEN_PATH, json=key_pair(server))
    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"tokenType", "accessToken", "scope", "expiresIn"}
    assert (body["tokenType"], body["scope"], body["expiresIn"]) == ("Bearer", "all", 3600)
    header, claims, signature = jwt_parts(body["accessToken"])
    assert header == {"typ": "JWT", "alg": "HS256"}
    signing_input = body["accessToken"].rsplit(".", 1)[0]
    assert signature == hs256_signature(signing_input, settings(server).jwt_key)
    assert set(claims) == CLAIMS
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["iss"] == "api.hyalto.local"
    assert (claims["userId"], claims["username"], claims["apex"]) == (None, None, False)
    assert isinstance(claims["serviceProviderId"], int)
    assert set(claims["access"]) == set(ACCESS_AREAS)
    assert claims["access"]["Service Management"] == {"C": True, "R": True, "U": True, "D": True}
    logged = server.state.requests.entries(api="hyalto")[-1]
    assert logged.body["secretKey"] == REDACTED


def test_each_token_is_new(server: SandboxServer) -> None:
    first, second = fetch_token(server), fetch_token(server)
    assert jwt_parts(first)[1]["jti"] != jwt_parts(second)[1]["jti"]


def test_snake_case_key_fields_are_accepted_until_switched_off(server: SandboxServer) -> None:
    opts = settings(server)
    snake = {"access_key": opts.access_key, "secret_key": opts.secret_key}
    url = base_url(server) + TOKEN_PATH
    assert httpx.post(url, json=snake).status_code == 200
    opts.accept_snake_case_keys = False
    assert "accessKey and secretKey are required" in error_of(httpx.post(url, json=snake), 400)


def test_guide_only_answer_fields_can_be_switched_off(server: SandboxServer) -> None:
    settings(server).token_extras = False
    body = httpx.post(base_url(server) + TOKEN_PATH, json=key_pair(server)).json()
    assert body.keys() == {"tokenType", "accessToken"}


def test_oauth_style_requests_are_refused(server: SandboxServer) -> None:
    opts = settings(server)
    url = base_url(server) + TOKEN_PATH
    basic = httpx.post(url, auth=(opts.access_key, opts.secret_key))
    assert "JSON" in error_of(basic, 400)
    form = httpx.post(url, data={"accessKey": opts.access_key, "secretKey": opts.secret_key})
    error_of(form, 400)
    oauth = httpx.post(
        url, json={"grant_type": "client_credentials"}, auth=(opts.access_key, opts.secret_key)
    )
    error_of(oauth, 400)
    opts.reject_form_token_requests = False
    form = httpx.post(url, data={"accessKey": opts.access_key, "secretKey": opts.secret_key})
    assert form.status_code == 200


def test_a_wrong_key_pair_is_a_401(server: SandboxServer) -> None:
    url = base_url(server) + TOKEN_PATH
    wrong = httpx.post(url, json={**key_pair(server), "secretKey": "guess"})
    assert error_of(wrong, 401) == "Invalid access key or secret key"
    assert wrong.json()["error"] == "Unauthorized"
    error_of(httpx.post(url, json={**key_pair(server), "accessKey": "AK-other"}), 401)
    error_of(httpx.post(url, content=b"{", headers={"Content-Type": "application/json"}), 400)


def test_tokens_expire_after_expires_in() -> None:
    clock = ManualClock()
    with SandboxServer(SandboxOptions(), clock=clock) as server, hyalto_client(server) as hyalto:
        issued = jwt_parts(str(hyalto.headers["Authorization"]).split()[1])[1]["iat"]
        clock.advance(3599)
        assert hyalto.get("/accountManagement/accounts").status_code == 200
        clock.advance(1)
        expired = hyalto.get("/accountManagement/accounts")
        assert error_of(expired, 401) == "Token expired"
        # JWT times follow the sandbox clock, so a new token is an hour younger.
        assert jwt_parts(fetch_token(server))[1]["iat"] == issued + 3600


def test_forged_tampered_and_revoked_tokens_are_refused(server: SandboxServer) -> None:
    token = fetch_token(server)
    header, claims, _ = jwt_parts(token)
    key = settings(server).jwt_key
    forged = [
        "not-a-jwt",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        sign(header, claims, "another-key"),
        sign({"typ": "JWT", "alg": "none"}, claims, key),
        sign(header, {**claims, "jti": "made-up"}, key),
        sign(header, {**claims, "iss": "elsewhere"}, key),
    ]
    for bad in forged:
        with hyalto_client(server, token=bad) as hyalto:
            assert error_of(hyalto.get("/accountManagement/accounts"), 401) == "Invalid token"
    with hyalto_client(server, token=sign(header, claims, key)) as hyalto:
        assert hyalto.get("/accountManagement/accounts").status_code == 200
        server.state.reset()
        assert error_of(hyalto.get("/accountManagement/accounts"), 401) == "Invalid token"
    assert error_of(httpx.get(base_url(server) + "/accountManagement/accounts"), 401) == (
        "Missing bearer token"
    )


def test_the_access_map_is_enforced(server: SandboxServer) -> None:
    settings(server).access = {
        "Account Management": {"C": False, "R": True, "U": False, "D": False}
    }
    with hyalto_client(server) as hyalto:
        accounts = hyalto.get("/accountManagement/accounts")
        assert accounts.status_code == 200
        account = accounts.json()["data"][0]["id"]
        services = hyalto.get(f"/serviceOfferings/accounts/{account}/services/")
        assert error_of(services, 403) == "Missing permission: Service Management (R)"
        error_of(hyalto.get("/reports/usage/service/9001"), 403)
        settings(server).check_access = False
        assert hyalto.get(f"/serviceOfferings/accounts/{account}/services/").status_code == 200


@pytest.mark.parametrize(
    "options", [SandboxOptions(token_ttl=120, apis={"hyalto": HyaltoOptions(token_ttl=30)})]
)
def test_hyalto_token_ttl_overrides_the_shared_one(server: SandboxServer) -> None:
    body = httpx.post(base_url(server) + TOKEN_PATH, json=key_pair(server)).json()
    assert body["expiresIn"] == 30
    claims = jwt_parts(body["accessToken"])[1]
    assert claims["exp"] - claims["iat"] == 30
