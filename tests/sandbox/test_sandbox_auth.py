"""The Halo token endpoint and the bearer check, over real HTTP."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import httpx
import pytest

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer

FORM = {"grant_type": "client_credentials", "scope": "all"}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_token_with_credentials_in_form_body(anon: httpx.Client, server: SandboxServer) -> None:
    opts = server.options
    response = anon.post(
        "/auth/token?tenant=demo",
        data={**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "all"
    assert len(body["access_token"]) >= 32
    assert (
        anon.get(
            "/api/Client", headers={"Authorization": f"Bearer {body['access_token']}"}
        ).status_code
        == 200
    )


def test_token_with_credentials_in_basic_header(anon: httpx.Client, server: SandboxServer) -> None:
    opts = server.options
    response = anon.post(
        "/auth/token",
        data=FORM,
        headers={"Authorization": basic(opts.halo_client_id, opts.halo_client_secret)},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert anon.get("/api/Client", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("sandbox-halo-id", "wrong"), ("someone-else", "sandbox-halo-secret-7Qm2xV9c"), ("", "")],
)
def test_bad_credentials_answer_401_invalid_client(
    anon: httpx.Client, client_id: str, secret: str
) -> None:
    response = anon.post(
        "/auth/token", data={**FORM, "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Invalid client credentials.",
    }


def test_bad_basic_secret_answers_401(anon: httpx.Client, server: SandboxServer) -> None:
    response = anon.post(
        "/auth/token",
        data=FORM,
        headers={"Authorization": basic(server.options.halo_client_id, "nope")},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unsupported_grant_type_answers_400(anon: httpx.Client, server: SandboxServer) -> None:
    opts = server.options
    response = anon.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "client_id": opts.halo_client_id,
            "client_secret": opts.halo_client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_request_as_json_is_refused(anon: httpx.Client, server: SandboxServer) -> None:
    opts = server.options
    response = anon.post(
        "/auth/token",
        json={**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_basic_header_can_be_switched_off() -> None:
    opts = SandboxOptions(halo_accept_basic_auth=False, halo_clients=5)
    with (
        SandboxServer(opts) as server,
        httpx.Client(base_url=f"{server.url}/halopsa", verify=False) as client,
    ):
        response = client.post(
            "/auth/token",
            data=FORM,
            headers={"Authorization": basic(opts.halo_client_id, opts.halo_client_secret)},
        )
        assert response.status_code == 401
        form = {**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
        assert client.post("/auth/token", data=form).status_code == 200


def test_api_without_token_or_with_unknown_token_answers_401(anon: httpx.Client) -> None:
    assert anon.get("/api/Client").status_code == 401
    assert (
        anon.get("/api/Client", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    )
    response = anon.post(
        "/api/Client", json=[{"name": "X"}], headers={"Authorization": "Basic abc"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("options", [SandboxOptions(token_ttl=1, halo_clients=5)])
def test_token_expires_after_ttl_over_real_http(
    anon: httpx.Client, token_for: Callable[[str], str]
) -> None:
    headers = {"Authorization": f"Bearer {token_for('all')}"}
    assert anon.get("/api/Client", headers=headers).status_code == 200
    time.sleep(1.1)
    assert anon.get("/api/Client", headers=headers).status_code == 401


def test_token_expiry_follows_the_injected_clock() -> None:
    clock = ManualClock()
    opts = SandboxOptions(token_ttl=3600, halo_clients=5)
    with (
        SandboxServer(opts, clock=clock) as server,
        httpx.Client(base_url=f"{server.url}/halopsa", verify=False) as client,
    ):
        form = {**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
        headers = {
            "Authorization": "Bearer "
            + client.post("/auth/token", data=form).json()["access_token"]
        }
        clock.advance(3599)
        assert client.get("/api/Client", headers=headers).status_code == 200
        clock.advance(1)
        response = client.get("/api/Client", headers=headers)
        assert response.status_code == 401
        assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_read_only_scope_cannot_post(
    anon: httpx.Client, server: SandboxServer, token_for: Callable[[str], str]
) -> None:
    token = token_for("read:customers")
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/Client", headers=headers).status_code == 200
    client_id = next(iter(server.state.halopsa.clients))
    response = anon.post("/api/Client", json=[{"id": client_id, "notes": "x"}], headers=headers)
    assert response.status_code == 403
    assert server.state.halopsa.clients[client_id]["notes"] != "x"


def test_unknown_scope_is_refused(anon: httpx.Client, server: SandboxServer) -> None:
    opts = server.options
    response = anon.post(
        "/auth/token",
        data={
            **FORM,
            "scope": "read:everything",
            "client_id": opts.halo_client_id,
            "client_secret": opts.halo_client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_authinfo_points_at_the_auth_server_without_auth(
    anon: httpx.Client, server: SandboxServer
) -> None:
    response = anon.get("/api/authinfo")
    assert response.status_code == 200
    assert response.json() == {"auth_url": f"{server.url}/halopsa/auth", "tenant_id": "sandbox"}
    # A client that discovers the token URL the documented way reaches a working endpoint.
    opts = server.options
    form = {**FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
    assert anon.post(response.json()["auth_url"] + "/token", data=form).status_code == 200
