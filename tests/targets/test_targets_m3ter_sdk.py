"""m3ter's official Python SDK as the oracle: the vendor's own artifact, written apart from
our notes, so a misreading shared by the targets and the sandbox shows up here.

1. Every body rowpush sends (account create/update, meter create/update with data and
   derived fields, measurements, the token request) is checked against the SDK's request
   TypedDicts (`m3ter.types.*Params`, generated from m3ter's OpenAPI): no key they lack,
   every required key, every value of its declared type.
2. The SDK itself drives the sandbox over real HTTP: meters CRUD, a version conflict,
   1000 measurements accepted and 1001 refused, a list read through its own paginator.
"""

from __future__ import annotations

import asyncio
import base64
import collections.abc
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import typing_extensions
from pydantic import TypeAdapter, ValidationError

from rowpush.cli import main
from rowpush.config import Connection
from rowpush.engine.connect import connect
from rowpush.sandbox.m3ter.api import m3ter_connection
from rowpush.sandbox.m3ter.options import m3ter_options
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.targets.m3ter import M3ter, M3terAccounts, is_version_conflict, list_all

m3ter = pytest.importorskip(
    "m3ter", reason="the m3ter SDK (a dev dependency) is not installed: pip install -e '.[dev]'"
)
from m3ter import types as sdk_types  # noqa: E402

REQUIRED_MARKS = (
    typing.Required,
    typing.NotRequired,
    typing_extensions.Required,
    typing_extensions.NotRequired,
)
PATH_PARAMS = frozenset({"org_id"})
"""Keys of the SDK's params that go into the URL, not the body."""


# -- the oracle: a body as sent, checked against an SDK request TypedDict ---------------


def _unwrap(hint: Any) -> tuple[Any, str | None, bool]:
    """The bare type inside Required/NotRequired/Annotated, its wire alias if any, and
    whether it is Required. (The SDK's TypedDicts are total=False and written under
    `from __future__ import annotations`, so their `__required_keys__` is empty: the
    Required marks are read from the evaluated hints instead.)"""
    alias, required = None, False
    while True:
        origin = typing.get_origin(hint)
        if origin in REQUIRED_MARKS:
            required = required or origin in (typing.Required, typing_extensions.Required)
            hint = typing.get_args(hint)[0]
        elif origin in (typing.Annotated, typing_extensions.Annotated):
            for meta in hint.__metadata__:
                alias = getattr(meta, "alias", None) or alias
            hint = hint.__origin__
        else:
            return hint, alias, required


