"""The m3ter emulation as a whole: connection table, seed facts, reset, request log."""

from __future__ import annotations

import tomllib

import httpx
from m3ter_fixtures import FORM, basic_header, fetch_m3ter_token, org_client

from rowpush.sandbox.m3ter.options import DEMO_ORG_ID, M3terOptions
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import REDACTED
from rowpush.sandbox.server import SandboxServer, render_config

METER_FIELDS = {
    "api_calls": {"user_id", "region", "endpoint", "requests"},
    "storage_gb": {"region", "bucket", "gb_stored"},
    "seats": {"user_id", "plan_tier", "active_seats"},
    "egress_gb": {"region", "destination", "gb_out", "transfer_cost"},
    "messages_sent": {"sender", "channel", "messages"},
    "sms_segments": {"country", "carrier", "segments", "carrier_cost"},
    "compute_hours": {"region", "instance_type", "hours"},
    "support_tickets": {"agent", "priority", "source", "tickets"},
}


def test_render_config_has_a_working_m3ter_connection(server: SandboxServer) -> None:
    table = tomllib.loads(render_config(server.url, server.options))["connections"]["m3ter"]
    assert table == {
        "api": "m3ter",
        "base_url": f"{server.url}/m3ter",
        "ingest_url": f"{server.url}/m3ter-ingest",
        "org_id": DEMO_ORG_ID,
        "access_key_id": "sandbox-m3ter-key",
        "api_secret": "sandbox-m3ter-secret-4Fp8Lw2R",
    }
    response = httpx.post(
        f"{table['base_url']}/oauth/token",
        data=FORM,
        headers=basic_header(table["access_key_id"], table["api_secret"]),
    )
    token = response.json()["access_token"]
    listed = httpx.get(
        f"{table['base_url']}/organizations/{table['org_id']}/meters",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert listed.status_code == 200
    ingest = httpx.post(
        f"{table['ingest_url']}/organizations/{table['org_id']}/measurements",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "measurements": [
                {"meter": "seats", "account": "ACME-001", "ts": "2025-01-01T00:00:00Z"}
            ]
        },
    )
    assert ingest.json() == {"result": "accepted"}


def test_render_config_follows_m3ter_options() -> None:
    opts = SandboxOptions(apis={"m3ter": M3terOptions(org_id="org-x", api_secret='s"q')})
    table = tomllib.loads(render_config("http://127.0.0.1:9/", opts))["connections"]["m3ter"]
    assert (table["org_id"], table["api_secret"]) == ("org-x", 's"q')
    assert table["ingest_url"] == "http://127.0.0.1:9/m3ter-ingest"


def test_seed_facts(server: SandboxServer) -> None:
    state = server.state.m3ter
    assert state is server.state.apis["m3ter"]
    assert state.org_id == DEMO_ORG_ID
    meters = {m["code"]: m for m in state.meters.values()}
    assert {code: {f["code"] for f in m["dataFields"]} for code, m in meters.items()} == (
        METER_FIELDS
    )
    assert [f["code"] for f in meters["api_calls"]["derivedFields"]] == ["billable_requests"]
    assert meters["compute_hours"]["productId"] is None
    assert {p["code"] for p in state.products.values()} == {
        "platform",
        "storage",
        "messaging",
        "support",
    }
    accounts = {a["code"]: a for a in state.accounts.values()}
    assert len(accounts) == 40
    assert accounts["ACME-001"]["name"] == "Acme Ltd"
    assert accounts["ACME-002"]["parentAccountId"] == accounts["ACME-001"]["id"]
    assert any(a["customFields"] for a in accounts.values())
    assert any(record["version"] > 1 for record in state.meters.values())


def test_same_seed_same_org_other_seed_other_ids() -> None:
    def snapshot(seed: int) -> list[tuple[str, str]]:
        with SandboxServer(SandboxOptions(seed=seed)) as server:
            state = server.state.m3ter
            return [(a["id"], a["code"]) for a in state.accounts.values()]

    assert snapshot(1) == snapshot(1)
    assert [i for i, _ in snapshot(1)] != [i for i, _ in snapshot(2)]


def test_reset_reseeds_and_forgets(server: SandboxServer) -> None:
    state = server.state.m3ter
    token = fetch_m3ter_token(server)
    seeded = dict(state.meters)
    with (
        org_client(server, token=token) as config,
        org_client(server, "m3ter-ingest", token=token) as ingest,
    ):
        meter_id = next(iter(seeded))
        assert config.delete(f"/meters/{meter_id}").status_code == 200
        body = {"measurements": [{"meter": "nope", "account": "A", "ts": "2025-01-01T00:00:00Z"}]}
        ingest.post("/measurements", json=body)
        assert state.events
        server.state.reset()
        assert state.meters == seeded
        assert (state.events, state.measurements, state.uids) == ([], [], {})
        assert config.get("/meters").status_code == 403  # tokens forgotten


def test_request_log_redacts_m3ter_credentials(server: SandboxServer) -> None:
    token = fetch_m3ter_token(server)
    with org_client(server, token=token) as config:
        config.get("/meters", params={"pageSize": "2"})
    everything = repr(server.state.requests.entries("m3ter"))
    assert token not in everything
    assert "sandbox-m3ter-secret" not in everything
    token_call, listing = server.state.requests.entries("m3ter")
    assert token_call.headers["authorization"] == f"Basic {REDACTED}"
    assert (listing.path, listing.params, listing.status) == (
        f"/m3ter/organizations/{DEMO_ORG_ID}/meters",
        {"pageSize": "2"},
        200,
    )


def test_every_seeded_record_survives_a_get_then_put(server: SandboxServer) -> None:
    state = server.state.m3ter
    with org_client(server) as config:
        for path, records in (
            ("products", state.products),
            ("meters", state.meters),
            ("accounts", state.accounts),
        ):
            for record_id in list(records):
                fetched = config.get(f"/{path}/{record_id}").json()
                saved = config.put(f"/{path}/{record_id}", json=fetched)
                assert saved.status_code == 200, (path, saved.text)
                unchanged = {
                    k: v
                    for k, v in fetched.items()
                    if k not in ("version", "dtLastModified", "lastModifiedBy")
                }
                assert {k: saved.json()[k] for k in unchanged} == unchanged
