"""Hyalto: accounts, their services, and the services' usage reports (export only).

Facts from ../shared/apis/hyalto.md: a JWT from `POST {base}/accountManagement/auth/token`
with the access key and secret key in a JSON body (field names assumed `accessKey` and
`secretKey`), answered in camelCase (`tokenType`, `accessToken`, `expiresIn`: 1 h);
`GET /accountManagement/accounts`, `GET /serviceOfferings/accounts/{id}/services/`
(trailing slash) and `GET /reports/usage/service/{id}?filter[from]=…&filter[to]=…`
(`yyyy-mm-dd hh:mm:ss`, assumed UTC) come from the vendor's guide; errors are assumed
`{"error", "message"}`.

Unconfirmed either way, so both are read (docs/vendor-contracts.md has each fact's
source and test): the notes assume list answers `{"data": [...]}`, an account's `name`,
a service's `serviceType` and `Authorization: Bearer <token>`; the one public Hyalto
client reads bare arrays, `companyName` and `metaData.type`, and sends the bare token.
Lists are read in either shape; `companyName` (a documented claim of Hyalto's own token)
and `metaData.type` (seen in that client) come first, the notes' fields next; the header
scheme is the connection's `auth_scheme` ("Bearer" by default, "none" for the bare token).

Paging is unknown (JSON:API-like is plausible): lists follow `links.next` or, failing
that, `page[number]` while `meta.total` says more records exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from rowpush.config import Connection, ConnectionSettings
from rowpush.errors import BadInput
from rowpush.http.auth import ClientCredentials
from rowpush.model import now
from rowpush.targets.answers import Answers
from rowpush.targets.base import DAY, MOMENT, Api, ExportOptions, Target

__all__ = ["ANSWERS", "Hyalto", "HyaltoAccounts", "HyaltoServices", "HyaltoSettings", "HyaltoUsage"]

ACCOUNTS = "/accountManagement/accounts"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class HyaltoSettings(ConnectionSettings):
    """A Hyalto connection: an API key pair (Account > Access & Roles), exchanged for a JWT."""

    base_url: str = "https://api.hyalto.com"
    """The Hyalto API (tokens at {base_url}/accountManagement/auth/token)."""
    access_key: str
    """The Access Key of a Hyalto API key."""
    secret_key: SecretStr
    """The Secret Key of that API key."""
    auth_scheme: str = "Bearer"
    """Word before the token in the Authorization header; "none" sends the bare token."""

    @field_validator("auth_scheme")
    @classmethod
    def _one_word(cls, value: str) -> str:
        word = value.strip()  # a blank value never gets here: it counts as not set
        if any(c.isspace() for c in word):
            raise ValueError('one word such as "Bearer", or "none" for the bare token')
        return word


class Hyalto(Api[HyaltoSettings]):
    name = "hyalto"
    description = "Hyalto"
    Settings = HyaltoSettings
    default_rate = "2/s"  # not published; the notes suggest at most 2 requests/s

    def auth(self, conn: Connection) -> httpx.Auth:
        settings = self.settings(conn)
        return ClientCredentials.key_pair(
            f"{self.base_url(conn)}/accountManagement/auth/token",
            settings.access_key,
            settings.secret_key.get_secret_value(),
            access_key_field="accessKey",
            secret_key_field="secretKey",
            token_scheme="" if settings.auth_scheme.lower() == "none" else settings.auth_scheme,
        )


HYALTO = Hyalto()


# -- talking to Hyalto -------------------------------------------------------------------


# Hyalto's errors are assumed `{"error", "message"}`: both are shown.
ANSWERS = Answers("Hyalto", error_keys=("message", "error"), detail=" ({})")


async def pages(
    client: httpx.AsyncClient, path: str, what: str
) -> AsyncIterator[tuple[Any, list[dict[str, Any]]]]:
    """Each page of a list as (answer, its new records), while the answer says more exist.

    `path` may carry a query already; page parameters are added to it as written."""
    url: httpx.URL | str = path
    page, size, count = 1, 0, 0
    seen: set[Any] = set()
    asked: set[str] = set()
    while True:
        response = await client.get(url)
        asked.add(str(response.url))
        body = ANSWERS.json(response, what)
        records = ANSWERS.records(body, "data", what)
        size = size or len(records)
        # a server that ignores paging sends page 1 again: its records are not new
        fresh = [r for r in records if r.get("id") is None or r.get("id") not in seen]
        seen.update(r["id"] for r in fresh if r.get("id") is not None)
        count += len(fresh)
        yield body, fresh
        links = body.get("links") if isinstance(body, dict) else None
        meta = body.get("meta") if isinstance(body, dict) else None
        following = links.get("next") if isinstance(links, dict) else None
        total = meta.get("total") if isinstance(meta, dict) else None
        if not fresh:
            return
        if isinstance(following, str) and following:
            url = response.url.join(following)
            if str(url) in asked:
                return
        elif isinstance(total, int) and count < total:
            page += 1
            joiner = "&" if "?" in path else "?"
            url = f"{path}{joiner}page%5Bnumber%5D={page}&page%5Bsize%5D={size}"
        else:
            return


async def list_all(
    client: httpx.AsyncClient, path: str, what: str
) -> AsyncIterator[dict[str, Any]]:
    """Every record of a list, page after page."""
    async for _, records in pages(client, path, what):
        for record in records:
            yield record


def account_name(account: Mapping[str, Any]) -> Any:
    """An account's name: `companyName` (the public client; a documented token claim),
    else `name` (the notes' assumed shape)."""
    return _first(account.get("companyName"), account.get("name"))


def service_type(service: Mapping[str, Any]) -> Any:
    """A service's kind: `metaData.type` (the public client), else `serviceType` (the
    notes' assumed shape)."""
    meta = service.get("metaData")
    return _first(
        meta.get("type") if isinstance(meta, Mapping) else None, service.get("serviceType")
    )


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


class HyaltoExport(Target):
    """A Hyalto list: export only (the API is read here, never written)."""

    api = HYALTO
    export_only = True

    @staticmethod
    async def accounts(client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
        async for account in list_all(client, ACCOUNTS, "list accounts"):
            yield account

    @staticmethod
    async def services(
        client: httpx.AsyncClient, account: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        account_id = quote(str(account.get("id")), safe="")
        path = f"/serviceOfferings/accounts/{account_id}/services/"
        what = f"list the services of account {account.get('id')}"
        async for service in list_all(client, path, what):
            yield service


# -- accounts ----------------------------------------------------------------------------


class AccountRow(BaseModel):
    """A Hyalto account (a customer)."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(None, description="Account id.", examples=[1201])
    name: str | None = Field(None, description="Account name.", examples=["Acme Ltd"])
    status: str | None = Field(None, description="Account status.", examples=["active"])
    currency: str | None = Field(None, description="Billing currency.", examples=["EUR"])


def _pick(record: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: record.get(name) for name in names}


class HyaltoAccounts(HyaltoExport):
    name = "hyalto.accounts"
    description = "Hyalto accounts (export only)"
    Row = AccountRow
    key = "id"

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        async for account in self.accounts(client):
            yield {**_pick(account, list(AccountRow.model_fields)), "name": account_name(account)}


# -- services ----------------------------------------------------------------------------


class ServiceRow(BaseModel):
    """A service an account subscribes to."""

    model_config = ConfigDict(extra="forbid")

    accountId: int | None = Field(None, description="Account id.", examples=[1201])
    accountName: str | None = Field(None, description="Account name.", examples=["Acme Ltd"])
    id: int | None = Field(None, description="Service id.", examples=[9001])
    name: str | None = Field(None, description="Service name.", examples=["Azure CSP subscription"])
    serviceType: str | None = Field(None, description="Kind of service.", examples=["azure"])
    status: str | None = Field(None, description="Service status.", examples=["active"])
    startDate: str | None = Field(
        None,
        description="When the service started.",
        examples=["2024-03-01 00:00:00"],
        json_schema_extra=MOMENT,
    )


class HyaltoServices(HyaltoExport):
    name = "hyalto.services"
    description = "Hyalto services of every account (export only)"
    Row = ServiceRow
    key = "id"

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        async for account in self.accounts(client):
            async for service in self.services(client, account):
                yield {
                    "accountId": account.get("id"),
                    "accountName": account_name(account),
                    **_pick(service, ("id", "name")),
                    "serviceType": service_type(service),
                    **_pick(service, ("status", "startDate")),
                }


# -- usage -------------------------------------------------------------------------------


class UsageRow(BaseModel):
    """One usage record of a service's usage report."""

    model_config = ConfigDict(extra="forbid")

    accountId: int | None = Field(None, description="Account id.", examples=[1201])
    accountName: str | None = Field(None, description="Account name.", examples=["Acme Ltd"])
    serviceId: int | None = Field(None, description="Service id.", examples=[9001])
    serviceName: str | None = Field(
        None, description="Service name.", examples=["Azure CSP subscription"]
    )
    serviceType: str | None = Field(None, description="Kind of service.", examples=["azure"])
    date: str | None = Field(
        None, description="Day of the usage.", examples=["2025-01-01"], json_schema_extra=DAY
    )
    meter: str | None = Field(
        None, description="What was used.", examples=["Virtual Machines D2s v5"]
    )
    quantity: float | None = Field(None, description="How much.", examples=[24])
    unit: str | None = Field(None, description="Unit of the quantity.", examples=["hour"])
    cost: float | None = Field(None, description="Cost of the record.", examples=[2.3])
    currency: str | None = Field(None, description="Currency of the cost.", examples=["EUR"])


def report_period(options: ExportOptions) -> tuple[str, str]:
    """`filter[from]` and `filter[to]` for a usage export, in UTC.

    `--from` is needed; `--to` defaults to now, and a `--to` date without a time
    means the end of that day."""
    if options.start is None:
        raise BadInput(
            "hyalto.usage reads usage reports over a period: give it with --from (and --to).",
            hint="rowpush export hyalto.usage -c CONNECTION --from 2025-01-01 --to 2025-01-31",
        )
    start = _utc(options.start)
    if options.end is None:
        end = now()
    elif options.end.tzinfo is None and options.end.time() == time(0):
        end = _utc(options.end + timedelta(days=1, seconds=-1))
    else:
        end = _utc(options.end)
    if start > end:
        raise BadInput(
            f"The period starts ({start:{TIME_FORMAT}}) after it ends ({end:{TIME_FORMAT}}).",
            hint="Give --from before --to.",
        )
    return f"{start:{TIME_FORMAT}}", f"{end:{TIME_FORMAT}}"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class HyaltoUsage(HyaltoExport):
    """Usage records of every service of every account over `--from` … `--to`."""

    name = "hyalto.usage"
    description = "Hyalto usage per account and service over a period (export only; --from/--to)"
    Row = UsageRow
    key = None

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        start, end = report_period(options)
        query = f"filter%5Bfrom%5D={quote(start, safe='')}&filter%5Bto%5D={quote(end, safe='')}"
        async for account in self.accounts(client):
            async for service in self.services(client, account):
                service_id = service.get("id")
                path = f"/reports/usage/service/{quote(str(service_id), safe='')}?{query}"
                what = f"read the usage of service {service_id} (account {account.get('id')})"
                async for body, records in pages(client, path, what):
                    currency = body.get("currency") if isinstance(body, dict) else None
                    for record in records:
                        yield {
                            "accountId": account.get("id"),
                            "accountName": account_name(account),
                            "serviceId": service_id,
                            "serviceName": service.get("name"),
                            "serviceType": service_type(service),
                            **_pick(record, ("date", "meter", "quantity", "unit", "cost")),
                            "currency": record.get("currency") or currency,
                        }