def sdk_problems(hint: Any, value: Any, where: str = "body") -> list[str]:
    """Why `value` (JSON as sent, camelCase keys) is not a valid `hint` of the SDK."""
    hint = _unwrap(hint)[0]
    origin = typing.get_origin(hint)
    if typing_extensions.is_typeddict(hint):  # the SDK's are typing_extensions TypedDicts
        if not isinstance(value, dict):
            return [f"{where}: expected an object ({hint.__name__}), got {value!r}"]
        fields: dict[str, tuple[bool, Any]] = {}
        for name, field_hint in typing.get_type_hints(hint, include_extras=True).items():
            if name not in PATH_PARAMS:
                _, alias, required = _unwrap(field_hint)
                fields[alias or name] = (required, field_hint)
        problems = [
            f"{where}.{key}: not a field of {hint.__name__}" for key in value if key not in fields
        ]
        problems += [
            f"{where}.{key}: required by {hint.__name__}, missing"
            for key, (required, _) in fields.items()
            if required and key not in value
        ]
        for key, item in value.items():
            if key in fields:
                problems += sdk_problems(fields[key][1], item, f"{where}.{key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        arms = [sdk_problems(arm, value, where) for arm in typing.get_args(hint)]
        return [] if any(not arm for arm in arms) else arms[0]
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence):
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {value!r}"]
        (item_hint,) = typing.get_args(hint)
        return [
            p
            for n, item in enumerate(value)
            for p in sdk_problems(item_hint, item, f"{where}[{n}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        _, item_hint = typing.get_args(hint)
        return [
            p for k, item in value.items() for p in sdk_problems(item_hint, item, f"{where}.{k}")
        ]
    try:  # a leaf (str, int, float, Literal, date): as strict as a typed JSON API
        TypeAdapter(hint).validate_python(value, strict=True)
    except ValidationError as exc:
        return [f"{where}: {value!r} is not {hint!r} ({exc.errors()[0]['msg']})"]
    return []


def test_the_oracle_catches_what_the_sdk_would_not_send() -> None:
    """The checker can fail: a body with the kinds of mistakes it exists to find."""
    body = {
        "code": "m",
        "dataFields": [{"category": "VOLUME", "code": "a", "name": "A", "unit": 5}],
        "derivedFields": None,
        "colour": "red",
    }
    assert sdk_problems(sdk_types.MeterCreateParams, body) == [
        "body.colour: not a field of MeterCreateParams",
        "body.name: required by MeterCreateParams, missing",
        "body.dataFields[0].category: 'VOLUME' is not "
        "typing.Literal['WHO', 'WHERE', 'WHAT', 'OTHER', 'METADATA', 'MEASURE', 'INCOME', "
        "'COST'] (Input should be 'WHO', 'WHERE', 'WHAT', 'OTHER', 'METADATA', 'MEASURE', "
        "'INCOME' or 'COST')",
        "body.dataFields[0].unit: 5 is not <class 'str'> (Input should be a valid string)",
        "body.derivedFields: expected an array, got None",
    ]
    measurement = {"meter": "m", "account": "a", "ts": "2026-01-01", "measure": {"x": "1"}}
    assert sdk_problems(sdk_types.UsageSubmitParams, {"measurements": [measurement]}) == [
        "body.measurements[0].measure.x: '1' is not <class 'float'> "
        "(Input should be a valid number)"
    ]
    account = {"code": "A", "name": "A", "emailAddress": "a@b.c", "address": None}
    assert sdk_problems(sdk_types.AccountUpdateParams, account) == [
        "body.address: expected an object (AddressParam), got None"
    ]


# -- the sandbox over real HTTP ------------------------------------------------------------


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer) -> SandboxServer:
    return shared_sandbox  # the session's, reset (tests/conftest.py); no rate limit


def _apply(workdir: Path, sheet: Path, target: str, capsys: pytest.CaptureFixture[str]) -> str:
    args = ["apply", str(sheet), "-t", target, "-c", "m3ter", "--yes"]
    with pytest.raises(SystemExit) as exited:
        main([*args, "--results", str(workdir / f"{sheet.stem}-results.xlsx")])
    out = capsys.readouterr()
    assert exited.value.code == 0, out.err
    return out.out


SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SDK_TYPE = {  # (method, last path segment or "{id}") -> the SDK's request type
    ("POST", "token"): sdk_types.AuthenticationGetBearerTokenParams,
    ("POST", "accounts"): sdk_types.AccountCreateParams,
    ("PUT", "accounts"): sdk_types.AccountUpdateParams,
    ("POST", "meters"): sdk_types.MeterCreateParams,
    ("PUT", "meters"): sdk_types.MeterUpdateParams,
    ("POST", "measurements"): sdk_types.UsageSubmitParams,
}


def test_every_body_rowpush_sends_is_valid_for_the_sdk(
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "rowpush.toml").write_text(render_config(sandbox.url, sandbox.options))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    # accounts: new ones (POST) and changed ones (PUT of the whole entity, custom fields)
    _apply(tmp_path, SAMPLES / "m3ter_accounts_currency_and_crm.csv", "m3ter.accounts", capsys)
    # meters: a new one with data and derived fields, changed ones PUT with their version
    meters = tmp_path / "meters.csv"
    meters.write_text(
        (SAMPLES / "m3ter_meters_new_meter.csv").read_text()
        + "storage_gb,Storage (GB),storage,,derived,COST,storage_cost,Storage cost,{USD},"
        "gb_stored * 0.02\n"
    )
    _apply(tmp_path, meters, "m3ter.meters", capsys)
    _apply(tmp_path, SAMPLES / "m3ter_measurements_january.csv", "m3ter.measurements", capsys)

    checked: dict[tuple[str, str], int] = {}
    for request in sandbox.state.requests:
        if request.api != "m3ter" or request.method not in ("POST", "PUT"):
            continue
        segments = request.path.rstrip("/").split("/")
        kind = segments[-2] if request.method == "PUT" else segments[-1]
        sdk_type = SDK_TYPE[(request.method, kind)]
        assert sdk_problems(sdk_type, request.body) == [], (request.method, request.path)
        assert request.status == 200, (request.path, request.body)
        checked[(request.method, kind)] = checked.get((request.method, kind), 0) + 1
    assert set(checked) == set(SDK_TYPE)  # each kind of body was sent and checked
    derived = [
        r.body["derivedFields"]
        for r in sandbox.state.requests
        if r.method in ("POST", "PUT")
        and r.path.split("/")[-1 if r.method == "POST" else -2] == "meters"
    ]
    assert any(d for d in derived)  # derived fields were among the checked bodies


# -- the SDK drives the sandbox ----------------------------------------------------------------


def _settings(server: SandboxServer) -> dict[str, str]:
    return m3ter_connection(server.url, server.options)


def sdk_client(server: SandboxServer, **options: Any) -> Any:
    """An SDK client on the sandbox's Config API (no retries: a test sees every answer)."""
    conn = _settings(server)
    return m3ter.M3ter(
        api_key=conn["access_key_id"],
        api_secret=conn["api_secret"],
        org_id=conn["org_id"],
        base_url=conn["base_url"],
        max_retries=0,
        **options,
    )


def sdk_ingest_client(server: SandboxServer) -> Any:
    """An SDK client on the sandbox's Ingest API.

    The SDK sends measurements to https://ingest.m3ter.com only while its base_url is the
    default; once overridden, it posts them to `{base_url}/organizations/...` and fetches
    its token there too. The sandbox serves the two hosts under two prefixes, so this
    client is given a token fetched from the Config host (and no expiry: the SDK 0.9
    computes its expiry as `fromtimestamp(expires_in - 300)`, a date in 1970, and would
    otherwise fetch a token before every call)."""
    conn = _settings(server)
    basic = base64.b64encode(f"{conn['access_key_id']}:{conn['api_secret']}".encode()).decode()
    token = sdk_client(server).authentication.get_bearer_token(
        grant_type="client_credentials", extra_headers={"Authorization": f"Basic {basic}"}
    )
    return m3ter.M3ter(
        api_key=conn["access_key_id"],
        api_secret=conn["api_secret"],
        org_id=conn["org_id"],
        base_url=conn["ingest_url"],
        token=token.access_token,
        max_retries=0,
    )


DATA_FIELDS = [
    {"category": "WHO", "code": "user_id", "name": "User"},
    {"category": "MEASURE", "code": "calls", "name": "Calls", "unit": "{call}"},
]
DERIVED_FIELDS = [
    {
        "category": "MEASURE",
        "code": "billable",
        "name": "Billable",
        "unit": "{call}",
        "calculation": "calls * 2",
    }
]


def test_the_sdk_creates_reads_updates_lists_and_deletes_a_meter(sandbox: SandboxServer) -> None:
    client = sdk_client(sandbox)
    created = client.meters.create(
        code="sdk_meter",
        name="SDK meter",
        data_fields=DATA_FIELDS,
        derived_fields=DERIVED_FIELDS,
        custom_fields={"owner": "sdk"},
    )
    assert (created.version, created.code) == (1, "sdk_meter")
    assert created.derived_fields[0].calculation == "calls * 2"
    assert client.meters.retrieve(created.id).name == "SDK meter"
    updated = client.meters.update(
        created.id,
        code="sdk_meter",
        name="SDK meter (renamed)",
        data_fields=DATA_FIELDS,
        derived_fields=[],
        version=created.version,
    )
    assert (updated.version, updated.name, updated.derived_fields) == (2, "SDK meter (renamed)", [])
    assert updated.custom_fields == {}  # a PUT replaces what it is not given
    (listed,) = client.meters.list(codes=["sdk_meter"])
    assert listed.id == created.id
    client.meters.delete(created.id)
    with pytest.raises(m3ter.NotFoundError):
        client.meters.retrieve(created.id)


def test_the_sandbox_refuses_a_unitless_numeric_field_from_the_sdk(sandbox: SandboxServer) -> None:
    unitless = [{"category": "COST", "code": "cost", "name": "Cost"}]
    with pytest.raises(m3ter.BadRequestError) as refused:
        sdk_client(sandbox).meters.create(
            code="no_unit", name="No unit", data_fields=unitless, derived_fields=[]
        )
    assert refused.value.body == {
        "message": "Meter dataFields[0]: unit is required for a COST field"
    }


@pytest.mark.parametrize("status", [400, 409, 412, 422])
def test_a_stale_version_from_the_sdk_is_a_conflict_rowpush_recognises(
    sandbox: SandboxServer, status: int
) -> None:
    m3ter_options(sandbox.options).version_conflict_status = status
    client = sdk_client(sandbox)
    meter = next(m for m in client.meters.list() if m.code == "seats")
    with pytest.raises(m3ter.APIStatusError) as refused:
        client.meters.update(
            meter.id,
            code=meter.code,
            name="Stale",
            data_fields=[f.model_dump(exclude_none=True) for f in meter.data_fields],
            derived_fields=[],
            version=meter.version - 1,
        )
    assert refused.value.status_code == status
    assert is_version_conflict(refused.value.response)
    assert client.meters.retrieve(meter.id).name == "Seats"


def _measurements(count: int) -> list[dict[str, Any]]:
    return [
        {
            "uid": f"sdk-{n}",
            "meter": "api_calls",
            "account": "ACME-001",
            "ts": "2026-01-31T23:00:00Z",
            "who": {"user_id": f"u-{n}"},
            "measure": {"requests": n},
        }
        for n in range(count)
    ]


def test_the_sdk_ingests_1000_measurements_and_is_refused_1001(sandbox: SandboxServer) -> None:
    ingest = sdk_ingest_client(sandbox)
    answer = ingest.usage.submit(measurements=_measurements(1000))
    assert answer.result == "accepted"
    assert len(sandbox.state.m3ter.measurements) == 1000
    with pytest.raises(m3ter.PermissionDeniedError) as refused:
        ingest.usage.submit(measurements=_measurements(1001))
    assert refused.value.status_code == 403
    assert refused.value.body == {"message": "measurements must hold 1 to 1000 items, got 1001"}
    assert len(sandbox.state.m3ter.measurements) == 1000


def test_the_sdk_posts_measurements_to_its_overridden_base_url(sandbox: SandboxServer) -> None:
    """Why `sdk_ingest_client` exists: with base_url set, the SDK sends measurements to the
    Config host's path, which is not where the sandbox (nor m3ter) takes them."""
    with pytest.raises(m3ter.NotFoundError):
        sdk_client(sandbox).usage.submit(measurements=_measurements(1))
    (post,) = [r for r in sandbox.state.requests if r.path.endswith("/measurements")]
    assert post.path.startswith("/m3ter/organizations/")


def test_the_sdk_pages_through_a_list_with_its_own_paginator(sandbox: SandboxServer) -> None:
    client = sdk_client(sandbox)
    sandbox.state.requests.clear()
    codes = [account.code for account in client.accounts.list(page_size=7)]
    stored = [a["code"] for a in sandbox.state.m3ter.accounts.values()]
    assert codes == stored
    assert len(stored) == 40
    pages = [r for r in sandbox.state.requests if r.path.endswith("/accounts")]
    assert len(pages) == 6  # 40 accounts, 7 a page
    assert [("nextToken" in r.params) for r in pages] == [False] + [True] * 5
    assert {r.params["pageSize"] for r in pages} == {"7"}


def test_rowpush_pages_a_list_as_the_sdk_paginator_does(sandbox: SandboxServer) -> None:
    sdk_codes = [account.code for account in sdk_client(sandbox).accounts.list(page_size=7)]
    settings = _settings(sandbox)
    del settings["api"]  # the table's `api` key is Connection.api
    target = M3terAccounts(Connection("m3ter", "m3ter", settings))

    async def read() -> list[str]:
        async with connect(target, target.conn, rate="1000/s") as client:
            path = f"{M3ter.org_path(target.conn)}/accounts"
            return [r["code"] async for r in list_all(client, path, {"pageSize": "7"})]

    sandbox.state.requests.clear()
    assert asyncio.run(read()) == sdk_codes
    assert len([r for r in sandbox.state.requests if r.path.endswith("/accounts")]) == 6
