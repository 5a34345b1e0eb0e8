"""Injected faults over real HTTP: throttles, timeouts, dropped connections, their rates.

Options are changed live on the running server (the gateway reads them per request), so
a token is fetched before a fault is switched on: faults hit token calls too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from m3ter_fixtures import FORM, basic_header, m3ter_opts
from sandbox_hyalto_client import TOKEN_PATH as HYALTO_TOKEN_PATH
from sandbox_hyalto_client import key_pair
from sandbox_orange_client import GRANT
from sandbox_orange_client import TOKEN_PATH as ORANGE_TOKEN_PATH
from sandbox_orange_client import settings as orange_settings
from usage_engine_helpers import METERS, TOKEN_PATH, fetch_ue_token, token_fields, ue_base

from rowpush.sandbox.clock import ManualClock
from rowpush.sandbox.m3ter.options import M3terOptions, m3ter_token_ttl
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import LoggedRequest
from rowpush.sandbox.server import SandboxServer

HALO_FORM = {"grant_type": "client_credentials", "scope": "all"}


def halo_token(server: SandboxServer) -> str:
    opts = server.options
    form = {**HALO_FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
    response = httpx.post(f"{server.url}/halopsa/auth/token", data=form, timeout=5, verify=False)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def halo_writer(server: SandboxServer) -> Iterator[Callable[..., httpx.Client]]:
    """Makes Halo clients with a fresh token and the given timeout."""
    token = halo_token(server)
    clients: list[httpx.Client] = []

    def make(timeout: float = 5.0) -> httpx.Client:
        client = httpx.Client(
            base_url=f"{server.url}/halopsa",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            verify=False,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def notes_with(server: SandboxServer, prefix: str) -> list[LoggedRequest]:
    return [
        e for e in server.state.requests.entries() if any(n.startswith(prefix) for n in e.notes)
    ]


def halo_names(server: SandboxServer) -> set[str]:
    return {c["name"] for c in server.state.halopsa.clients.values()}


# --- throttle ---------------------------------------------------------------------------

THROTTLES: list[tuple[str, str, dict[str, Any], int, Any]] = [
    (
        "halopsa",
        "/halopsa/auth/token",
        {"data": HALO_FORM},
        429,
        "Rate Limit Reached - 300 Requests per rolling 5 minute window",
    ),
    ("m3ter", "/m3ter/oauth/token", {"data": {}}, 429, {"message": "Too Many Requests"}),
    (
        "m3ter",
        "/m3ter-ingest/organizations/x/measurements",
        {"json": {}},
        429,
        {"message": "Too Many Requests"},
    ),
    (
        "orange",
        "/orange/oauth/v3/token",
        {"data": {}},
        403,
        {
            "code": 53,
            "message": "Too many requests",
            "description": "The application has made too many calls and has exceeded the rate "
            "limit for this service.",
        },
    ),
    (
        "hyalto",
        "/hyalto/accountManagement/auth/token",
        {"json": {}},
        429,
        {"error": "Too Many Requests", "message": "Rate limit exceeded"},
    ),
    (
        "usage-engine",
        "/usage-engine/authentication/v1/oauth/token",
        {"json": {}},
        429,
        {"message": "Too many requests"},
    ),
]


@pytest.mark.parametrize(("api", "path", "send", "status", "body"), THROTTLES)
def test_injected_throttle_is_each_apis_own_answer_with_retry_after(
    server: SandboxServer, api: str, path: str, send: dict[str, Any], status: int, body: Any
) -> None:
    server.options.throttle_rate = 1.0
    server.options.retry_after = True  # no vendor documents it: off by default
    response = httpx.post(server.url + path, timeout=5, verify=False, **send)
    assert response.status_code == status
    assert (response.text if isinstance(body, str) else response.json()) == body
    assert response.headers["Retry-After"] == "1"
    (entry,) = server.state.requests.entries()
    assert entry.api == api
    assert entry.notes == [f"injected throttle {status}"]


def test_injected_throttle_never_reaches_the_api(
    server: SandboxServer, halo_writer: Callable[..., httpx.Client]
) -> None:
    halo = halo_writer()
    server.options.throttle_rate = 1.0
    answers = [halo.post("/api/Client", json=[{"name": f"Throttled {i}"}]) for i in range(5)]
    assert {a.status_code for a in answers} == {429}
    assert not {f"Throttled {i}" for i in range(5)} & halo_names(server)
    assert len(notes_with(server, "injected throttle")) == 5


def test_injected_throttle_keeps_a_configured_window_and_retry_after_switch(
    server: SandboxServer,
) -> None:
    server.options.rate_limit = 1000.0
    server.options.throttle_rate = 1.0  # retry_after is off by default
    response = httpx.get(f"{server.url}/halopsa/api/authinfo", timeout=5, verify=False)
    assert response.status_code == 429
    assert response.text == "Rate Limit Reached - 1000 Requests per rolling 1 second window"
    assert "Retry-After" not in response.headers


# --- timeout ----------------------------------------------------------------------------


def test_injected_timeout_outlasts_the_client_and_never_reaches_the_api(
    server: SandboxServer, halo_writer: Callable[..., httpx.Client]
) -> None:
    server.options.hang_seconds = 2.0
    halo = halo_writer(timeout=0.5)
    server.options.timeout_rate = 1.0
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        halo.post("/api/Client", json=[{"name": "Hung Co"}])
    assert 0.5 <= time.monotonic() - started < 1.5
    # The server stops hanging as soon as the client goes away, and never answers.
    deadline = time.monotonic() + 1.0
    while not notes_with(server, "client disconnected") and time.monotonic() < deadline:
        time.sleep(0.02)
    (entry,) = notes_with(server, "injected timeout")
    assert entry.notes == ["injected timeout 2s", "client disconnected while the request hung"]
    assert entry.status is None  # the handler returned without answering or running the API
    assert "Hung Co" not in halo_names(server)


def test_a_client_that_waits_out_the_hang_gets_504(
    server: SandboxServer, halo_writer: Callable[..., httpx.Client]
) -> None:
    server.options.hang_seconds = 0.3
    halo = halo_writer(timeout=5)
    server.options.timeout_rate = 1.0
    started = time.monotonic()
    response = halo.post("/api/Client", json=[{"name": "Patient Co"}])
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 504
    assert response.text == "504 Gateway Timeout"
    assert "Patient Co" not in halo_names(server)


# --- drop -------------------------------------------------------------------------------


def test_a_dropped_create_lands_but_the_client_sees_a_transport_error(
    server: SandboxServer,
    halo_writer: Callable[..., httpx.Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    halo = halo_writer()
    server.options.drop_rate = 1.0
    with caplog.at_level(logging.ERROR), pytest.raises(httpx.TransportError) as raised:
        halo.post("/api/Client", json=[{"name": "Schrodinger Ltd"}])
    assert isinstance(raised.value, httpx.RemoteProtocolError | httpx.ReadError)
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]  # meant, not a crash
    (entry,) = notes_with(server, "injected drop")
    assert entry.notes == ["injected drop after 201"]
    assert entry.status == 201
    server.options.drop_rate = 0.0
    found = halo.get("/api/Client", params={"search": "Schrodinger"}).json()
    assert [c["name"] for c in found["clients"]] == ["Schrodinger Ltd"]


def test_a_dropped_answer_without_a_body_is_still_cut(server: SandboxServer) -> None:
    """Usage Engine answers a delete 204: a head alone would be a complete answer."""
    meter_id = next(iter(server.state.usage_engine.meters))
    token = fetch_ue_token(server)
    server.options.drop_rate = 1.0
    with pytest.raises(httpx.TransportError):
        httpx.delete(
            f"{ue_base(server)}{METERS}/{meter_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
            verify=False,
        )
    assert meter_id not in server.state.usage_engine.meters
    (entry,) = notes_with(server, "injected drop")
    assert entry.notes == ["injected drop after 204"]


def test_a_dropped_token_call_still_issued_a_token(server: SandboxServer) -> None:
    server.options.drop_rate = 1.0
    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{ue_base(server)}/authentication/v1/oauth/token",
            json=token_fields(server),
            timeout=5,
            verify=False,
        )
    assert len(server.state.usage_engine.tokens) == 1


# --- rates and dice ---------------------------------------------------------------------


def outcomes(server: SandboxServer, count: int) -> list[str]:
    """What a client saw for ``count`` unauthenticated calls: a status or an error name."""
    seen: list[str] = []
    with httpx.Client(base_url=f"{server.url}/halopsa", timeout=5, verify=False) as client:
        for _ in range(count):
            try:
                seen.append(str(client.get("/api/authinfo").status_code))
            except httpx.TransportError as error:
                seen.append(type(error).__name__)
    return seen


def test_fault_rates_add_up_and_are_roughly_honoured(server: SandboxServer) -> None:
    opts = server.options
    opts.fail_rate, opts.throttle_rate, opts.timeout_rate, opts.drop_rate = 0.2, 0.1, 0.05, 0.02
    opts.hang_seconds = 0.0  # hung requests answer 504 at once: the test stays fast
    seen = outcomes(server, 400)
    counts = {
        "error": sum(s in {"500", "502", "503"} for s in seen),
        "throttle": seen.count("429"),
        "timeout": seen.count("504"),
        "drop": sum(s in {"RemoteProtocolError", "ReadError"} for s in seen),
    }
    assert counts["error"] + counts["throttle"] + counts["timeout"] + counts["drop"] == (
        400 - seen.count("200")
    )
    assert 55 <= counts["error"] <= 105  # 80 expected
    assert 22 <= counts["throttle"] <= 58  # 40
    assert 8 <= counts["timeout"] <= 32  # 20
    assert 2 <= counts["drop"] <= 18  # 8
    assert 120 <= 400 - seen.count("200") <= 176  # 37% of 400 = 148
    # Every injected fault is in the request log, one note per fault.
    assert len(notes_with(server, "injected fault 5")) == counts["error"]
    assert len(notes_with(server, "injected throttle")) == counts["throttle"]
    assert len(notes_with(server, "injected timeout")) == counts["timeout"]
    assert len(notes_with(server, "injected drop")) == counts["drop"]


def test_the_same_seed_injects_the_same_faults(server: SandboxServer) -> None:
    def run(seed: int) -> list[str]:
        server.options.seed = seed
        server.state.reset()
        opts = server.options
        opts.fail_rate, opts.throttle_rate, opts.timeout_rate, opts.drop_rate = 0.2, 0.2, 0.2, 0.2
        opts.hang_seconds = 0.0
        return outcomes(server, 60)

    first = run(1)
    assert first == run(1)
    assert first != run(2)
    assert {"200", "429", "504"} <= set(first)
    assert {"500", "502", "503"} & set(first)
    assert "RemoteProtocolError" in first or "ReadError" in first


def test_fault_options_are_checked() -> None:
    for bad in (
        {"throttle_rate": 1.5},
        {"timeout_rate": -0.1},
        {"drop_rate": float("nan")},
        {"hang_seconds": -1.0},
        {"fail_rate": 0.6, "drop_rate": 0.5},
    ):
        with pytest.raises(ValueError, match="must"):
            SandboxOptions(**bad)
    assert SandboxOptions(fail_rate=0.5, throttle_rate=0.3, timeout_rate=0.1, drop_rate=0.1)


# --- token lifetime ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_tokens() -> Iterator[tuple[SandboxServer, ManualClock]]:
    clock = ManualClock()
    with SandboxServer(SandboxOptions(token_ttl=30, halo_clients=5), clock=clock) as running:
        yield running, clock


Call = tuple[str, dict[str, str], int]
"""An authenticated GET: its URL, its headers, and the token's announced lifetime."""


