"""What rowpush sends to Orange, held against the vendor's own artifact rather than our
notes or our sandbox: the Postman collection and environment of Orange's "Cloud Customer
Space API" guide (tests/fixtures/vendor/, copied unchanged from ../shared/vendor/).

Each request rowpush makes runs through the real pipeline (a sheet with the template's
columns → validate → plan → apply, or an export) over an httpx.MockTransport, and is
compared with the collection's request of the same name: method, URL relative to the
environment's `{{Host}}` / `{{oauth_host}}`, every header the collection sets, the
`X-ECCS-Contract-Id` header exactly where the collection sends it, the Authorization
scheme, and the body (field names and which column fills each)."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.export import export_target
from rowpush.engine.verbs import apply_file, prepare
from rowpush.targets.base import ExportOptions, Target
from rowpush.targets.orange import (
    CONTRACT_FIELDS,
    DEFAULT_BASE_URL,
    DEFAULT_OAUTH_URL,
    USER_FIELDS,
    OrangeContracts,
    OrangeUsers,
)

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
COLLECTION: dict[str, Any] = json.loads(
    (VENDOR / "orange-ccs.postman_collection.json").read_text(encoding="utf-8")
)
ENVIRONMENT: dict[str, str] = {
    v["key"]: v["value"]
    for v in json.loads(
        (VENDOR / "orange-ccs.postman_environment.json").read_text(encoding="utf-8")
    )["values"]
}
REQUESTS: dict[str, dict[str, Any]] = {i["name"]: i["request"] for i in COLLECTION["item"]}

API_KEY = "k" * 344
TOKEN = "opaque-token-1"
CONTRACT_ID = "OCB0001234"
DOCUMENT_ID = "DOC-1"
VARIABLES = {
    **ENVIRONMENT,  # Host and oauth_host as the guide gives them; its secrets are blank
    "X-API-Key": API_KEY,
    "client_id": "my-app",
    "client_secret": "my-secret",
    "Contract-Id": CONTRACT_ID,
    "documentId": DOCUMENT_ID,
    "Token": TOKEN,
}
HOST, OAUTH_HOST = ENVIRONMENT["Host"], ENVIRONMENT["oauth_host"]


def _resolve(text: str, values: Mapping[str, str]) -> str:
    """A Postman string with its `{{variables}}` filled in (an unknown one fails)."""
    return re.sub(r"\{\{([^}]+)\}\}", lambda m: values[m.group(1)], text)


def _conn() -> Connection:
    settings = {
        "client_id": VARIABLES["client_id"],
        "client_secret": VARIABLES["client_secret"],
        "api_key": API_KEY,
        "base_url": HOST,
        "oauth_url": OAUTH_HOST,
    }
    return Connection("orange", "orange", settings)


class VendorSide:
    """Orange as a MockTransport: records every request and answers just enough for
    rowpush to make the next one."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url.copy_with(query=None))
        if url == f"{OAUTH_HOST}/token":
            body = {"token_type": "Bearer", "access_token": TOKEN, "expires_in": 3600}
            return httpx.Response(200, json=body)
        local = url.removeprefix(HOST)
        if request.method == "GET" and local == "/contracts":
            contract = {"id": CONTRACT_ID, "name": "acme-prod", "offer": {"name": "FE"}}
            return httpx.Response(200, json=[contract])
        if request.method == "GET" and local == f"/contracts/{CONTRACT_ID}/users":
            return httpx.Response(200, json=[])
        if request.method == "GET" and local == "/documents":
            document = {"id": DOCUMENT_ID, "filename": "bill.xlsx", "period": "202412"}
            return httpx.Response(200, json=[document])
        if request.method == "GET" and local == f"/documents/{DOCUMENT_ID}/file":
            return httpx.Response(200, content=b"bytes of the bill")
        if request.method == "POST" and local == "/contracts":
            return httpx.Response(201, json={"id": "OCB0009999", "status": "IN_PROGRESS"})
        if request.method == "POST" and local == f"/contracts/{CONTRACT_ID}/user":
            return httpx.Response(201, json={"id": "USR-1", "status": "PENDING_ACTIVATION"})
        return httpx.Response(404, json={"code": 60, "message": "Resource not found"})


# -- rowpush's side: the real pipeline from a sheet of template columns ---------------------


def _template_row(target: type[Target], **cells: str) -> dict[str, str]:
    """A row of the target's template: every column with its example, then `cells`."""
    return {c.header: c.example or "" for c in target.columns()} | cells


def _apply(tmp_path: Path, target: type[Target], row: dict[str, str]) -> VendorSide:
    sheet = tmp_path / f"{target.name}.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    vendor = VendorSide()
    report = asyncio.run(
        apply_file(
            prepare(sheet, target=target.name),
            _conn(),
            results=tmp_path / "results.xlsx",
            rate="1000/s",
            transport=httpx.MockTransport(vendor),
        )
    )
    assert report.counts.get("created") == 1, report
    return vendor


def _export(tmp_path: Path, target: str, options: ExportOptions | None = None) -> VendorSide:
    vendor = VendorSide()
    asyncio.run(
        export_target(
            target,
            _conn(),
            tmp_path / "export.xlsx",
            options=options,
            transport=httpx.MockTransport(vendor),
            rate="1000/s",
        )
    )
    return vendor


CONTRACT_ROW = _template_row(OrangeContracts, id="")
"""A new contract: every column of the template filled with its example."""
USER_ROW = _template_row(OrangeUsers, contractId=CONTRACT_ID)


def _order_contract(tmp_path: Path) -> VendorSide:
    return _apply(tmp_path, OrangeContracts, CONTRACT_ROW)


