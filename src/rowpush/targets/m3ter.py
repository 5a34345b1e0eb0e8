"""m3ter: accounts (Config API) and usage measurements (Ingest API).

Facts from ../shared/apis/m3ter.md: a token by Basic auth (`accessKeyId:apiSecret`)
at `{base_url}/oauth/token`, 5 h, and an expired token answers 403; every path is
under `/organizations/{orgId}`; lists page with `pageSize` + `nextToken` into
`{"data": [...], "nextToken"}`; `PUT` replaces the whole entity and needs the
current `version` (a mismatch is a conflict); measurements go to the ingest host,
1 to 1000 per request and under 512,000 bytes, and a `uid` makes them idempotent.

The official Python SDK (`m3ter` 0.9, generated from m3ter's OpenAPI) is the schema of
every body sent here, and where it and the notes disagree the SDK wins: a data field's
`unit` is "required only for numeric field categories" (MEASURE, COST, INCOME), and no
status is published for a stale `version` (the notes assumed 409). Bodies are encoded
once (targets/wire.py) and sent as those bytes, so the ingest cap is measured on what
goes out, whatever the httpx version.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from rowpush.config import Connection, ConnectionSettings
from rowpush.errors import ConfigError
from rowpush.http.auth import ClientCredentials
from rowpush.http.retry import NOT_IDEMPOTENT
from rowpush.model import Action, Change, Outcome, Status, now
from rowpush.targets import custom_fields
from rowpush.targets.answers import Answers, pages
from rowpush.targets.base import Api, ExportOptions, GroupPlan, Target, outcome_for
from rowpush.targets.m3ter_body import (
    NUMERIC,
    UID_CONTENT,
    BodyLayout,
    body_layout,
    uuid5_text,
)
from rowpush.targets.m3ter_body import as_number as _as_number  # accounts' numbers too
from rowpush.targets.wire import json_array, json_bytes, post_json, put_json, wire_of

__all__ = ["M3ter", "M3terAccounts", "M3terMeasurements", "M3terMeters", "M3terSettings"]

PAGE_SIZE = 100
CATEGORIES = ("who", "where", "what", "other", "metadata", "measure", "cost", "income")
READ_ONLY = frozenset({"id", "dtCreated", "dtLastModified", "createdBy", "lastModifiedBy"})
DEFAULT_INGEST_URL = "https://ingest.m3ter.com"
MAX_INGEST_BYTES = 512_000
"""An ingest body of this many bytes or more is refused with 403 (documented)."""
MAX_MEASUREMENTS = 1000
"""Most measurements one ingest request may carry (documented)."""
INGEST_ENVELOPE = len(json_bytes({"measurements": []}))
"""Bytes of the ingest body around its measurements: `{"measurements":[]}`."""


class M3terSettings(ConnectionSettings):
    """An m3ter connection: a service user's API key (Settings > Access > Service Users);
    the Config API and the Ingest API share its token."""

    base_url: str = "https://api.m3ter.com"
    """The Config API (tokens at {base_url}/oauth/token)."""
    org_id: str
    """Your m3ter organization id."""
    access_key_id: str
    """The Access Key id of a service user's API key."""
    api_secret: SecretStr
    """The API secret of that key."""
    ingest_url: str = DEFAULT_INGEST_URL
    """The Ingest API, where measurements go."""
    timezone: str | None = None
    """Time zone of measurement times written without one, e.g. "Europe/Paris" (default: UTC)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise PydanticCustomError(
                    "setting", 'must be an IANA time zone name such as "Europe/Paris"'
                ) from None
        return value

    @property
    def zone(self) -> tzinfo:
        """The zone of `timezone`, UTC when none is set."""
        return ZoneInfo(self.timezone) if self.timezone else UTC


class M3ter(Api[M3terSettings]):
    name = "m3ter"
    description = "m3ter"
    Settings = M3terSettings
    default_rate = "15/s"  # under the ingest limit (5,000 per 5 min per IP); config allows more
    retry_statuses = frozenset({408, 500, 502, 503, 504})  # 409 is a version conflict

    def auth(self, conn: Connection) -> httpx.Auth:
        settings = self.settings(conn)
        return ClientCredentials(
            token_url=f"{self.base_url(conn)}/oauth/token",
            client_id=settings.access_key_id,
            client_secret=settings.api_secret.get_secret_value(),
            client_auth="basic",
            refresh_on=frozenset({401, 403}),  # m3ter answers an expired token with 403
        )

    @staticmethod
    def org_path(conn: Connection | None) -> str:
        if conn is None:
            raise ConfigError("m3ter targets need a connection (its org_id).")
        return f"/organizations/{M3TER.settings(conn).org_id}"

    @staticmethod
    def ingest_url(conn: Connection | None) -> str:
        url = M3TER.settings(conn).ingest_url if conn else DEFAULT_INGEST_URL
        return url.rstrip("/")


M3TER = M3ter()


# m3ter's errors are `{"message": ...}`; its OAuth errors the usual pair.
ANSWERS = Answers("m3ter")


async def list_all(
    client: httpx.AsyncClient, path: str, params: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Every item of an m3ter list, page by page (`nextToken` until there is none)."""

    def following(body: Any, number: int, seen: int) -> dict[str, str] | None:
        token = body.get("nextToken") if isinstance(body, dict) else None
        return {"nextToken": str(token)} if token else None

    async for records in pages(
        client,
        ANSWERS,
        path,
        envelope="data",
        what=f"list {path.rsplit('/', 1)[-1]}",
        params={"pageSize": str(PAGE_SIZE), **(params or {})},
        following=following,
    ):
        for record in records:
            yield record