def _token_answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _halo_call(server: SandboxServer) -> Call:
    opts = server.options
    form = {**HALO_FORM, "client_id": opts.halo_client_id, "client_secret": opts.halo_client_secret}
    answer = _token_answer(
        httpx.post(f"{server.url}/halopsa/auth/token", data=form, timeout=5, verify=False)
    )
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    return f"{server.url}/halopsa/api/Client", headers, answer["expires_in"]


def _m3ter_call(server: SandboxServer) -> Call:
    opts = m3ter_opts(server)
    answer = _token_answer(
        httpx.post(
            f"{server.url}/m3ter/oauth/token",
            data=FORM,
            headers=basic_header(opts.access_key_id, opts.api_secret),
            timeout=5,
            verify=False,
        )
    )
    url = f"{server.url}/m3ter/organizations/{opts.org_id}/meters"
    return url, {"Authorization": f"Bearer {answer['access_token']}"}, answer["expires_in"]


def _orange_call(server: SandboxServer) -> Call:
    opts = orange_settings(server)
    answer = _token_answer(
        httpx.post(
            server.url + ORANGE_TOKEN_PATH,
            data=GRANT,
            auth=(opts.client_id, opts.client_secret),
            timeout=5,
            verify=False,
        )
    )
    headers = {"Authorization": f"Bearer {answer['access_token']}", "X-API-Key": opts.api_key}
    return f"{server.url}/orange/cloud/b2b/v1/contracts", headers, answer["expires_in"]


