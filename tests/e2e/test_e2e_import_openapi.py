"""HaloPSA's own OpenAPI document, imported for POST /Site, works as halopsa.sites does:
the spec's types in the template, an unedited export plans unchanged, and the same sheet
sends the same request bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.targets.registry import get_target

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
SPEC = VENDOR / "halopsa-openapi-subset.json"
TARGET = "halo-api.sites"


def _halo(config: str, key: str) -> str:
    section = config.split("[connections.halopsa]")[1]
    return re.search(rf'^{key} = "(.*)"$', section, re.M).group(1)  # type: ignore[union-attr]


@pytest.fixture
def imported(workdir: Path, rowpush: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The /Site post imported; its connection made the sandbox's Halo (OAuth2 client
    credentials at {base}/auth/token, the secret from the environment)."""
    result = rowpush("import", "openapi", str(SPEC), "--path", "/Site", "--method", "post")
    assert result.code == 0, result.err
    config = workdir / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    base = _halo(text, "base_url")
    monkeypatch.setenv("HALO_SECRET", _halo(text, "client_secret"))
    section = text.split("[connections.halo-api]")[1]
    connection = (
        'api = "http"\n'
        f'base_url = "{base}"\n'
        'auth = "oauth2"\n'
        f'auth_url = "{base}/auth/token"\n'
        f'client_id = "{_halo(text, "client_id")}"\n'
        'client_secret = "${HALO_SECRET}"\n'
        'scope = "all"\n'
        'rate = "1000/s"\n'
    )
    config.write_text(text.replace(section, "\n" + connection), encoding="utf-8")
    return workdir


def test_the_template_has_the_specs_types(imported: Path, rowpush: Any) -> None:
    target = get_target(TARGET)
    columns = {c.header: c for c in target.columns()}
    assert columns["inactive"].choices == ["TRUE", "FALSE"]
    assert columns["delivery_address.line1"].choices is None  # nested objects: dotted
    fields = target.Row.model_fields
    assert fields[target.field_of["client_id"]].annotation == float | None  # number/double
    assert fields[target.field_of["id"]].annotation == int | None
    sheet = imported / "bad.csv"
    sheet.write_text("id,client_id,name,datecreated\n,abc,Leeds,not a date\n", encoding="utf-8")
    result = rowpush("validate", str(sheet), "-t", TARGET)
    assert result.code == 2
    assert "client_id" in result.out + result.err
    assert "datecreated" in result.out + result.err
    assert rowpush("template", TARGET, "-o", "t.xlsx").code == 0
    header = next(load_workbook(imported / "t.xlsx").worksheets[0].iter_rows(values_only=True))
    assert header[:3] == ("accountsid", "accountsfirstname", "accountslastname")


def test_an_unedited_export_plans_all_unchanged(imported: Path, rowpush: Any) -> None:
    exported = rowpush("export", TARGET, "-c", "halo-api", "-o", "sites.xlsx")
    assert exported.code == 0, exported.err
    plan = rowpush("plan", "sites.xlsx", "-c", "halo-api", "--json")
    assert plan.code == 0, plan.err
    summary = json.loads(plan.out)["summary"]
    assert summary["unchanged"] > 0
    assert summary == {"create": 0, "update": 0, "unchanged": summary["unchanged"], "invalid": 0}


@pytest.fixture
def builtin_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxOptions()) as server:
        yield server


def _site_bodies(server: SandboxServer) -> list[str]:
    posts = [
        r
        for r in server.state.requests.entries(api="halopsa")
        if r.method == "POST" and r.path.endswith("/api/Site")
    ]
    return sorted(json.dumps(record, sort_keys=True) for r in posts for record in r.body)


def test_apply_sends_the_bodies_halopsa_sites_sends(
    imported: Path,
    sandbox: SandboxServer,
    builtin_server: SandboxServer,
    rowpush: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = sandbox.state.halopsa.collection("site").records
    sites = sorted(records)[:2]
    client = records[sites[0]]["client_id"]
    sheet = imported / "sites.csv"
    sheet.write_text(
        "id,client_id,name,phonenumber,inactive\n"
        f"{sites[0]},,Renamed by sheet,+44 113 000 0001,\n"
        f"{sites[1]},,,,TRUE\n"
        f",{client},A new site from the sheet,,FALSE\n",
        encoding="utf-8",
    )
    applied = rowpush("apply", str(sheet), "-t", TARGET, "-c", "halo-api", "--yes")
    assert applied.code == 0, applied.err
    other = imported / "builtin"
    other.mkdir()
    (other / "rowpush.toml").write_text(render_config(builtin_server.url), encoding="utf-8")
    monkeypatch.chdir(other)
    done = rowpush("apply", str(sheet), "-t", "halopsa.sites", "-c", "halopsa", "--yes")
    assert done.code == 0, done.err
    bodies = _site_bodies(sandbox)
    assert len(bodies) == 3
    assert bodies == _site_bodies(builtin_server)
