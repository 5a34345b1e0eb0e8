"""Hyalto targets over MockTransport: a key pair for a camelCase JWT answer, the usage walk
(accounts → services → usage reports over --from/--to), paging, errors, export only; and
the unconfirmed facts read either way: lists as `{"data": [...]}` or bare arrays, names
in `companyName` or `name`, kinds in `metaData.type` or `serviceType`, the token sent
after `Bearer` or bare (the connection's `auth_scheme`)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine.prepare import ensure_writable
from rowpush.errors import AuthFailed, BadInput, ConfigError
from rowpush.http.client import build_client
from rowpush.targets.base import ExportOptions, Target
from rowpush.targets.hyalto import (
    ANSWERS,
    HYALTO,
    HyaltoAccounts,
    HyaltoServices,
    HyaltoSettings,
    HyaltoUsage,
    report_period,
)

BASE = "https://api.hyalto.test"
JANUARY = ExportOptions(start=datetime(2025, 1, 1), end=datetime(2025, 1, 31))


def _conn(**extra: str) -> Connection:
    settings = {"access_key": "AK1", "secret_key": "sk-secret", "base_url": BASE, **extra}
    return Connection("hy", "hyalto", settings)


def _usage(day: str, meter: str, quantity: float, unit: str, cost: float) -> dict[str, Any]:
    return {"date": day, "meter": meter, "quantity": quantity, "unit": unit, "cost": cost}


class FakeHyalto:
    """The vendor's side, as the notes describe it, recording what it was sent."""

    def __init__(
        self, page_size: int | None = None, *, bare: bool = False, scheme: str = "Bearer "
    ) -> None:
        self.page_size = page_size
        self.bare = bare
        """Answer lists as bare arrays (as the public client reads them)."""
        self.scheme = scheme
        """What must precede the token in the Authorization header."""
        self.requests: list[httpx.Request] = []
        self.accounts = [{"id": 1201, "name": "Acme Ltd"}, {"id": 1202, "name": "Globex"}]
        self.services = {
            1201: [
                {"id": 9001, "name": "Azure CSP", "serviceType": "azure"},
                {"id": 9002, "name": "M365 E3", "serviceType": "license"},
            ],
            1202: [],
        }
        self.usage = {
            9001: [_usage("2025-01-01", "VM D2s", 24, "hour", 2.3),
                   _usage("2025-01-01", "Disk P10", 1, "month/30", 0.67)],
            9002: [_usage("2025-01-02", "E3", 5, "seat", 6)],
        }  # fmt: skip
        self.answers: dict[str, httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/accountManagement/auth/token":
            return httpx.Response(
                200,
                json={
                    "tokenType": "Bearer",
                    "accessToken": "jwt",
                    "scope": "all",
                    "expiresIn": 3600,
                },
            )
        if request.headers.get("Authorization") != f"{self.scheme}jwt":
            return httpx.Response(401, json={"error": "Unauthorized", "message": "Bad token"})
        if path in self.answers:
            return self.answers[path]
        if path == "/accountManagement/accounts":
            return httpx.Response(200, json=self._paged(request, self.accounts))
        if path.startswith("/serviceOfferings/accounts/") and path.endswith("/services/"):
            return httpx.Response(
                200, json=self._paged(request, self.services[int(path.split("/")[3])])
            )
        if path.startswith("/reports/usage/service/"):
            service = int(path.rsplit("/", 1)[-1])
            if self.bare:
                records = [{**r, "currency": "EUR"} for r in self.usage[service]]
                return httpx.Response(200, json=records)
            page = self._paged(request, self.usage[service])
            return httpx.Response(200, json={"serviceId": service, "currency": "EUR", **page})
        return httpx.Response(404, json={"error": "Not Found", "message": f"No route {path}"})

    def _paged(self, request: httpx.Request, items: list[Any]) -> Any:
        if self.bare:
            return items
        if self.page_size is None:
            return {"data": items}
        number = int(request.url.params.get("page[number]", "1"))
        start = (number - 1) * self.page_size
        body: dict[str, Any] = {
            "data": items[start : start + self.page_size],
            "meta": {"total": len(items)},
        }
        if start + self.page_size < len(items):
            body["links"] = {
                "next": str(request.url.copy_merge_params({"page[number]": str(number + 1)}))
            }
        return body

    def got(self, prefix: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith(prefix)]


async def _no_sleep(seconds: float) -> None:
    return None


def _client(
    server: Callable[[httpx.Request], httpx.Response], conn: Connection | None = None
) -> Any:
    conn = conn or _conn()
    return build_client(
        HYALTO.base_url(conn),
        auth=HYALTO.auth(conn),
        transport=httpx.MockTransport(server),
        sleep=_no_sleep,
    )


def _export(
    target: Target, server: FakeHyalto, options: ExportOptions = JANUARY
) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with _client(server, target.conn) as client:
            fields = list(type(target).Row.model_fields)
            return [r async for r in target.iter_live(client, fields, options)]

    return asyncio.run(go())


def test_the_key_pair_buys_a_camel_case_jwt_used_as_a_bearer_token() -> None:
    server = FakeHyalto()
    _export(HyaltoAccounts(_conn()), server)
    token, listing = server.requests
    assert str(token.url) == "https://api.hyalto.test/accountManagement/auth/token"
    assert token.headers["Content-Type"] == "application/json"
    assert json.loads(token.content) == {"accessKey": "AK1", "secretKey": "sk-secret"}
    assert "Authorization" not in token.headers  # not OAuth: no Basic, no grant_type
    assert listing.headers["Authorization"] == "Bearer jwt"


def test_usage_walks_accounts_services_and_reports_with_their_columns() -> None:
    server = FakeHyalto()
    rows = _export(HyaltoUsage(_conn()), server)
    assert [(r["accountName"], r["serviceName"], r["meter"], r["cost"]) for r in rows] == [
        ("Acme Ltd", "Azure CSP", "VM D2s", 2.3),
        ("Acme Ltd", "Azure CSP", "Disk P10", 0.67),
        ("Acme Ltd", "M365 E3", "E3", 6),
    ]
    assert rows[0] == {
        "accountId": 1201,
        "accountName": "Acme Ltd",
        "serviceId": 9001,
        "serviceName": "Azure CSP",
        "serviceType": "azure",
        "date": "2025-01-01",
        "meter": "VM D2s",
        "quantity": 24,
        "unit": "hour",
        "cost": 2.3,
        "currency": "EUR",
    }
    services = server.got("/serviceOfferings/")
    assert [r.url.path for r in services] == [
        "/serviceOfferings/accounts/1201/services/",
        "/serviceOfferings/accounts/1202/services/",
    ]
    report = server.got("/reports/usage/service/9001")[0]
    assert report.url.query == (
        b"filter%5Bfrom%5D=2025-01-01%2000%3A00%3A00&filter%5Bto%5D=2025-01-31%2023%3A59%3A59"
    )
    assert dict(report.url.params) == {
        "filter[from]": "2025-01-01 00:00:00",
        "filter[to]": "2025-01-31 23:59:59",
    }


def test_services_carry_their_account() -> None:
    rows = _export(HyaltoServices(_conn()), FakeHyalto())
    assert [(r["accountId"], r["accountName"], r["id"], r["serviceType"]) for r in rows] == [
        (1201, "Acme Ltd", 9001, "azure"),
        (1201, "Acme Ltd", 9002, "license"),
    ]


@pytest.mark.parametrize("size", [1, 2])
def test_pages_are_followed_until_the_last(size: int) -> None:
    server = FakeHyalto(page_size=size)
    server.accounts = [{"id": n, "name": f"A{n}"} for n in range(1, 6)]
    rows = _export(HyaltoAccounts(_conn()), server)
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]