def _hyalto_call(server: SandboxServer) -> Call:
    base = f"{server.url}/hyalto"
    answer = _token_answer(
        httpx.post(base + HYALTO_TOKEN_PATH, json=key_pair(server), timeout=5, verify=False)
    )
    headers = {"Authorization": f"Bearer {answer['accessToken']}"}
    return f"{base}/accountManagement/accounts", headers, answer["expiresIn"]


def _ue_call(server: SandboxServer) -> Call:
    answer = _token_answer(
        httpx.post(ue_base(server) + TOKEN_PATH, json=token_fields(server), timeout=5, verify=False)
    )
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    return f"{ue_base(server)}{METERS}", headers, answer["expires_in"]


EXPIRIES: list[tuple[str, Callable[[SandboxServer], Call], int, Any]] = [
    ("halopsa", _halo_call, 401, b""),
    ("m3ter", _m3ter_call, 403, {"message": "Unauthorized: the bearer token has expired"}),
    (
        "orange",
        _orange_call,
        401,
        {
            "code": 42,
            "message": "Expired credentials",
            "description": "The requested service needs credentials, and the ones provided "
            "were out-of-date.",
        },
    ),
    ("hyalto", _hyalto_call, 401, {"error": "Unauthorized", "message": "Token expired"}),
    ("usage-engine", _ue_call, 401, {"message": "Unauthorized"}),
]