# -- accounts --------------------------------------------------------------------------


class AccountRow(BaseModel):
    """An m3ter account; `custom.<name>` columns are its custom fields."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="allow")

    code: str | None = Field(
        None,
        min_length=1,
        max_length=80,
        description="Account code (unique).",
        examples=["ACME-001"],
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Account name. Needed to create.",
        examples=["Acme Ltd"],
    )
    emailAddress: str | None = Field(
        None,
        max_length=200,
        description="Billing email address. Needed to create.",
        examples=["billing@acme.example"],
    )
    currency: str | None = Field(
        None,
        min_length=3,
        max_length=3,
        description="Billing currency (ISO 4217).",
        examples=["USD"],
    )
    billEpoch: date | None = Field(
        None, description="Date billing periods count from.", examples=["2026-01-01"]
    )

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class ConfigEntity(Target):
    """An m3ter Config API entity: created by POST, updated by a version-checked PUT of the
    whole entity, one per call."""

    api = M3TER
    batch_size = 1  # config entities go one per call
    live_chunk = 100
    path: ClassVar[str]
    """The collection under the organization, e.g. "accounts"."""

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self._raw: dict[Any, dict[str, Any]] = {}
        """Live records by key, as read during plan (the base of each PUT)."""

    def _url(self, suffix: str = "") -> str:
        return f"{M3ter.org_path(self.conn)}/{self.path}{suffix}"

    def _put_body(self, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The whole live entity with `changes` merged in, read-only fields dropped, and
        the version it had when planned (a PUT replaces everything it is not given)."""
        live = self._raw[key]
        merged = {k: v for k, v in live.items() if k not in READ_ONLY}
        merged.update(changes)
        # a null is what an absent field becomes anyway, and the SDK's update params type
        # no field as nullable (e.g. `address: AddressParam`): send only values
        return {"id": live["id"], "body": {k: v for k, v in merged.items() if v is not None}}

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        return [await self._send_one(client, change) for change in batch]

    async def _send_one(self, client: httpx.AsyncClient, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            response = await post_json(
                client, self._url(), change.payload, extensions=NOT_IDEMPOTENT
            )
        else:
            # the version makes a resend after a lost answer fail as a conflict if the
            # first landed: leave it unclear, and let the engine look at the live record
            response = await put_json(
                client,
                self._url(f"/{change.payload['id']}"),
                change.payload["body"],
                extensions=NOT_IDEMPOTENT,
            )
        if change.action is not Action.CREATE and is_version_conflict(response):
            return outcome_for(
                change,
                ok=False,
                http_status=response.status_code,
                message=f"changed in m3ter since the plan ({ANSWERS.error_message(response)}); "
                "plan again to see the new values",
            )
        if change.action is Action.CREATE and response.status_code == 409:
            return outcome_for(
                change,
                ok=False,
                http_status=409,
                message=f"m3ter refused the create as a conflict "
                f"({ANSWERS.error_message(response)}); it may have been created since the "
                "plan: plan again",
            )
        if not response.is_success:
            return outcome_for(
                change,
                ok=False,
                http_status=response.status_code,
                message=ANSWERS.error_message(response),
            )
        saved = response.json()
        return outcome_for(
            change,
            ok=True,
            http_status=response.status_code,
            remote_id=saved.get("id") if isinstance(saved, dict) else None,
        )


VERSION_TEXT = re.compile(r"\bversion", re.IGNORECASE)
"""What an answer about a stale `version` says (m3ter: "Version mismatch ...", assumed)."""


def is_version_conflict(response: httpx.Response) -> bool:
    """Whether an answer to a PUT says its `version` is not the stored one. m3ter publishes
    no status for it (the notes assumed 409; the SDK only maps statuses to exception
    classes), so any of 400/409/412/422 counts when its text speaks of the version, and
    409/412 (conflict, precondition failed) count whatever they say."""
    status = response.status_code
    if status in (409, 412):
        return True
    return status in (400, 422) and bool(VERSION_TEXT.search(ANSWERS.error_message(response)))


class M3terAccounts(ConfigEntity):
    name = "m3ter.accounts"
    description = "m3ter accounts: name, billing email, currency, bill epoch, custom fields"
    Row = AccountRow
    key = "code"
    label = "name"
    required_columns = ("code",)
    path = "accounts"
    create_missing = True
    custom_fields = True

    def _project(self, record: dict[str, Any]) -> dict[str, Any]:
        values = {name: record.get(name) for name in self.Row.model_fields}
        values.update(custom_fields.live_values(record, _text))
        self._raw[record["code"]] = record
        return values

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        async for record in list_all(client, self._url(), {"codes": ",".join(keys)}):
            if record.get("code") in keys:
                found[record["code"]] = self._project(record)
        return found

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        async for record in list_all(client, self._url()):
            yield self._project(record)

    async def export_extra_headers(self, client: httpx.AsyncClient) -> list[str]:
        return custom_fields.columns_in([r async for r in list_all(client, self._url())])

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """A create's fields, or the whole live entity with the changes merged in and the
        version it had when planned (a PUT replaces everything it is not given)."""
        body, texts = custom_fields.split(values)
        custom = {name: _number_or_text(v) for name, v in texts.items()}
        if action is Action.CREATE:
            return {**body, **({custom_fields.RECORD_KEY: custom} if custom else {})}
        if custom:
            live = custom_fields.custom_of(self._raw[key])
            body[custom_fields.RECORD_KEY] = {**live, **custom}
        return self._put_body(key, body)


# -- meters ------------------------------------------------------------------------------

Category = Literal["WHO", "WHERE", "WHAT", "OTHER", "METADATA", "MEASURE", "INCOME", "COST"]
FIELD_KEYS = ("category", "code", "name", "unit")
NUMERIC_CATEGORIES = frozenset({"MEASURE", "INCOME", "COST"})
"""Categories whose fields need a `unit`: the SDK's DataFieldParam says "Required only for
numeric field categories" (the notes said "only needed for"; likely, not yet confirmed)."""


class MeterRow(BaseModel):
    """One data field (or derived field) of an m3ter meter; a meter is all rows with its code."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=80,
        description="Meter code; its rows make one meter.",
        examples=["api_calls"],
    )
    name: str | None = Field(
        None,
        max_length=200,
        description="Meter name (same on every row of the meter).",
        examples=["API calls"],
    )
    product: str | None = Field(
        None,
        description="Product code (blank: a global meter). Same on every row.",
        examples=["platform"],
    )
    group: str | None = Field(None, description="Meter group id (same on every row).")
    kind: Literal["data", "derived"] = Field(
        "data", description="data: a field measurements carry; derived: a calculation."
    )
    category: Category = Field(description="Field category.", examples=["MEASURE"])
    field_code: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z_$][A-Za-z0-9_$]*$",
        description="Field code (letters, digits, _ and $; not starting with a digit).",
        examples=["requests"],
    )
    field_name: str | None = Field(
        None,
        max_length=200,
        description="Field name (default: the code).",
        examples=["Requests"],
    )
    unit: str | None = Field(
        None,
        description="UCUM unit, needed by MEASURE, INCOME and COST fields.",
        examples=["{request}"],
    )
    calculation: str | None = Field(
        None, description="Derived fields: the expression, e.g. requests * 2."
    )

    @field_validator("category", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class M3terMeters(ConfigEntity):
    name = "m3ter.meters"
    description = "m3ter meters, one row per data or derived field (rows sharing a code)"
    Row = MeterRow
    key = "code"
    label = "name"
    required_columns = ("code", "category", "field_code")
    group_rows = True
    path = "meters"
    not_revertible = (
        "a meter spans rows (one per field) and revert does not set fields back yet: "
        "apply an export taken before the run"
    )

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self.product_ids: dict[str, str] = {}

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        async for product in list_all(client, f"{M3ter.org_path(self.conn)}/products"):
            self.product_ids[str(product.get("code"))] = str(product.get("id"))

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        async for record in list_all(client, self._url(), {"codes": ",".join(keys)}):
            if record.get("code") in keys:
                self._raw[record["code"]] = found[record["code"]] = record
        return found

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        await self.load_reference(client)
        codes = {pid: code for code, pid in self.product_ids.items()}
        async for meter in list_all(client, self._url()):
            common = {
                "code": meter.get("code"),
                "name": meter.get("name"),
                "product": codes.get(meter.get("productId") or "", meter.get("productId")),
                "group": meter.get("groupId"),
            }
            for kind, key in (("data", "dataFields"), ("derived", "derivedFields")):
                for field in meter.get(key) or []:
                    yield {
                        **common,
                        "kind": kind,
                        "category": field.get("category"),
                        "field_code": field.get("code"),
                        "field_name": field.get("name"),
                        "unit": field.get("unit"),
                        "calculation": field.get("calculation"),
                    }

    def plan_group(
        self, rows: Sequence[tuple[int, Mapping[str, Any]]], live: Mapping[str, Any] | None
    ) -> GroupPlan:
        problems: list[tuple[int, str | None, str]] = []
        code = rows[0][1]["code"]
        common: dict[str, Any] = {}
        first_row: dict[str, int] = {}
        for number, values in rows:
            for name in ("name", "product", "group"):
                value = values.get(name)
                if value in (None, ""):
                    continue
                if name not in common:
                    common[name], first_row[name] = value, number
                elif common[name] != value:
                    problems.append(
                        (
                            number,
                            name,
                            f"meter {code}: {name} {value!r} here but "
                            f"{common[name]!r} on row {first_row[name]}",
                        )
                    )
        product_id = None
        if "product" in common:
            product_id = self.product_ids.get(common["product"])
            if product_id is None:
                problems.append(
                    (
                        first_row["product"],
                        "product",
                        f"no m3ter product has code {common['product']!r}",
                    )
                )
        wanted: dict[str, dict[str, dict[str, Any]]] = {"data": {}, "derived": {}}
        seen: dict[str, int] = {}
        for number, values in rows:
            field_code = values["field_code"]
            if field_code in seen:
                problems.append(
                    (
                        number,
                        "field_code",
                        f"meter {code} has field {field_code!r} "
                        f"twice (first on row {seen[field_code]})",
                    )
                )
                continue
            seen[field_code] = number
            kind = values.get("kind", "data")
            if kind == "derived" and not values.get("calculation"):
                problems.append((number, "calculation", "a derived field needs a calculation"))
            category = values["category"]
            if (
                category in NUMERIC_CATEGORIES
                and not values.get("unit")
                and not _live_unit(live, kind, field_code)
            ):
                problems.append(
                    (
                        number,
                        "unit",
                        f"meter {code}: the {category} field {field_code!r} needs a unit "
                        "(m3ter requires one for MEASURE, INCOME and COST fields); write a "
                        "UCUM unit such as {request}, GiBy or h",
                    )
                )
            wanted[kind][field_code] = {
                "category": values["category"],
                "code": field_code,
                "name": values.get("field_name"),
                "unit": values.get("unit"),
                **({"calculation": values.get("calculation")} if kind == "derived" else {}),
            }
        if not wanted["data"]:
            problems.append((rows[0][0], "kind", f"meter {code} needs at least one data field"))
        if live is None and "name" not in common:
            problems.append((rows[0][0], "name", f"a name is needed to create meter {code}"))
        if problems:
            return GroupPlan(Action.INVALID, {}, {}, problems)
        return self._diff(code, common, product_id, wanted, live)

    def _diff(
        self,
        code: str,
        common: dict[str, Any],
        product_id: str | None,
        wanted: dict[str, dict[str, dict[str, Any]]],
        live: Mapping[str, Any] | None,
    ) -> GroupPlan:
        old_fields = {
            kind: {f["code"]: f for f in (live or {}).get(key) or []}
            for kind, key in (("data", "dataFields"), ("derived", "derivedFields"))
        }
        fields: dict[str, tuple[Any, Any]] = {}
        entity: dict[str, Any] = {}
        product_codes = {pid: c for c, pid in self.product_ids.items()}
        for kind, key in (("data", "dataFields"), ("derived", "derivedFields")):
            merged = []
            for field_code, new in wanted[kind].items():
                old = old_fields[kind].get(field_code)
                # a blank name or unit keeps the live one; a new field's name defaults to its code
                field = {k: v for k, v in new.items() if v not in (None, "")}
                base = {k: v for k, v in (old or {}).items() if k in (*FIELD_KEYS, "calculation")}
                full = {**base, **field}
                full.setdefault("name", field_code)
                merged.append(full)
                if old is None:
                    fields[f"{kind} field {field_code}"] = (None, _describe(full))
                elif _describe(base) != _describe(full):
                    fields[f"{kind} field {field_code}"] = (_describe(base), _describe(full))
            for field_code, old in old_fields[kind].items():
                if field_code not in wanted[kind]:
                    fields[f"{kind} field {field_code}"] = (_describe(old), None)
            entity[key] = merged
        for name, api_name, value in (
            ("name", "name", common.get("name")),
            ("product", "productId", product_id),
            ("group", "groupId", common.get("group")),
        ):
            if value is None:
                continue
            entity[api_name] = value
            old_value = (live or {}).get(api_name)
            if old_value != value if name == "product" else not self.same(name, value, old_value):
                shown = (
                    product_codes.get(str(old_value), old_value) if name == "product" else old_value
                )
                fields[name] = (shown, common[name])
        if live is None:
            return GroupPlan(Action.CREATE, fields, {"code": code, **entity}, [])
        if not fields:
            return GroupPlan(Action.UNCHANGED, {}, {}, [])
        return GroupPlan(Action.UPDATE, fields, self._put_body(code, entity), [])


def _live_unit(live: Mapping[str, Any] | None, kind: str, field_code: str) -> Any:
    """The unit the live meter's field of this code has (a blank cell keeps it)."""
    key = "dataFields" if kind == "data" else "derivedFields"
    for field in (live or {}).get(key) or []:
        if field.get("code") == field_code:
            return field.get("unit")
    return None


def _describe(field: Mapping[str, Any]) -> str:
    """A data field as one line: `MEASURE requests "Requests" [{request}] = requests * 2`."""
    text = f"{field.get('category')} {field.get('code')} {json.dumps(field.get('name'))}"
    if field.get("unit"):
        text += f" [{field['unit']}]"
    if field.get("calculation"):
        text += f" = {field['calculation']}"
    return text


# -- measurements -----------------------------------------------------------------------


class MeasurementRow(BaseModel):
    """One usage measurement; `<category>.<code>` columns carry its data fields."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="allow")

    uid: str | None = Field(
        None,
        max_length=200,
        description="Unique id. Leave blank: rowpush derives one from the row's content, so a "
        "re-run never counts twice.",
    )
    meter: str = Field(min_length=1, description="Meter code.", examples=["api_calls"])
    account: str = Field(min_length=1, description="Account code.", examples=["ACME-001"])
    ts: datetime = Field(
        description="When it happened: ISO 8601, an Excel date, or yyyy-mm-dd hh:mm:ss. "
        "Without a zone: UTC, or the connection's timezone.",
        examples=["2026-01-31 23:00:00"],
    )
    ets: datetime | None = Field(None, description="End of the period measured (optional).")


class M3terMeasurements(Target):
    name = "m3ter.measurements"
    api = M3TER
    description = "m3ter usage measurements (append-only ingest; re-runs never double-count)"
    Row = MeasurementRow
    key = None  # append-only: nothing live to compare with
    not_exported = "the Ingest API only takes measurements in"
    not_revertible = "measurements cannot be un-ingested: the Ingest API only takes them in"
    required_columns = ("meter", "account", "ts")
    batch_size = MAX_MEASUREMENTS
    # A batch body is the envelope plus each payload and a comma between two: with each
    # payload weighed as `payload_size + 1`, a batch within this cap is under 512,000 B.
    batch_bytes = MAX_INGEST_BYTES - INGEST_ENVELOPE
    live_chunk = 1000
    idempotent_creates = True  # m3ter drops a measurement whose uid it has seen
    content_id = "uid"
    payload_of_python = True  # payload reads ts/ets as datetimes (`_moment`) or text alike

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self.meters: dict[str, dict[str, set[str]]] = {}
        self.accounts: set[str] = set()
        self._zone: tzinfo | None = None

    @property
    def zone(self) -> tzinfo:
        """Where times written without a zone are: the connection's timezone, else UTC."""
        if self._zone is None:  # read once: payload asks for every row
            self._zone = M3TER.settings(self.conn).zone if self.conn else UTC
        return self._zone

    @classmethod
    def extra_field(cls, header: str) -> str | None:
        category, _, code = header.partition(".")
        if category.lower() in CATEGORIES and code:
            return f"{category.lower()}.{code}"
        return None

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        org = M3ter.org_path(self.conn)
        async for meter in list_all(client, f"{org}/meters"):
            fields: dict[str, set[str]] = {}
            # measurements carry data fields only: m3ter computes the derived ones
            for field in meter.get("dataFields") or []:
                fields.setdefault(str(field.get("category", "")).lower(), set()).add(
                    str(field.get("code"))
                )
            self.meters[str(meter.get("code"))] = fields
        async for account in list_all(client, f"{org}/accounts"):
            self.accounts.add(str(account.get("code")))

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        meter = values.get("meter")
        fields = self.meters.get(str(meter))
        if fields is None:
            problems.append(("meter", f"no m3ter meter has code {meter!r}"))
        if values.get("account") not in self.accounts:
            problems.append(("account", f"no m3ter account has code {values.get('account')!r}"))
        layout = body_layout(values, values.get("ets") is not None)
        data = layout.checked if layout is not None else _data_fields(values)
        for name, category, code, numeric in data:
            if fields is not None and code not in fields.get(category, ()):
                problems.append((name, f"meter {meter!r} has no {category.upper()} field {code!r}"))
            elif numeric and _as_number(values[name]) is None:
                problems.append((name, f"{values[name]!r} is not a number"))
        return problems  # a measurement too big for any request: plan refuses it (batch_bytes)

    @staticmethod
    def ingest_body(batch: Sequence[Change]) -> bytes:
        """The one encoding of a batch: what is measured is what is sent."""
        return _ingest_body(json_array(wire_of(c) for c in batch))

    def _moment_text(self, value: Any) -> str:
        """A ts (or ets) as the body writes it: ISO 8601 in UTC with a Z."""
        if type(value) is datetime and value.tzinfo is None and self.zone is UTC:
            return value.isoformat() + "Z"  # `_utc` of it, without the calls
        return self._utc(_moment(value))

    def encode_appends(
        self, columns: Mapping[str, Sequence[Any]], count: int
    ) -> Sequence[tuple[bytes, str | None] | None] | None:
        """`check` and `payload_wire` of a block of rows, a column at a time: the rows'
        field names are one layout (m3ter_body), each distinct meter's fields are checked
        once, each distinct moment written once."""
        ets = columns.get("ets")
        layout = body_layout(columns, ets is not None)
        if layout is None:
            return None
        meters, accounts = columns["meter"], columns["account"]
        usable = {m for m in set(meters) if self._meter_takes(m, layout)}
        ok = [m in usable and a in self.accounts for m, a in zip(meters, accounts, strict=True)]
        top = [meters, accounts, self._moment_texts(columns["ts"])]
        if ets is not None:
            top.append(self._moment_texts(ets))
        data = [columns[name] for name, _, _, _ in layout.fields]
        encoded = layout.encode_columns(top, data, columns.get("uid"))
        return [e if good else None for e, good in zip(encoded, ok, strict=True)]

    def _meter_takes(self, meter: Any, layout: BodyLayout) -> bool:
        """A known meter with every data field of the layout (what `check` asks of a row)."""
        fields = self.meters.get(str(meter))
        return fields is not None and all(
            code in fields.get(category, ()) for _, category, code, _ in layout.checked
        )

    def _moment_texts(self, column: Sequence[Any]) -> list[str]:
        """`_moment_text` of each value, once per distinct moment (rows share minutes)."""
        if any(getattr(moment, "fold", 0) for moment in column):  # equal, yet not alike
            return [self._moment_text(moment) for moment in column]
        done = {moment: self._moment_text(moment) for moment in set(column)}
        return [done[moment] for moment in column]

    def _utc(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            zone = self.zone
            if zone is UTC:  # already UTC: what astimezone and the "+00:00" → "Z" give
                return moment.isoformat() + "Z"
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        return self.payload_wire(action, key, values)[0]

    def payload_wire(
        self, action: Action, key: Any, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bytes | None]:
        """The body, and its wire bytes from the row's layout's templates (m3ter_body);
        a row those cannot encode exactly is encoded by json, as it always was."""
        body: dict[str, Any] = {"meter": values["meter"], "account": values["account"]}
        body["ts"] = self._moment_text(values["ts"])
        ets = values.get("ets")
        if ets is not None:
            body["ets"] = self._moment_text(ets)
        layout = body_layout(values, ets is not None)
        if layout is not None:
            encoded = layout.encode(body, values)
            if encoded is not None:
                return encoded
            body = {k: body[k] for k in ("meter", "account", "ts", "ets") if k in body}
        return self._json_payload(body, values), None

    @staticmethod
    def _json_payload(body: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        """The body's data fields and uid, encoded by json (the reference encoding)."""
        for name, category, code, numeric in sorted(_data_fields(values)):
            value = values[name]
            body.setdefault(category, {})[code] = _as_number(value) if numeric else str(value)
        body["uid"] = values.get("uid") or uuid5_text(UID_CONTENT.encode(body).encode())
        return body

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        """One ingest request for the batch; a batch over the byte or item cap is halved
        first, and one refused with 403 for its size anyway is halved and resent."""
        answer = await self.send_appends(client, json_array(wire_of(c) for c in batch), len(batch))
        if answer is None:
            return await self._halves(client, batch)
        # a batched journal's changes carry no decoded payload: their uid is planned
        return [replace(answer, row=c.row, remote_id=c.payload.get("uid")) for c in batch]

    async def send_appends(
        self, client: httpx.AsyncClient, array: bytes, count: int
    ) -> Outcome | None:
        """One ingest request for the `count` measurements of `array` (the outcome they
        share); None for more than one over the byte or item cap, or refused with 403 for
        its size anyway: nothing of it was ingested, and its halves go instead."""
        body = _ingest_body(array)
        over = len(body) >= MAX_INGEST_BYTES or count > MAX_MEASUREMENTS
        if over and count > 1:
            return None
        url = f"{M3ter.ingest_url(self.conn)}{M3ter.org_path(self.conn)}/measurements"
        response = await post_json(client, url, body)
        if count > 1 and _refused_for_size(response, len(body)):
            return None
        ok = response.is_success
        message = (
            "accepted (m3ter validates after ingest: check its ingest.validation.failure events)"
            if ok
            else ANSWERS.error_message(response)
        )
        status = Status.CREATED if ok else Status.FAILED
        return Outcome(0, status, response.status_code, message, None, now())

    async def _halves(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        middle = len(batch) // 2
        return [*await self.send(client, batch[:middle]), *await self.send(client, batch[middle:])]


def _ingest_body(array: bytes) -> bytes:
    """The Ingest API's body around a JSON array of measurements already encoded."""
    return b'{"measurements":' + array + b"}"


SIZE_TEXT = re.compile(r"too large|too big|payload|size|bytes|too many|1,?000", re.IGNORECASE)


def _refused_for_size(response: httpx.Response, sent: int) -> bool:
    """A 403 that is about the body's size or item count (m3ter's documented answer to a
    body over 512,000 bytes), not about the token (the auth layer has already fetched a
    new one and resent). Its text is not published, so a body of half the cap or more
    counts too: halving it costs a request, failing it would cost every row."""
    if response.status_code != 403:
        return False
    return sent >= MAX_INGEST_BYTES // 2 or bool(SIZE_TEXT.search(ANSWERS.error_message(response)))


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def _data_fields(values: Mapping[str, Any]) -> list[tuple[str, str, str, bool]]:
    """The row's data fields (name, category, code, numeric), in its own order."""
    found = []
    for name in values:
        category, _, code = name.partition(".")
        if code:
            found.append((name, category, code, category in NUMERIC))
    return found


def _number_or_text(value: Any) -> Any:
    number = _as_number(value)
    return number if number is not None and str(value).strip() == _text(number) else value


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
