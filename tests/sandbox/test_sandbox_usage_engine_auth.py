"""Usage Engine's token call and bearer check, over real HTTP."""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from usage_engine_helpers import (
    METER_TYPES,
    TOKEN_PATH,
    fetch_ue_token,
    token_fields,
    ue_base,
    ue_client,
    ue_opts,
)

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import REDACTED
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.sandbox.usage_engine.options import UsageEngineOptions


def ue_options_of(**fields: Any) -> SandboxOptions:
    return SandboxOptions(halo_clients=3, apis={"usage-engine": UsageEngineOptions(**fields)})


def claims_of(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, payload, signature = token.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    return json.loads(decode(header)), json.loads(decode(payload)), decode(signature)


@pytest.fixture
def ue_anon(server: SandboxServer) -> Iterator[httpx.Client]:
    with ue_client(server) as client:
        yield client


def test_token_with_a_json_body_is_an_rs256_shaped_jwt(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    response = ue_anon.post(TOKEN_PATH, json=token_fields(server))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "create:meters" in body["scope"].split()
    assert response.headers["cache-control"] == "no-store"
    header, claims, signature = claims_of(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert claims["sub"] == f"{ue_opts(server).client_id}@clients"
    assert claims["aud"] == ue_base(server) + "/"
    assert claims["iss"] == "https://auth.digitalroute.io/"
    assert claims["accountId"] == server.state.usage_engine.account_id
    assert claims["exp"] - claims["iat"] == 3600
    assert len(signature) == 256
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert ue_anon.get(METER_TYPES, headers=bearer).status_code == 200


def test_token_with_a_form_body_and_audience_without_slash(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    response = ue_anon.post(TOKEN_PATH, data=token_fields(server, audience=ue_base(server)))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert claims_of(token)[1]["aud"] == ue_base(server)  # as sent
    assert ue_anon.get(METER_TYPES, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_each_token_is_new(server: SandboxServer) -> None:
    assert fetch_ue_token(server) != fetch_ue_token(server)


def test_wrong_audience_answers_400_naming_the_expected_one(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    response = ue_anon.post(
        TOKEN_PATH, json=token_fields(server, audience="https://api.digitalroute.io/")
    )
    assert response.status_code == 400
    assert response.json() == {"message": f"audience must be {ue_base(server)}/"}
    assert len(server.state.usage_engine.tokens) == 0


@pytest.mark.parametrize("options", [ue_options_of(audience="https://api.digitalroute.io/")])
def test_a_configured_audience_replaces_the_local_url(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    real = ue_anon.post(
        TOKEN_PATH, json=token_fields(server, audience="https://api.digitalroute.io")
    )
    assert real.status_code == 200
    local = ue_anon.post(TOKEN_PATH, json=token_fields(server))
    assert local.status_code == 400
    assert local.json()["message"] == "audience must be https://api.digitalroute.io/"


@pytest.mark.parametrize("options", [ue_options_of(audience_slash_optional=False)])
def test_strict_audience_needs_the_trailing_slash(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    assert ue_anon.post(TOKEN_PATH, json=token_fields(server)).status_code == 200
    bare = ue_anon.post(TOKEN_PATH, json=token_fields(server, audience=ue_base(server)))
    assert bare.status_code == 400


@pytest.mark.parametrize("options", [ue_options_of(check_audience=False)])
def test_audience_check_can_be_switched_off(ue_anon: httpx.Client, server: SandboxServer) -> None:
    response = ue_anon.post(TOKEN_PATH, json=token_fields(server, audience="https://elsewhere/"))
    assert response.status_code == 200


def test_credentials_in_a_basic_header_only_are_refused(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    opts = ue_opts(server)
    body = token_fields(server, client_id=None, client_secret=None)
    response = ue_anon.post(TOKEN_PATH, json=body, auth=(opts.client_id, opts.client_secret))
    assert response.status_code == 400
    assert response.json() == {
        "message": "client_id and client_secret are required in the request body"
    }
    assert "Basic header ignored" in " ".join(server.state.requests.entries()[-1].notes)
    opts.accept_basic_auth = True  # options are read per request
    accepted = ue_anon.post(TOKEN_PATH, json=body, auth=(opts.client_id, opts.client_secret))
    assert accepted.status_code == 200


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "grant_type", "audience"])
def test_each_body_field_is_required(
    ue_anon: httpx.Client, server: SandboxServer, missing: str
) -> None:
    response = ue_anon.post(TOKEN_PATH, data=token_fields(server, **{missing: None}))
    assert response.status_code == 400
    assert response.json() == {"message": f"{missing} is required"}


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"client_secret": "wrong"}, 401, "Unauthorized"),
        ({"client_id": "someone-else"}, 401, "Unauthorized"),
        ({"grant_type": "password"}, 400, "grant_type must be client_credentials"),
        ({"client_id": 12}, 400, "client_id must be a string"),
    ],
)
def test_bad_token_calls(
    ue_anon: httpx.Client,
    server: SandboxServer,
    overrides: dict[str, Any],
    status: int,
    message: str,
) -> None:
    response = ue_anon.post(TOKEN_PATH, json=token_fields(server, **overrides))
    assert response.status_code == status
    assert response.json() == {"message": message}


def test_token_call_needs_json_or_form(ue_anon: httpx.Client, server: SandboxServer) -> None:
    response = ue_anon.post(
        TOKEN_PATH, content=json.dumps(token_fields(server)), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert "application/json" in response.json()["message"]
    assert ue_anon.get(TOKEN_PATH).status_code == 405


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic c2FuZGJveDpzZWNyZXQ="],
)
def test_api_calls_need_a_live_bearer_token(
    ue_anon: httpx.Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = ue_anon.get(METER_TYPES, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_tampered_token_is_refused(ue_anon: httpx.Client, server: SandboxServer) -> None:
    token = fetch_ue_token(server)
    header, _, signature = token.split(".")
    claims = claims_of(token)[1]
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "exp": claims["exp"] + 86400}).encode()
    ).rstrip(b"=")
    tampered = f"{header}.{forged.decode()}.{signature}"
    assert (
        ue_anon.get(METER_TYPES, headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    )


def test_tokens_expire_after_an_hour() -> None:
    clock = ManualClock()
    with SandboxServer(SandboxOptions(halo_clients=3), clock=clock) as server:
        token = fetch_ue_token(server)
        with ue_client(server, token) as client:
            clock.advance(3599)
            assert client.get(METER_TYPES).status_code == 200
            clock.advance(1)
            assert client.get(METER_TYPES).status_code == 401
            assert client.post(TOKEN_PATH, json=token_fields(server)).status_code == 200


def test_token_calls_are_limited_per_client_to_a_burst_of_5() -> None:
    clock = ManualClock()
    server = SandboxServer(SandboxOptions(halo_clients=3, retry_after=True), clock=clock)
    with server, ue_client(server) as client:
        body = token_fields(server)
        statuses = [client.post(TOKEN_PATH, json=body).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        limited = client.post(TOKEN_PATH, json=body)
        assert limited.json() == {"message": "Too many requests"}
        assert limited.headers["Retry-After"] == "1"
        other = client.post(TOKEN_PATH, json=token_fields(server, client_id="other"))
        assert other.status_code == 401  # another client's window is its own
        clock.advance(0.5)
        assert client.post(TOKEN_PATH, json=body).status_code == 200
        assert client.get(METER_TYPES).status_code == 401  # the API itself is not limited


def test_token_calls_just_under_ten_a_second_all_pass() -> None:
    clock = ManualClock()
    server = SandboxServer(SandboxOptions(halo_clients=3), clock=clock)
    with server, ue_client(server) as client:
        for _ in range(20):
            assert client.post(TOKEN_PATH, json=token_fields(server)).status_code == 200
            clock.advance(0.11)


def test_credentials_never_reach_the_request_log(
    ue_anon: httpx.Client, server: SandboxServer
) -> None:
    secret = ue_opts(server).client_secret
    token = ue_anon.post(TOKEN_PATH, json=token_fields(server)).json()["access_token"]
    ue_anon.post(TOKEN_PATH, data=token_fields(server))
    ue_anon.get(METER_TYPES, headers={"Authorization": f"Bearer {token}"})
    json_call, form_call, api_call = server.state.requests.entries(api="usage-engine")
    assert json_call.body["client_secret"] == REDACTED
    assert form_call.body["client_secret"] == REDACTED
    assert json_call.body["client_id"] == ue_opts(server).client_id
    assert api_call.headers["authorization"] == f"Bearer {REDACTED}"
    logged = repr(server.state.requests.entries())
    assert secret not in logged
    assert token not in logged


def test_render_config_connection_gets_a_token_with_its_base_url_as_audience(
    server: SandboxServer,
) -> None:
    config = tomllib.loads(render_config(server.url, server.options))
    connection = config["connections"]["usage-engine"]
    assert connection == {
        "api": "usage-engine",
        "base_url": f"{server.url}/usage-engine",
        "client_id": "sandbox-ue-id",
        "client_secret": ue_opts(server).client_secret,
    }
    response = httpx.post(
        connection["base_url"] + TOKEN_PATH,
        json={
            "client_id": connection["client_id"],
            "client_secret": connection["client_secret"],
            "grant_type": "client_credentials",
            "audience": connection["base_url"],
        },
        verify=False,
    )
    assert response.status_code == 200
    assert httpx.get(server.url + "/", verify=False).json()["apis"]["usage-engine"] == [
        "/usage-engine"
    ]
