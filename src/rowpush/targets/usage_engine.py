"""DigitalRoute Usage Engine Cloud Edition: meter types and meters.

Facts from ../shared/apis/usage-engine.md: a token by OAuth2 client credentials sent
in the body together with an `audience` (the environment's base URL, written with a
trailing slash) at `{base}/authentication/v1/oauth/token`, 1 h; meter types live at
`/usage-metering/v1/meter-types` (list `{"meterTypes": [...]}`, `?name=` filter) and
meters at `/usage-metering/v1/meters` (list `{"meters": [...]}`, `meterTypeId` and
`meterKey` filters); one object per POST; a meter is one customer's (`userId`) meter
of a meter type under a `meterKey`; errors are `{"message": ...}`; 409 is a duplicate.

Updates (see docs/vendor-contracts.md for each fact's source and test):
- *documented*: a meter is updated by `PATCH .../meters/{id}` (an earlier version of the
  infozone "Meters" page), and "Update of Meter supports the update of parameter
  deleteOnReset" (infozone "Meters"); a meter type's editable fields are externalRef,
  unit, resetSchedule, category, activeFrom, activeTo and timezone (infozone "Updating
  Meter Types", which says the API can update them too);
- *assumed*: meter types are PATCHed like meters, with only the fields sent changing;
  the API refuses (or ignores) any other field, custom fields of a meter included.
Either way is safe: an update is a PATCH of the changed fields alone, and plan refuses a
change to a field outside those lists (naming the column and what to do instead), so
nothing is sent that the API may refuse or silently drop. `update_method = "PUT"` is the
fallback should a tenant refuse PATCH: the whole record goes back, its uneditable fields
unchanged.

Assumed here, beyond the notes: lists are not paged; a meter type needs a unit and an
aggregation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from rowpush.config import Connection, ConnectionSettings
from rowpush.http.auth import ClientCredentials
from rowpush.http.retry import NOT_IDEMPOTENT  # creates: never sent twice
from rowpush.model import Action, Change, Outcome
from rowpush.targets import custom_fields
from rowpush.targets.answers import Answers, pages
from rowpush.targets.base import (
    MOMENT,
    Api,
    ExportOptions,
    Target,
    outcome_for,
)
from rowpush.targets.compare import is_blank

__all__ = [
    "ANSWERS",
    "UsageEngine",
    "UsageEngineMeterTypes",
    "UsageEngineMeters",
    "UsageEngineSettings",
]

METER_TYPES = "/usage-metering/v1/meter-types"
METERS = "/usage-metering/v1/meters"
SCHEDULE = ("minute", "hour", "day", "month", "weekday")
BY_KEY_LIMIT = 10
"""Up to this many meters of one type are looked up one by one; more and the type's
meters are listed once."""


class UsageEngineSettings(ConnectionSettings):
    """A Usage Engine connection: an Application Access (its client id and secret)."""

    base_url: str = "https://api.digitalroute.io"
    """The Usage Engine API (default: the EU production host)."""
    client_id: str
    """The id of an Application Access."""
    client_secret: SecretStr
    """The secret of that Application Access (sent in the token request's body)."""
    audience: str | None = None
    """The audience of the token asked for (default: the base_url with a trailing slash)."""
    update_method: Literal["PUT", "PATCH"] = "PATCH"
    """PATCH sends only changed fields (documented for meters); PUT, the fallback, whole records."""

    @field_validator("update_method", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class UsageEngine(Api[UsageEngineSettings]):
    name = "usage-engine"
    description = "DigitalRoute Usage Engine"
    Settings = UsageEngineSettings
    default_rate = "5/s"  # per-operation limits exist but were not captured; the notes say ≤ 5/s
    retry_statuses = frozenset({408, 500, 502, 503, 504})  # 409 is a duplicate: final

    def auth(self, conn: Connection) -> httpx.Auth:
        base = self.base_url(conn)
        settings = self.settings(conn)
        return ClientCredentials(
            token_url=f"{base}/authentication/v1/oauth/token",
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            client_auth="body",
            body_format="json",
            audience=settings.audience or f"{base}/",
        )

    @staticmethod
    def update_method(conn: Connection | None) -> Literal["PUT", "PATCH"]:
        return USAGE_ENGINE.settings(conn).update_method if conn else "PATCH"


USAGE_ENGINE = UsageEngine()


# -- talking to Usage Engine -------------------------------------------------------------


# Usage Engine's errors are `{"message", "code"}`, its OAuth errors the usual pair.
ANSWERS = Answers("Usage Engine", code_key="code")


async def list_all(
    client: httpx.AsyncClient, path: str, envelope: str, params: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every record of a list call (`{envelope: [...]}`; no paging is known)."""
    what = f"list {envelope}"
    return [
        r
        async for page in pages(client, ANSWERS, path, envelope=envelope, what=what, params=params)
        for r in page
    ]


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def canonical_time(value: Any) -> str:
    """A moment as Usage Engine writes it (`2025-01-15T10:00:00.000+00:00`, UTC);
    a moment without a zone is UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+00:00"


def _live_time(value: Any) -> str | None:
    try:
        return canonical_time(value) if value else None
    except ValueError:
        return str(value)


class UsageEngineTarget(Target):
    """What both targets share: the meter types (read once per run), one object per
    call, and a key the sheet chooses (a key no live record has is a create)."""

    api = USAGE_ENGINE
    batch_size = 1  # one object per POST
    create_missing = True
    read_only: ClassVar[frozenset[str]] = frozenset(
        {"id", "accountId", "createdAt", "updatedAt", "numberOfMeters"}
    )
    """Fields of a live record an update does not send back."""
    path: ClassVar[str]
    editable: ClassVar[tuple[str, ...]]
    """Row fields an update may change, as Usage Engine documents them; a change to any
    other field of an existing record is a plan error (`refused_edits`)."""
    identity: ClassVar[frozenset[str]]
    """Row fields that find the record (compared by the lookup and `check`, not edited)."""
    kind: ClassVar[str]
    """The record's name in messages ("meter type")."""

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self._types: list[dict[str, Any]] | None = None
        self._raw: dict[Any, dict[str, Any]] = {}
        """Key → the live record as the API gave it (an update sends it back, changed)."""

    async def meter_types(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        if self._types is None:
            self._types = await list_all(client, METER_TYPES, "meterTypes")
        return self._types

    def refused_edits(
        self, values: Mapping[str, Any], live: Mapping[str, Any]
    ) -> list[tuple[str | None, str]]:
        """A plan error per column whose value differs from the live one (`same`) and
        that Usage Engine does not let an update change."""
        return [
            (field, self.cannot_change(field, live.get(field)))
            for field, new in values.items()
            if field not in self.editable
            and field not in self.identity
            and not self.same(field, new, live.get(field))
        ]

    def cannot_change(self, field: str, old: Any) -> str:
        """Why `field` cannot be changed, and what to do instead."""
        kept = "it has none" if is_blank(old) else f"it is {old!r}"
        return (
            f"{field} cannot be changed through the API ({kept}): leave the cell blank to "
            f"keep it, or {self.instead(field)}; an update may change only "
            f"{_listing(self.editable)}"
        )

    def instead(self, field: str) -> str:
        """The way to a record with another `field` (overridden per target)."""
        return f"create a new {self.kind} with this {field}"

    def update_body(self, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The body of an update: the whole live record with the changes (PUT), or the
        changes alone (PATCH)."""
        live = self._raw[key]
        if UsageEngine.update_method(self.conn) == "PATCH":
            body = dict(changes)
        else:
            body = {k: v for k, v in live.items() if k not in self.read_only}
            body.update(changes)
        return {"id": live["id"], "body": body}

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        return [await self._send_one(client, change) for change in batch]

    async def _send_one(self, client: httpx.AsyncClient, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            response = await client.post(self.path, json=change.payload, extensions=NOT_IDEMPOTENT)
        else:
            response = await client.request(
                UsageEngine.update_method(self.conn),
                f"{self.path}/{quote(str(change.payload['id']), safe='')}",
                json=change.payload["body"],
            )
        if not response.is_success:
            return outcome_for(
                change,
                ok=False,
                http_status=response.status_code,
                message=ANSWERS.error_message(response),
            )
        try:
            saved = response.json()
        except ValueError:
            saved = None
        remote_id = saved.get("id") if isinstance(saved, dict) else None
        if remote_id is None and change.action is Action.UPDATE:
            remote_id = change.payload["id"]
        return outcome_for(change, ok=True, http_status=response.status_code, remote_id=remote_id)


def _listing(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# -- meter types -------------------------------------------------------------------------

TYPE_CREATE_REQUIRES = ("unit", "aggregation")
TYPE_EDITABLE = (
    "externalRef", "unit", "resetSchedule", "category", "activeFrom", "activeTo", "timezone",
)  # fmt: skip
"""Documented: the fields of infozone's "Updating Meter Types" (UI or API). That the API
refuses the others (name, description, aggregation, capacity) is assumed."""


class MeterTypeRow(BaseModel):
    """A meter type, named by its name: created when no meter type has that name."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    id: str | None = Field(
        None,
        description="Meter type id (read only: Usage Engine gives it; export fills it in).",
        examples=["645ed240-02b5-400c-9a3c-21857e8f2ac4"],
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Meter type name: an existing one is updated, a new one created. Required; "
        "cannot be changed.",
        examples=["Pay-Per-Print"],
    )
    description: str | None = Field(
        None,
        description="What it measures. Set when created: the API does not change it.",
        examples=["Sheets printed per customer and month"],
    )
    category: str | None = Field(None, description="Free-text grouping.", examples=["Printing"])
    unit: str | None = Field(
        None, min_length=1, description="Unit counted. Needed to create.", examples=["sheets"]
    )
    aggregation: str | None = Field(
        None,
        min_length=1,
        pattern=r"^[a-z_]+$",
        description="How usage adds up: sum or increment (the types seen in DigitalRoute's "
        "examples). Needed to create; cannot be changed.",
        examples=["sum"],
    )
    resetSchedule: str | None = Field(
        None,
        description="When meters reset, as five cron-like fields: minute hour day month "
        "weekday (day L = the month's last day).",
        examples=["0 0 1 * *"],
    )
    timezone: str | None = Field(
        None, description="IANA time zone of the period boundaries.", examples=["Etc/UTC"]
    )
    activeFrom: str | None = Field(
        None,
        description="Valid from (ISO 8601; without a zone: UTC).",
        examples=["2025-01-15T10:00:00Z"],
        json_schema_extra=MOMENT,
    )
    activeTo: str | None = Field(
        None, description="Valid until (ISO 8601; without a zone: UTC).", json_schema_extra=MOMENT
    )
    externalRef: str | None = Field(None, description="Your own reference.", examples=["PPP-01"])
    capacity: int | None = Field(
        None,
        ge=0,
        description="Capacity of each meter. Set when created: the API does not change it.",
        examples=[10000],
    )

    @field_validator("aggregation", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("resetSchedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = value.split()
        if len(parts) != len(SCHEDULE):
            raise ValueError("five fields: minute hour day month weekday, e.g. 0 0 1 * *")
        return " ".join(parts)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("an IANA time zone such as Etc/UTC or Europe/Paris") from None
        return value

    @field_validator("activeFrom", "activeTo")
    @classmethod
    def _moment(cls, value: str | None) -> str | None:
        if not value:
            return value
        try:
            return canonical_time(value)
        except ValueError:
            raise ValueError("a date and time such as 2025-01-15T10:00:00Z") from None

    @model_validator(mode="after")
    def _name_needed(self) -> MeterTypeRow:
        if not self.name:
            raise ValueError("name is needed: it names the meter type")
        return self


def _renamed(record: Mapping[str, Any], name: str) -> str:
    """A row giving an existing meter type's id with another name: a rename."""
    old = record.get("name")
    return (
        f"name cannot be changed through the API (meter type {record.get('id')} is named "
        f"{old!r}): to make meter type {name!r}, leave its id blank and it is created; to "
        f"update {old!r}, write its name back"
    )


def _type_values(record: Mapping[str, Any]) -> dict[str, Any]:
    aggregation = record.get("aggregation")
    schedule = record.get("resetSchedule")
    return {
        "id": _text(record.get("id")),
        "name": _text(record.get("name")),
        "description": _text(record.get("description")),
        "category": _text(record.get("category")),
        "unit": _text(record.get("unit")),
        "aggregation": _text(aggregation.get("type")) if isinstance(aggregation, dict) else None,
        "resetSchedule": " ".join(str(schedule.get(k, "*")) for k in SCHEDULE)
        if isinstance(schedule, dict)
        else None,
        "timezone": _text(record.get("timezone")),
        "activeFrom": _live_time(record.get("activeFrom")),
        "activeTo": _live_time(record.get("activeTo")),
        "externalRef": _text(record.get("externalRef")),
        "capacity": record.get("capacity"),
    }


def _type_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """Row values → the API's meter type fields."""
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name == "id":
            continue
        if name == "aggregation":
            body[name] = {"type": value}
        elif name == "resetSchedule":
            body[name] = dict(zip(SCHEDULE, str(value).split(), strict=True))
        else:
            body[name] = value
    return body


class UsageEngineMeterTypes(UsageEngineTarget):
    """Meter types, keyed by name. An existing one is updated (see the module notes)."""

    name = "usage-engine.meter-types"
    description = "Usage Engine meter types: unit, aggregation, reset schedule (by name)"
    Row = MeterTypeRow
    key = "name"
    required_columns = ("name",)
    path = METER_TYPES
    editable = TYPE_EDITABLE
    identity = frozenset({"id", "name"})
    kind = "meter type"

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        await self.meter_types(client)  # check() finds a renamed type by its id

    async def _by_name(self, client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
        return {str(t.get("name")): t for t in await self.meter_types(client)}

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        named = await self._by_name(client)
        found: dict[Any, dict[str, Any]] = {}
        for key in keys:
            if key in named:
                self._raw[key] = named[key]
                found[key] = _type_values(named[key])
        return found

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        for record in await self.meter_types(client):
            yield _type_values(record)

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        name = values["name"]
        if live is None:
            problems: list[tuple[str | None, str]] = [
                (f, f"{f} is needed to create meter type {name!r}")
                for f in TYPE_CREATE_REQUIRES
                if values.get(f) in (None, "")
            ]
            ref = values.get("id")
            renamed = [t for t in self._types or [] if ref and t.get("id") == ref]
            if renamed:
                return [("name", _renamed(renamed[0], name))]
            if values.get("id"):
                problems.append(
                    ("id", "Usage Engine gives a new meter type its id: leave it blank")
                )
            return problems
        if values.get("id") and values["id"] != live.get("id"):
            return [("id", f"meter type {name!r} has id {live.get('id')} (the id is read only)")]
        return self.refused_edits(values, live)

    def instead(self, field: str) -> str:
        return f"create a new meter type, under another name, with this {field}"

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        body = _type_body(values)
        if action is Action.CREATE:
            return body
        return self.update_body(key, body)


# -- meters ------------------------------------------------------------------------------

METER_READ_ONLY = frozenset({"id", "accountId", "createdAt", "updatedAt"})
METER_EDITABLE = ("deleteOnReset",)
"""Documented: "Update of Meter supports the update of parameter deleteOnReset" (infozone
"Meters"). Custom fields are not listed: assumed not editable, so a change is refused."""


class MeterKey(NamedTuple):
    """A meter's key: its meter type (an id or a name, as the row gives it), meterKey, userId."""

    meter_type: str
    meter_key: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.meter_key} of user {self.user_id} ({self.meter_type})"


class MeterRow(BaseModel):
    """One customer's meter of a meter type; `custom.<name>` columns are its custom fields
    (set when the meter is created: an update changes deleteOnReset alone)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="allow")

    meterTypeId: str | None = Field(
        None,
        description="Id of the meter type. Give this or meterType.",
        examples=["645ed240-02b5-400c-9a3c-21857e8f2ac4"],
    )
    meterType: str | None = Field(
        None,
        description="Name of the meter type (instead of meterTypeId). Export fills in both.",
        examples=["Pay-Per-Print"],
    )
    meterKey: str | None = Field(
        None,
        min_length=1,
        description="The key of the Meter processor in your stream. Required.",
        examples=["dd11e0a0-1381-11ef-9a8f-cdc91c56d42c"],
    )
    userId: str | None = Field(
        None,
        min_length=1,
        description="The customer the meter counts for. Required.",
        examples=["101"],
    )
    deleteOnReset: bool | None = Field(
        None, description="TRUE: remove the meter when its current period ends."
    )

    @model_validator(mode="after")
    def _identified(self) -> MeterRow:
        missing = [f for f in ("meterKey", "userId") if not getattr(self, f)]
        if not (self.meterTypeId or self.meterType):
            missing.append("meterTypeId or meterType")
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise ValueError(f"{' and '.join(missing)} {verb} needed: they identify the meter")
        return self


class UsageEngineMeters(UsageEngineTarget):
    """Meters, keyed by (meter type, meterKey, userId).

    A row names its meter type by `meterTypeId` or by `meterType` (the type's name);
    `key_of` gives `(meterTypeId or meterType, meterKey, userId)`, and the meter type
    is resolved against the live meter types when planning. Two rows naming the same
    meter, one by type id and one by type name, are not caught as duplicates."""

    name = "usage-engine.meters"
    description = "Usage Engine meters: one per customer per meter type (custom.<name> columns)"
    Row = MeterRow
    key = "meterKey"
    required_columns = ("meterKey", "userId")
    custom_fields = True
    read_only = METER_READ_ONLY
    path = METERS
    editable = METER_EDITABLE
    identity = frozenset({"meterTypeId", "meterType", "meterKey", "userId"})
    kind = "meter"

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self._listed: dict[str, list[dict[str, Any]]] = {}
        """Meter type id → every meter of that type (when worth listing)."""

    @classmethod
    def key_of(cls, values: Mapping[str, Any]) -> Any:
        parts = (
            values.get("meterTypeId") or values.get("meterType"),
            values.get("meterKey"),
            values.get("userId"),
        )
        return MeterKey(*map(str, parts)) if all(parts) else None

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        await self.meter_types(client)

    def type_id(self, ref: Any) -> str | None:
        """The id of the meter type a row names (by id or by name), None if unknown."""
        types = self._types or []
        for record in types:
            if record.get("id") == ref:
                return str(ref)
        named = [r for r in types if r.get("name") == ref]
        return str(named[0]["id"]) if len(named) == 1 else None

    def _type_name(self, type_id: Any) -> str | None:
        return next(
            (_text(t.get("name")) for t in self._types or [] if t.get("id") == type_id), None
        )

    def _project(self, record: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "meterTypeId": _text(record.get("meterTypeId")),
            "meterType": self._type_name(record.get("meterTypeId")),
            "meterKey": _text(record.get("meterKey")),
            "userId": _text(record.get("userId")),
            "deleteOnReset": bool(record.get("deleteOnReset", False)),
        }
        values.update(custom_fields.live_values(record, _text))
        return values

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        await self.meter_types(client)
        by_type: dict[str, list[MeterKey]] = {}
        for key in keys:
            type_id = self.type_id(key[0])
            if type_id is not None:  # an unknown type: check() says so
                by_type.setdefault(type_id, []).append(MeterKey(*key))
        found: dict[Any, dict[str, Any]] = {}
        for type_id, type_keys in by_type.items():
            if type_id not in self._listed and len(type_keys) > BY_KEY_LIMIT:
                self._listed[type_id] = await list_all(
                    client, METERS, "meters", {"meterTypeId": type_id}
                )
            for key in type_keys:
                _, meter_key, user_id = key
                if type_id in self._listed:
                    candidates = self._listed[type_id]
                else:
                    params = {"meterTypeId": type_id, "meterKey": str(meter_key)}
                    candidates = await list_all(client, METERS, "meters", params)
                for record in candidates:
                    same_meter = _text(record.get("meterKey")) == meter_key
                    if same_meter and _text(record.get("userId")) == user_id:
                        self._raw[key] = record
                        found[key] = self._project(record)
                        break
        return found

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        await self.meter_types(client)
        for record in await list_all(client, METERS, "meters"):
            yield self._project(record)

    async def export_extra_headers(self, client: httpx.AsyncClient) -> list[str]:
        return custom_fields.columns_in(await list_all(client, METERS, "meters"))

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        type_id, name = values.get("meterTypeId"), values.get("meterType")
        if type_id and self.type_id(type_id) is None:
            return [("meterTypeId", f"no Usage Engine meter type has id {type_id!r}")]
        if name and not type_id:
            count = sum(1 for t in self._types or [] if t.get("name") == name)
            if count != 1:
                many = "no Usage Engine meter type is" if not count else f"{count} meter types are"
                return [("meterType", f"{many} named {name!r}")]
        if type_id and name and self._type_name(type_id) != name:
            return [("meterType", f"meter type {type_id} is named {self._type_name(type_id)!r}")]
        return [] if live is None else self.refused_edits(values, live)

    def instead(self, field: str) -> str:
        return f"delete the meter in Usage Engine and create it again with this {field}"

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        _, custom = custom_fields.split(values)
        if action is Action.CREATE:
            ref = values.get("meterTypeId") or values.get("meterType")
            body: dict[str, Any] = {
                "userId": values["userId"],
                "meterKey": values["meterKey"],
                "meterTypeId": self.type_id(ref) or ref,
            }
            if values.get("deleteOnReset") is not None:
                body["deleteOnReset"] = values["deleteOnReset"]
            if custom:
                body[custom_fields.RECORD_KEY] = custom
            return body
        # Plan sends only changed fields, and check() refuses all but the editable ones.
        changes = {f: values[f] for f in self.editable if f in values}
        return self.update_body(MeterKey(*key), changes)