@pytest.mark.parametrize(("api", "call", "status", "body"), EXPIRIES)
def test_token_ttl_applies_to_every_api_and_expiry_is_its_own_answer(
    short_tokens: tuple[SandboxServer, ManualClock],
    api: str,
    call: Callable[[SandboxServer], Call],
    status: int,
    body: Any,
) -> None:
    server, clock = short_tokens
    url, headers, lifetime = call(server)
    assert lifetime == 30
    assert httpx.get(url, headers=headers, timeout=5, verify=False).status_code == 200
    clock.advance(29)
    assert httpx.get(url, headers=headers, timeout=5, verify=False).status_code == 200
    clock.advance(2)
    expired = httpx.get(url, headers=headers, timeout=5, verify=False)
    assert expired.status_code == status
    assert (expired.content if isinstance(body, bytes) else expired.json()) == body
    assert expired.request.url.path.startswith(f"/{api}")


def test_m3ter_token_ttl_prefers_its_own_then_the_shared_then_five_hours() -> None:
    assert m3ter_token_ttl(SandboxOptions()) == 18_000
    assert m3ter_token_ttl(SandboxOptions(token_ttl=30)) == 30
    own = SandboxOptions(token_ttl=30, apis={"m3ter": M3terOptions(token_ttl=90)})
    assert m3ter_token_ttl(own) == 90
