"""Orange behind its gateway: throttling, faults, and its rowpush.toml connection."""

from __future__ import annotations

import tomllib

import httpx
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
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config


def test_throttling_is_a_403_code_53_by_default() -> None:
    clock = ManualClock()
    options = SandboxOptions(rate_window=RateWindow(3, 5.0), retry_after=True)
    with SandboxServer(options, clock=clock) as server, orange_client(server) as orange:
        # The token call orange_client made is 1 of 3.
        assert orange.get("/contracts").status_code == 200
        assert orange.get("/contracts").status_code == 200
        limited = orange.get("/contracts")
        gateway_error(limited, 403, 53)
        assert limited.json()["message"] == "Too many requests"
        assert limited.headers["Retry-After"] == "5"
        clock.advance(5)
        assert orange.get("/contracts").status_code == 200


def test_throttling_can_answer_429_and_each_api_has_its_own_limiter() -> None:
    clock = ManualClock()
    options = SandboxOptions(rate_window=RateWindow(2, 60.0), retry_after=True)
    with SandboxServer(options, clock=clock) as server:
        settings(server).throttle_status = 429
        with orange_client(server, token=fetch_token(server)) as orange:
            assert orange.get("/contracts").status_code == 200
            limited = orange.get("/contracts")
            gateway_error(limited, 429, 53)
            assert limited.headers["Retry-After"] == "60"
        # Hyalto and Halo count on their own.
        assert httpx.get(f"{server.url}/hyalto/accountManagement/accounts").status_code == 401
        assert httpx.get(f"{server.url}/halopsa/api/authinfo").status_code == 200
        assert httpx.post(server.url + TOKEN_PATH, data=GRANT).status_code == 429
        clock.advance(60)
        assert httpx.post(server.url + TOKEN_PATH, data=GRANT).status_code == 401


def test_injected_faults_never_create_users(server: SandboxServer) -> None:
    cid = first_contract(server)
    before = [dict(u) for u in server.state.orange.users[cid]]
    with orange_client(server, contract=cid) as orange:
        server.options.fail_rate = 1.0
        body = {
            "civility": "MR",
            "lastName": "Roux",
            "firstName": "Luc",
            "email": "luc.roux@acme.example",
            "login": "lroux-new",
        }
        statuses = {orange.post(f"/contracts/{cid}/user", json=body).status_code for _ in range(8)}
    assert statuses <= {500, 502, 503}
    assert server.state.orange.users[cid] == before


def test_render_config_has_a_working_orange_connection(server: SandboxServer) -> None:
    config = tomllib.loads(render_config(server.url, server.options))
    orange = config["connections"]["orange"]
    assert orange == {
        "api": "orange",
        "base_url": f"{server.url}/orange/cloud/b2b/v1",
        "oauth_url": f"{server.url}/orange/oauth/v3",
        "client_id": settings(server).client_id,
        "client_secret": settings(server).client_secret,
        "api_key": settings(server).api_key,
        "contract_id": first_contract(server),
    }
    assert len(orange["api_key"]) > 300
    assert "hyalto" in config["connections"]
    token = httpx.post(
        f"{orange['oauth_url']}/token",
        data=GRANT,
        auth=(orange["client_id"], orange["client_secret"]),
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-API-Key": orange["api_key"],
        "X-ECCS-Contract-Id": orange["contract_id"],
    }
    detail = httpx.get(f"{orange['base_url']}/contract", headers=headers)
    assert detail.json()["id"] == orange["contract_id"]