def _create_user(tmp_path: Path) -> VendorSide:
    return _apply(tmp_path, OrangeUsers, USER_ROW)


def _export_contracts(tmp_path: Path) -> VendorSide:
    return _export(tmp_path, "orange.contracts")


def _download_documents(tmp_path: Path) -> VendorSide:
    return _export(tmp_path, "orange.documents", ExportOptions(download=tmp_path / "files"))


FLOWS: dict[str, Callable[[Path], VendorSide]] = {
    "generate access token": _export_contracts,
    "contracts list": _export_contracts,
    "documents list": _download_documents,
    "document download": _download_documents,
    "create user": _create_user,
    "create contract": _order_contract,
}
"""The collection's requests rowpush makes, and a run of rowpush that makes each."""
UNUSED = {"contract detail": "GET /contracts already gives the id and name rowpush needs"}
"""The collection's requests rowpush never makes, and why."""
BODY_VALUES = {**CONTRACT_ROW, **USER_ROW}
"""What fills each `{{field}}` of the collection's bodies: the sheet's column of that name."""
BEYOND_THE_COLLECTION = {"documents list": {"limit", "documentType"}}
"""Query parameters rowpush adds where the collection has none (observed in public
scripts: `limit` pages the list, `documentType` filters it)."""


def _sent(vendor: VendorSide, name: str) -> httpx.Request:
    """rowpush's one request to the collection request `name`'s method and URL."""
    wanted = REQUESTS[name]
    url = _resolve(wanted["url"]["raw"], VARIABLES)
    matching = [
        r
        for r in vendor.requests
        if r.method == wanted["method"] and str(r.url.copy_with(query=None)) == url
    ]
    assert len(matching) == 1, [f"{r.method} {r.url}" for r in vendor.requests]
    return matching[0]


# -- the tests -------------------------------------------------------------------------


def test_every_request_of_the_collection_is_checked_or_known_unused() -> None:
    assert set(REQUESTS) == set(FLOWS) | set(UNUSED)


def test_rowpush_defaults_to_the_hosts_of_the_guide_environment() -> None:
    assert (DEFAULT_BASE_URL, DEFAULT_OAUTH_URL) == (HOST, OAUTH_HOST)


@pytest.mark.parametrize("name", list(FLOWS))
def test_rowpush_sends_what_the_collection_sends(name: str, tmp_path: Path) -> None:
    """Method, URL, headers, auth scheme and body of one collection request."""
    wanted = REQUESTS[name]
    sent = _sent(FLOWS[name](tmp_path), name)
    headers = {h["key"]: _resolve(h["value"], VARIABLES) for h in wanted["header"]}
    for key, value in headers.items():
        assert sent.headers.get(key) == value, key
    assert ("X-ECCS-Contract-Id" in sent.headers) == ("X-ECCS-Contract-Id" in headers)
    auth = wanted["auth"]
    if auth["type"] == "bearer":
        (token,) = auth["bearer"]
        assert sent.headers["Authorization"] == f"Bearer {_resolve(token['value'], VARIABLES)}"
    else:
        assert auth["type"] == "basic"
        pair = {p["key"]: _resolve(p["value"], VARIABLES) for p in auth["basic"]}
        credentials = f"{pair['username']}:{pair['password']}".encode()
        assert sent.headers["Authorization"] == "Basic " + base64.b64encode(credentials).decode()
    assert set(sent.url.params) <= BEYOND_THE_COLLECTION.get(name, set())
    body = wanted.get("body")
    if body is None:
        assert sent.content == b""
    elif body["mode"] == "urlencoded":
        fields = {f["key"]: [_resolve(f["value"], VARIABLES)] for f in body["urlencoded"]}
        assert parse_qs(sent.content.decode()) == fields
    else:
        assert body["mode"] == "raw"
        assert body["options"]["raw"]["language"] == "json"
        assert sent.headers["Content-Type"] == "application/json"
        expected = json.loads(_resolve(body["raw"], BODY_VALUES))
        assert json.loads(sent.content) == expected


def _collection_body_fields(name: str) -> list[str]:
    return list(json.loads(REQUESTS[name]["body"]["raw"]))


def test_a_contract_order_sends_exactly_the_guide_fields(tmp_path: Path) -> None:
    """The guide's ten names (not referentLastName, referentEmail, referentPhone), each
    filled from the template column of the same name."""
    guide = _collection_body_fields("create contract")
    assert list(CONTRACT_FIELDS) == guide
    sent = json.loads(_sent(_order_contract(tmp_path), "create contract").content)
    assert list(sent) == guide
    assert sent == {field: CONTRACT_ROW[field] for field in guide}
    assert {c.header for c in OrangeContracts.columns()} == {"id", *guide}


def test_a_user_creation_sends_exactly_the_guide_fields(tmp_path: Path) -> None:
    guide = _collection_body_fields("create user")
    assert list(USER_FIELDS) == guide
    sent = json.loads(_sent(_create_user(tmp_path), "create user").content)
    assert list(sent) == guide
    assert sent == {field: USER_ROW[field] for field in guide}
    assert {c.header for c in OrangeUsers.columns()} == {"contractId", *guide}


def test_the_creates_carry_no_contract_header_the_contract_reads_do() -> None:
    """Where the collection sends X-ECCS-Contract-Id: the contract-scoped reads, not the
    contracts list and not the two creates (a user's contract is in its path)."""
    scoped = {
        name
        for name, request in REQUESTS.items()
        if any(h["key"] == "X-ECCS-Contract-Id" for h in request["header"])
    }
    assert scoped == {"documents list", "document download", "contract detail"}