def test_total_without_links_pages_by_number() -> None:
    server = FakeHyalto()
    accounts = [{"id": n, "name": f"A{n}"} for n in range(1, 6)]

    def by_number(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/accountManagement/accounts":
            return server(request)
        server.requests.append(request)
        number = int(request.url.params.get("page[number]", "1"))
        size = int(request.url.params.get("page[size]", "2"))
        page = accounts[(number - 1) * size : number * size]
        return httpx.Response(200, json={"data": page, "meta": {"total": 5}})

    async def go() -> list[Any]:
        async with _client(by_number) as client:
            return [a async for a in HyaltoAccounts(_conn()).accounts(client)]

    assert [a["id"] for a in asyncio.run(go())] == [1, 2, 3, 4, 5]
    pages = [dict(r.url.params) for r in server.got("/accountManagement/accounts")]
    assert pages[1:] == [
        {"page[number]": "2", "page[size]": "2"},
        {"page[number]": "3", "page[size]": "2"},
    ]


def test_a_server_that_ignores_paging_gives_no_duplicates() -> None:
    server = FakeHyalto()

    def ignoring(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/accountManagement/accounts":
            return server(request)
        return httpx.Response(200, json={"data": server.accounts, "meta": {"total": 9}})

    async def go() -> list[Any]:
        async with _client(ignoring) as client:
            return [a async for a in HyaltoAccounts(_conn()).accounts(client)]

    assert [a["id"] for a in asyncio.run(go())] == [1201, 1202]


def test_a_refused_report_names_the_service_and_hyalto_reason() -> None:
    server = FakeHyalto()
    server.answers["/reports/usage/service/9002"] = httpx.Response(
        403, json={"error": "Forbidden", "message": "Missing permission: Service Management (R)"}
    )
    with pytest.raises(AuthFailed) as caught:
        _export(HyaltoUsage(_conn()), server)
    assert caught.value.message == (
        "Hyalto refused to read the usage of service 9002 (account 1201): HTTP 403 at "
        "/reports/usage/service/9002: Missing permission: Service Management (R) (Forbidden)"
    )


def test_usage_needs_a_start_and_a_period_that_runs_forward() -> None:
    with pytest.raises(BadInput, match="give it with --from") as caught:
        report_period(ExportOptions(end=datetime(2025, 1, 31)))
    assert "rowpush export hyalto.usage -c CONNECTION --from" in str(caught.value)
    with pytest.raises(BadInput, match=r"starts \(.*\) after it ends"):
        report_period(ExportOptions(start=datetime(2025, 2, 1), end=datetime(2025, 1, 31)))


def test_the_period_is_sent_in_utc_and_to_defaults_to_now() -> None:
    paris = timezone(timedelta(hours=1))
    start, end = report_period(
        ExportOptions(start=datetime(2025, 1, 1, tzinfo=paris), end=datetime(2025, 1, 2, 6, 30))
    )
    assert (start, end) == ("2024-12-31 23:00:00", "2025-01-02 06:30:00")
    _, until_now = report_period(ExportOptions(start=datetime(2025, 1, 1)))
    assert until_now[:10] == datetime.now(UTC).strftime("%Y-%m-%d")


@pytest.mark.parametrize("target", [HyaltoAccounts, HyaltoServices, HyaltoUsage])
def test_hyalto_targets_are_export_only(target: type[Target]) -> None:
    with pytest.raises(BadInput, match=re.escape(f"{target.name} can only be exported")):
        ensure_writable(target)


# -- unconfirmed facts, read either way ---------------------------------------------------


@pytest.mark.parametrize("target", [HyaltoAccounts, HyaltoServices, HyaltoUsage])
def test_lists_read_the_same_as_bare_arrays_or_in_data(target: type[Target]) -> None:
    enveloped = _export(target(_conn()), FakeHyalto())
    bare = _export(target(_conn()), FakeHyalto(bare=True))
    assert bare == enveloped
    assert len(bare) >= 2


@pytest.mark.parametrize(
    ("body", "records"),
    [
        ([{"id": 1}, "noise", {"id": 2}], [{"id": 1}, {"id": 2}]),
        ({"data": [{"id": 1}]}, [{"id": 1}]),
        ({"data": None}, []),
        ([], []),
    ],
)
def test_the_shared_reader_takes_a_bare_array_or_the_data_envelope(
    body: Any, records: list[dict[str, Any]]
) -> None:
    assert ANSWERS.records(body, "data", "list accounts") == records


def test_an_account_name_is_read_from_company_name_or_name() -> None:
    server = FakeHyalto()
    server.accounts = [
        {"id": 1, "companyName": "Client Co"},  # the public client's field
        {"id": 2, "name": "Notes Co"},  # the notes' field
        {"id": 3, "companyName": "Preferred", "name": "Other"},
        {"id": 4, "companyName": "", "name": "Blank company"},
    ]
    server.services = {1: [{"id": 7, "name": "S", "serviceType": "azure"}], 2: [], 3: [], 4: []}
    server.usage = {7: [_usage("2025-01-01", "VM", 1, "hour", 1)]}
    names = [r["name"] for r in _export(HyaltoAccounts(_conn()), server)]
    assert names == ["Client Co", "Notes Co", "Preferred", "Blank company"]
    (service,) = _export(HyaltoServices(_conn()), server)
    (usage,) = _export(HyaltoUsage(_conn()), server)
    assert service["accountName"] == usage["accountName"] == "Client Co"


def test_a_service_type_is_read_from_meta_data_or_service_type() -> None:
    server = FakeHyalto()
    server.services[1201] = [
        {"id": 9001, "name": "A", "metaData": {"type": "azure"}},
        {"id": 9002, "name": "B", "serviceType": "license"},
        {"id": 9003, "name": "C", "metaData": {"type": "aws"}, "serviceType": "other"},
        {"id": 9004, "name": "D", "metaData": None, "serviceType": "backup"},
    ]
    server.usage[9003] = server.usage[9004] = []
    rows = _export(HyaltoServices(_conn()), server)
    assert [r["serviceType"] for r in rows] == ["azure", "license", "aws", "backup"]
    usage = _export(HyaltoUsage(_conn()), server)
    assert {r["serviceId"]: r["serviceType"] for r in usage} == {9001: "azure", 9002: "license"}


def test_the_auth_scheme_is_bearer_by_default() -> None:
    assert HyaltoSettings(access_key="a", secret_key="s").auth_scheme == "Bearer"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scheme", "header"),
    [("Bearer", "Bearer jwt"), ("none", "jwt"), ("None", "jwt"), (" JWT ", "JWT jwt")],
)
def test_the_auth_scheme_setting_goes_on_the_wire(scheme: str, header: str) -> None:
    server = FakeHyalto(scheme=header.removesuffix("jwt"))
    rows = _export(HyaltoAccounts(_conn(auth_scheme=scheme)), server)
    assert [r["id"] for r in rows] == [1201, 1202]
    token, listing = server.requests
    assert "Authorization" not in token.headers
    assert listing.headers["Authorization"] == header


def test_a_blank_auth_scheme_is_the_default_and_two_words_are_refused() -> None:
    assert HYALTO.settings(_conn(auth_scheme="")).auth_scheme == "Bearer"
    with pytest.raises(ConfigError, match="auth_scheme") as caught:
        HYALTO.settings(_conn(auth_scheme="Bearer token"))
    assert 'one word such as "Bearer", or "none" for the bare token' in str(caught.value)


def test_a_wrong_auth_scheme_is_an_authentication_failure() -> None:
    server = FakeHyalto(scheme="")  # the server wants the bare token; rowpush sends Bearer
    with pytest.raises(AuthFailed, match="Hyalto refused to list accounts: HTTP 401"):
        _export(HyaltoAccounts(_conn()), server)
