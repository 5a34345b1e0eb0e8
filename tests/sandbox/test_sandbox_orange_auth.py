"""Orange: the token endpoint (Basic client auth) and the gateway's checks on API calls."""

from __future__ import annotations

import httpx
import pytest
from sandbox_orange_client import (
    GRANT,
    TOKEN_PATH,
    fetch_token,
    first_contract,
    gateway_error,
    orange_client,
    settings,
)

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.orange.options import OrangeOptions
from rowpush.sandbox.requestlog import REDACTED
from rowpush.sandbox.server import SandboxServer


def test_basic_client_auth_gets_a_one_hour_bearer_token(server: SandboxServer) -> None:
    opts = settings(server)
    response = httpx.post(
        server.url + TOKEN_PATH,
        data=GRANT,
        auth=(opts.client_id, opts.client_secret),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    with orange_client(server, token=body["access_token"]) as orange:
        assert orange.get("/contracts").status_code == 200


@pytest.mark.parametrize(
    "options", [SandboxOptions(apis={"orange": OrangeOptions(accept_body_credentials=False)})]
)
def test_credentials_in_the_form_body_can_be_refused(server: SandboxServer) -> None:
    opts = settings(server)
    form = {**GRANT, "client_id": opts.client_id, "client_secret": opts.client_secret}
    response = httpx.post(server.url + TOKEN_PATH, data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "Basic" in response.json()["error_description"]
    assert len(server.state.orange.tokens) == 0


def test_body_credentials_are_accepted_as_the_v3_guide_allows(server: SandboxServer) -> None:
    opts = settings(server)
    form = {**GRANT, "client_id": opts.client_id, "client_secret": opts.client_secret}
    assert httpx.post(server.url + TOKEN_PATH, data=form).status_code == 200
    form["client_secret"] = "wrong"
    assert httpx.post(server.url + TOKEN_PATH, data=form).status_code == 401


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": GRANT, "auth": ("sandbox-orange-client", "wrong")}, 401, "invalid_client"),
        ({"data": GRANT, "auth": ("someone-else", "x")}, 401, "invalid_client"),
        ({"data": GRANT, "headers": {"Authorization": "Basic not-base64!"}}, 401, "invalid_client"),
        ({"data": {}, "auth": "ok"}, 400, "invalid_request"),
        ({"data": {"grant_type": "password"}, "auth": "ok"}, 400, "unsupported_grant_type"),
        ({"json": GRANT, "auth": "ok"}, 400, "invalid_request"),
    ],
)
def test_token_request_errors_are_oauth_style(
    server: SandboxServer, kwargs: dict[str, object], status: int, error: str
) -> None:
    opts = settings(server)
    if kwargs.get("auth") == "ok":
        kwargs = {**kwargs, "auth": (opts.client_id, opts.client_secret)}
    response = httpx.post(server.url + TOKEN_PATH, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    assert set(response.json()) == {"error", "error_description"}
    assert response.json()["error"] == error


def test_tokens_expire_after_an_hour_with_code_42() -> None:
    clock = ManualClock()
    with SandboxServer(SandboxOptions(), clock=clock) as server:
        token = fetch_token(server)
        with orange_client(server, token=token) as orange:
            clock.advance(3599)
            assert orange.get("/contracts").status_code == 200
            clock.advance(1)
            expired = orange.get("/contracts")
            gateway_error(expired, 401, 42)
            assert expired.json()["message"] == "Expired credentials"
        with orange_client(server, token="forged") as orange:
            assert gateway_error(orange.get("/contracts"), 401, 41)
        bare = httpx.get(f"{server.url}/orange/cloud/b2b/v1/contracts")
        gateway_error(bare, 401, 40)
        assert bare.json()["message"] == "Missing credentials"


def test_orange_token_ttl_overrides_the_shared_one() -> None:
    clock = ManualClock()
    opts = SandboxOptions(token_ttl=120, apis={"orange": OrangeOptions(token_ttl=60)})
    with SandboxServer(opts, clock=clock) as server:
        auth = (settings(server).client_id, settings(server).client_secret)
        response = httpx.post(server.url + TOKEN_PATH, data=GRANT, auth=auth)
        assert response.json()["expires_in"] == 60
        with orange_client(server, token=response.json()["access_token"]) as orange:
            clock.advance(60)
            gateway_error(orange.get("/contracts"), 401, 42)
        settings(server).token_ttl = None
        shared = httpx.post(server.url + TOKEN_PATH, data=GRANT, auth=auth)
        assert shared.json()["expires_in"] == 120


def test_every_call_needs_the_api_key(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        missing = orange.get("/contracts", headers={"X-API-Key": ""})
        # An empty value is a wrong key; leaving the header out is a missing one.
        gateway_error(missing, 401, 41)
        del orange.headers["X-API-Key"]
        gateway_error(orange.get("/contracts"), 401, 40)
        gateway_error(orange.get("/contracts", headers={"X-API-Key": "nope"}), 401, 41)
        settings(server).api_key_rejection = 403
        denied = orange.get("/contracts")
        gateway_error(denied, 403, 50)
        assert denied.json()["message"] == "Access denied"
        ok = orange.get("/contracts", headers={"X-API-Key": settings(server).api_key})
        assert ok.status_code == 200
    logged = server.state.requests.entries(api="orange")[-1]
    assert logged.headers["x-api-key"] == REDACTED
    assert logged.headers["authorization"] == f"Bearer {REDACTED}"


def test_contract_scoped_calls_need_a_known_contract_header(server: SandboxServer) -> None:
    with orange_client(server) as orange:
        assert orange.get("/contracts").status_code == 200
        assert "missing" in gateway_error(orange.get("/contract"), 403, 50)
        assert "missing" in gateway_error(orange.get("/documents"), 403, 50)
        unknown = orange.get("/contract", headers={"X-ECCS-Contract-Id": "CT-999999999"})
        assert "CT-999999999" in gateway_error(unknown, 403, 50)
        settings(server).contract_rejection = 401
        gateway_error(orange.get("/contract"), 401, 41)
        cid = first_contract(server)
        assert orange.get("/contract", headers={"X-ECCS-Contract-Id": cid}).json()["id"] == cid
