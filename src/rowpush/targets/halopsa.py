"""HaloPSA: clients (more entities follow the same upsert shape).

Facts from ../shared/apis/halopsa.md: OAuth2 client credentials at
`{base}/auth/token` (`?tenant=` on hosted instances), scope `all`; lists are paged
with `pageinate=true&page_size&page_no` into `{"record_count", "clients": [...]}`;
`POST /api/Client` takes an array: an object with an id is a partial update, one
without is a create; the answer is one object for one record, an array for more.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from rowpush.config import Connection, ConnectionSettings
from rowpush.errors import ConnectionFailed, RowpushError
from rowpush.http.auth import ClientCredentials
from rowpush.http.retry import NOT_IDEMPOTENT
from rowpush.model import Action, Change, Outcome
from rowpush.targets.answers import Answers
from rowpush.targets.base import (
    Api,
    ExportOptions,
    Lookup,
    Target,
    gather_all,
    outcome_for,
)

__all__ = ["HaloClients", "HaloPSA", "HaloSettings"]

PAGE_SIZE = 100
PAGES_IN_FLIGHT = 4
BY_ID_LIMIT = 10
"""Up to this many keys are fetched one by one; more and the whole list is paged once."""


class HaloSettings(ConnectionSettings):
    """A HaloPSA connection: an API application's client id and secret
    (Configuration > Integrations > HaloPSA API)."""

    base_url: str
    """The address of your HaloPSA instance, e.g. "https://acme.halopsa.com"."""
    client_id: str
    """The client id of your HaloPSA API application."""
    client_secret: SecretStr
    """The client secret of that application."""
    auth_url: str | None = None
    """The authorisation server, tokens at {auth_url}/token (default: {base_url}/auth)."""
    tenant: str | None = None
    """Hosted instances: your tenant, sent as ?tenant= with the token request."""
    client_auth: Literal["basic", "body"] = "basic"
    """How the client id and secret go to the token endpoint: a Basic header or the form body."""
    scope: str = "all"
    """The OAuth scope asked for."""


class HaloPSA(Api[HaloSettings]):
    name = "halopsa"
    description = "HaloPSA"
    Settings = HaloSettings
    # Halo limits by a rolling window (300 or 700 per 5 min, 500 per 3 min); the
    # tightest, as a window: a few hundred requests at full speed, and a window rate
    # makes a 429 without Retry-After wait for the window to free (http/transport.py).
    default_rate = "300/5min"

    def auth(self, conn: Connection) -> httpx.Auth:
        settings = self.settings(conn)
        token_url = f"{settings.auth_url or f'{self.base_url(conn)}/auth'}/token"
        if settings.tenant:
            token_url += f"?tenant={settings.tenant}"
        return ClientCredentials(
            token_url=token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            client_auth=settings.client_auth,
            scope=settings.scope,
        )


HALOPSA = HaloPSA()
# Halo's error bodies come in several shapes: plain text or four JSON styles.
ANSWERS = Answers(
    "HaloPSA", error_keys=("Message", "errorMessage", "error_description", "message", "error")
)


def same_id(value: Any) -> Any:
    """One Halo id, however Halo writes it: 12, 12.0 and "12" are all 12.

    Halo's OpenAPI types some ids as `number/double` (`Site.client_id`, `Users.site_id`)
    and real answers carry `"client_id": 12.0` (documented: the vendor's OpenAPI; observed
    in a recorded answer). Every id rowpush compares, keys by or shows goes through here,
    so a site is matched to its client and no one is shown `12.0`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        return int(number) if number.is_finite() and number == int(number) else value
    return value


@functools.cache
def _whole_numbers(row: type[BaseModel]) -> frozenset[str]:
    """The Row fields typed as whole numbers (once per model: asked for every live value)."""
    return frozenset(n for n, f in row.model_fields.items() if f.annotation in (int, int | None))


class HaloTarget(Target):
    """An entity behind Halo's list / get / POST-array-upsert endpoints, keyed by id."""

    api = HALOPSA
    key = "id"
    label = "name"
    required_columns = ("id",)
    batch_size = 100
    endpoint: ClassVar[str]
    """Path under the base URL, e.g. "/api/Client"."""
    envelope: ClassVar[str]
    """Key of the list in a list response, e.g. "clients"."""
    list_params: ClassVar[dict[str, str]] = {}
    scope: ClassVar[str | None] = None
    """The field within which the label names one record (None: the label alone)."""

    def __init__(self, conn: Connection | None = None) -> None:
        super().__init__(conn)
        self._index: dict[Any, dict[str, Any]] | None = None
        """Every record of the list answers, by id (read once per run, when worth it)."""
        self._natural: dict[tuple[str, str], str] | None = None
        """Every live record's natural key → id, read once when a plan has creates."""

    list_fields: ClassVar[frozenset[str]] = frozenset()
    """Row fields a list answer is known to carry. Lists may give summaries: a field
    outside this set is read from the list only where the list's records hold it,
    else from a GET by id."""

    def _project(self, record: dict[str, Any]) -> dict[str, Any]:
        return {name: self._value(name, record.get(name)) for name in self.Row.model_fields}

    def _value(self, name: str, value: Any) -> Any:
        """A live value as the sheet shows it: ids (and whole-number codes) as 12, not 12.0."""
        return same_id(value) if name in _whole_numbers(self.Row) else value

    def _list_carries(self, fields: Collection[str], records: Sequence[dict[str, Any]]) -> bool:
        wanted = set(fields) - self.list_fields
        return all(wanted <= record.keys() for record in records)

    async def _pages(
        self, client: httpx.AsyncClient, *, most: int | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of the list, in order; with `most`, a list of more pages than that, or
        one whose first page does not tell its length, raises `_LongList` after that page
        (the caller has a cheaper or surer way). The first page tells how many there are;
        the others are read `PAGES_IN_FLIGHT` at a time (within the connection's rate):
        a list is latency-bound, 50 pages one after another take 50 round trips."""
        what = f"list {self.envelope}"
        params = {"pageinate": "true", "page_size": str(PAGE_SIZE), **self.list_params}

        async def page(number: int) -> list[dict[str, Any]]:
            answer = await client.get(self.endpoint, params={**params, "page_no": str(number)})
            return ANSWERS.records(ANSWERS.json(answer, what), self.envelope, what)

        answer = await client.get(self.endpoint, params={**params, "page_no": "1"})
        body = ANSWERS.json(answer, what)
        first = ANSWERS.records(body, self.envelope, what)
        if not first:
            return
        yield first
        counted = body.get("record_count") if isinstance(body, dict) else None
        total = int(counted or 0)
        last = -(-total // PAGE_SIZE)
        if most is not None and (
            not isinstance(counted, int) or counted < len(first) or last > most
        ):
            raise _LongList  # a page missed would make a landed create look absent
        for start in range(2, last + 1, PAGES_IN_FLIGHT):
            window = range(start, min(start + PAGES_IN_FLIGHT, last + 1))
            for records in await gather_all(page(n) for n in window):
                if not records:  # the list shrank while it was read
                    return
                yield records

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        async for records in self._pages(client):
            if self._list_carries(fields, records):
                for record in records:
                    yield self._project(record)
                continue
            found = await self._get_many(client, [same_id(r["id"]) for r in records])
            for record in records:
                if same_id(record["id"]) in found:  # deleted since the list: skip it
                    yield found[same_id(record["id"])]

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        if self._index is None and len(keys) <= BY_ID_LIMIT:
            return await self._get_many(client, keys)
        if self._index is None:
            self._index = {same_id(r["id"]): r async for page in self._pages(client) for r in page}
        listed = [self._index[k] for k in keys if k in self._index]
        if not self._list_carries(fields, listed):
            return await self._get_many(client, [same_id(r["id"]) for r in listed])
        return {same_id(r["id"]): self._project(r) for r in listed}

    async def _get_many(
        self, client: httpx.AsyncClient, keys: Sequence[Any]
    ) -> dict[Any, dict[str, Any]]:
        found = await gather_all(self._get(client, k) for k in keys)
        return {k: r for k, r in zip(keys, found, strict=True) if r is not None}

    async def _get(self, client: httpx.AsyncClient, key: Any) -> dict[str, Any] | None:
        response = await client.get(f"{self.endpoint}/{key}")
        if response.status_code == 404:
            return None
        return self._project(ANSWERS.json_object(response, f"get {self.envelope} {key}"))

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        """Post the batch; a create whose record appeared since the plan (another run of
        another sheet made it) is refused here rather than made a second time."""
        taken = await self._created_since_plan(client, batch)
        if not taken:
            return await self._post(client, batch)
        fresh = [c for c in batch if c.row not in taken]
        sent = {o.row: o for o in await self._post(client, fresh)} if fresh else {}
        return [sent[c.row] if c.row in sent else taken[c.row] for c in batch]

    async def _created_since_plan(
        self, client: httpx.AsyncClient, batch: Sequence[Change]
    ) -> dict[int, Outcome]:
        """The creates of `batch` whose natural key a live record has now, as failures."""
        creates = [c for c in batch if c.action is Action.CREATE and self.natural_key(c.payload)]
        if not creates:
            return {}
        try:  # one read of the list for the batch when that is cheaper than a search a row
            found: list[Lookup | None] = list(await self.find_created_many(client, creates))
        except (httpx.HTTPError, RowpushError):
            # the plan checked already, and a failed read must not turn a row that was
            # never sent into a lost answer
            return {}
        taken: dict[int, Outcome] = {}
        for change, lookup in zip(creates, found, strict=True):
            if lookup is not None and lookup.remote_id is not None:
                label = change.payload.get(self.label or "")
                # 409 as the answer HTTP gives a conflict: final, never resent or settled
                taken[change.row] = outcome_for(
                    change,
                    ok=False,
                    http_status=409,
                    message=f"{self.label} {label!r} already exists (id {lookup.remote_id}): "
                    f"it was created after the plan, perhaps by another apply; not created "
                    f"twice. Put {lookup.remote_id} in the id column to update it instead.",
                )
        return taken

    async def _post(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        creates = any(c.action is Action.CREATE for c in batch)
        response = await client.post(
            self.endpoint,
            json=[c.payload for c in batch],
            # a create resent after an unclear failure could be created twice
            extensions=NOT_IDEMPOTENT if creates else {},
        )
        if not response.is_success:
            message = ANSWERS.error_message(response)
            return [
                outcome_for(c, ok=False, http_status=response.status_code, message=message)
                for c in batch
            ]
        try:
            body = response.json()
        except ValueError:
            body = None
        records = _records_of(body, self.envelope)
        if len(records) != len(batch):
            message = (
                f"HaloPSA answered {response.status_code} with {len(records)} record(s) for "
                f"{len(batch)} sent; the outcome of this row is unknown"
            )
            return [
                outcome_for(c, ok=False, http_status=response.status_code, message=message)
                for c in batch
            ]
        return [
            self._outcome(c, record, response.status_code)
            for c, record in zip(batch, records, strict=True)
        ]

    def natural_key(self, record: Mapping[str, Any]) -> tuple[str, str] | None:
        """What names a record for people: its label (client or site name, user email,
        asset inventory number), within its client where `scope` says so (two clients
        may each have a "Head Office" site). None without a label."""
        label = _label_key(record.get(self.label or ""))
        if not label:
            return None
        scope = "" if self.scope is None else str(same_id(record.get(self.scope)) or "")
        return scope, label

    async def _full(
        self, client: httpx.AsyncClient, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """`records` with the fields a natural key needs (a summary list may lack them)."""
        needed = {self.label or "", *([self.scope] if self.scope else [])}
        if all(needed <= r.keys() for r in records):
            return records
        return list((await self._get_many(client, [same_id(r["id"]) for r in records])).values())

    async def existing_creates(
        self, client: httpx.AsyncClient, creates: Sequence[Change]
    ) -> dict[int, str]:
        """Rows with a blank id whose natural key a live record already has: re-applying
        a sheet whose new rows still have blank ids would create them all again."""
        wanted = {c.row: self.natural_key(c.payload) for c in creates}
        if not any(wanted.values()):
            return {}
        if self._natural is None:
            self._natural = {}
            async for page in self._pages(client):
                for record in sorted(
                    await self._full(client, page), key=lambda r: same_id(r["id"])
                ):
                    key = self.natural_key(record)
                    if key:
                        self._natural[key] = str(same_id(record["id"]))  # the newest wins
        found = {row: self._natural.get(key) for row, key in wanted.items() if key}
        return {row: remote for row, remote in found.items() if remote is not None}

    async def find_created(self, client: httpx.AsyncClient, change: Change) -> Lookup:
        """The newest record with the change's natural key, if any (see `natural_key`)."""
        wanted = self.natural_key(change.payload)
        if wanted is None:
            return Lookup(known=False)
        response = await client.get(
            self.endpoint,
            params={
                "search": change.payload[self.label or ""],
                "count": "1000",
                **self.list_params,
            },
        )
        body = ANSWERS.json_object(response, f"search {self.envelope}")
        records = [r for r in body.get(self.envelope) or [] if isinstance(r, dict) and "id" in r]
        same = [
            same_id(r["id"])
            for r in await self._full(client, records)
            if self.natural_key(r) == wanted
        ]
        return Lookup(known=True, remote_id=str(max(same)) if same else None)

    async def find_created_many(
        self, client: httpx.AsyncClient, changes: Sequence[Change]
    ) -> list[Lookup]:
        """Read the list once when that takes fewer requests than a search per change
        (and its pages carry the natural key), else search for each (`find_created`)."""
        wanted = [self.natural_key(c.payload) for c in changes]
        searches = sum(key is not None for key in wanted)
        index = await self._natural_ids(client, most=searches - 1) if searches > 1 else None
        if index is None:
            return await super().find_created_many(client, changes)
        return [
            Lookup(known=False) if key is None else Lookup(known=True, remote_id=index.get(key))
            for key in wanted
        ]

    async def _natural_ids(
        self, client: httpx.AsyncClient, most: int
    ) -> dict[tuple[str, str], str] | None:
        """Every live record's natural key → the newest id with it, from at most `most`
        list pages; None when the list is longer, or its pages lack the natural key (a
        GET per record would cost more than the searches it saves)."""
        needed = {self.label or "", *([self.scope] if self.scope else [])}
        newest: dict[tuple[str, str], Any] = {}
        try:
            async for page in self._pages(client, most=most):
                if not all(needed <= r.keys() for r in page):
                    return None
                for record in page:
                    key, rid = self.natural_key(record), same_id(record["id"])
                    if key and (key not in newest or rid > newest[key]):
                        newest[key] = rid
        except _LongList:
            return None
        return {key: str(rid) for key, rid in newest.items()}

    def _outcome(self, change: Change, record: dict[str, Any], status: int) -> Outcome:
        remote_id = same_id(record.get("id"))
        if change.action is Action.UPDATE and remote_id != change.key:
            return outcome_for(
                change,
                ok=False,
                http_status=status,
                message=f"HaloPSA answered with record {remote_id}, not {change.key}",
            )
        ignored = [
            name
            for name, sent in change.payload.items()
            if name in record and name != "id" and not self.same(name, sent, record[name])
        ]
        message = f"HaloPSA kept a different value for {', '.join(ignored)}" if ignored else ""
        return outcome_for(
            change, ok=True, http_status=status, message=message, remote_id=remote_id
        )


class _LongList(Exception):
    """A list has more pages than the caller would read (see `HaloTarget._pages`)."""


def _label_key(value: Any) -> str:
    """A label as compared for "already exists": trimmed, spaces collapsed, casefolded."""
    return " ".join(value.split()).casefold() if isinstance(value, str) else ""


def _records_of(body: Any, envelope: str) -> list[dict[str, Any]]:
    """The records of an upsert answer: an array, `{envelope: [...]}`, or one record."""
    if isinstance(body, dict) and envelope not in body:
        return [body]
    try:
        return ANSWERS.records(body, envelope, "save")
    except ConnectionFailed:
        return []


class HaloRow(BaseModel):
    """A Halo record as a sheet row: a blank id creates, and creating needs some fields."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")
    create_requires: ClassVar[tuple[str, ...]] = ()
    """Fields a create (blank id) must set."""

    @model_validator(mode="after")
    def _needed_to_create(self) -> HaloRow:
        if getattr(self, "id", None) is None:
            missing = [f for f in self.create_requires if getattr(self, f, None) in (None, "")]
            if missing:
                what = type(self).__doc__ or "record"
                verb = "is" if len(missing) == 1 else "are"
                raise ValueError(
                    f"{' and '.join(missing)} {verb} needed to create a "
                    f"{what.split(':')[0].lower()} (the id is blank)"
                )
        return self


def halo_id(description: str) -> Any:
    return Field(None, ge=1, description=description, examples=[1043])


class ClientRow(HaloRow):
    """Client: a HaloPSA client (Halo calls the schema `Area`)."""

    create_requires = ("name",)

    id: int | None = halo_id("HaloPSA client id. Leave blank to create a new client.")
    name: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="Client name. Required when creating a client.",
        examples=["Northwind Traders"],
    )
    toplevel_id: int | None = Field(
        None, ge=0, description="Id of the client's top level (e.g. Customers).", examples=[1]
    )
    inactive: bool | None = Field(None, description="TRUE to make the client inactive.")
    item_tax_code: int | None = Field(
        None, ge=0, description="Tax code id for items sold to this client.", examples=[1]
    )
    service_tax_code: int | None = Field(
        None, ge=0, description="Tax code id for services.", examples=[1]
    )
    prepay_tax_code: int | None = Field(
        None, ge=0, description="Tax code id for pre-pay (amount of time).", examples=[1]
    )
    contract_tax_code: int | None = Field(
        None, ge=0, description="Tax code id for contracts.", examples=[1]
    )
    accountsid: str | None = Field(
        None,
        max_length=100,
        description="The client's id in your accounting system.",
        examples=["NOR001"],
    )
    is_vip: bool | None = Field(None, description="TRUE for a VIP client.")
    website: str | None = Field(
        None, max_length=255, description="Website address.", examples=["https://northwind.example"]
    )
    notes: str | None = Field(None, description="Free-text notes.")


class SiteRow(HaloRow):
    """Site: a HaloPSA site (a client's location)."""

    create_requires = ("client_id", "name")

    id: int | None = halo_id("HaloPSA site id. Leave blank to create a new site.")
    client_id: int | None = Field(
        None, ge=1, description="Id of the client the site belongs to.", examples=[12]
    )
    name: str | None = Field(
        None, min_length=1, max_length=255, description="Site name.", examples=["Leeds office"]
    )
    phonenumber: str | None = Field(
        None, max_length=100, description="Main phone number.", examples=["+44 113 000 0000"]
    )
    inactive: bool | None = Field(None, description="TRUE to make the site inactive.")


class UserRow(HaloRow):
    """User: a HaloPSA end user (a client's contact)."""

    create_requires = ("client_id", "surname")

    id: int | None = halo_id("HaloPSA user id. Leave blank to create a new user.")
    client_id: int | None = Field(None, ge=1, description="Id of the user's client.", examples=[12])
    site_id: int | None = Field(None, ge=1, description="Id of the user's site.", examples=[30])
    firstname: str | None = Field(None, max_length=255, description="First name.", examples=["Ada"])
    surname: str | None = Field(
        None, min_length=1, max_length=255, description="Surname.", examples=["Lovelace"]
    )
    emailaddress: str | None = Field(
        None, max_length=255, description="Email address.", examples=["ada@northwind.example"]
    )
    inactive: bool | None = Field(None, description="TRUE to make the user inactive.")


class AssetRow(HaloRow):
    """Asset: a HaloPSA asset (a device)."""

    create_requires = ("client_id", "assettype_id")

    id: int | None = halo_id("HaloPSA asset id. Leave blank to create a new asset.")
    client_id: int | None = Field(
        None, ge=1, description="Id of the asset's client.", examples=[12]
    )
    site_id: int | None = Field(None, ge=1, description="Id of the asset's site.", examples=[30])
    assettype_id: int | None = Field(
        None, ge=1, description="Id of the asset type (e.g. Laptop).", examples=[3]
    )
    inventory_number: str | None = Field(
        None, max_length=255, description="Inventory number (asset tag).", examples=["NW-0042"]
    )
    key_field: str | None = Field(
        None,
        max_length=255,
        description="The asset's main identifying field (e.g. a serial).",
        examples=["SN-5CG1234XYZ"],
    )
    status_id: int | None = Field(None, ge=0, description="Asset status id.", examples=[1])


class HaloClients(HaloTarget):
    name = "halopsa.clients"
    description = "HaloPSA clients (customers): tax codes, top level, status, accounts id"
    revert_creates = (("inactive", "TRUE"),)  # revert retires what the run created
    Row = ClientRow
    endpoint = "/api/Client"
    envelope = "clients"
    list_params: ClassVar[dict[str, str]] = {"includeinactive": "true", "includeactive": "true"}
    # What a list answer carries per client (../shared/apis/halopsa.md, the list example).
    list_fields = frozenset(
        {"id", "name", "toplevel_id", "inactive", "item_tax_code", "service_tax_code"}
    )


class HaloSites(HaloTarget):
    name = "halopsa.sites"
    description = "HaloPSA sites (client locations): name, client, phone"
    revert_creates = (("inactive", "TRUE"),)  # revert retires what the run created
    Row = SiteRow
    scope = "client_id"  # each client has its own names
    endpoint = "/api/Site"
    envelope = "sites"
    list_params: ClassVar[dict[str, str]] = {"includeinactive": "true"}


class HaloUsers(HaloTarget):
    name = "halopsa.users"
    description = "HaloPSA end users (contacts): names, email, client and site"
    revert_creates = (("inactive", "TRUE"),)  # revert retires what the run created
    Row = UserRow
    label = "emailaddress"
    scope = "client_id"  # each client has its own names
    endpoint = "/api/Users"
    envelope = "users"
    list_params: ClassVar[dict[str, str]] = {"includeinactive": "true"}


class HaloAssets(HaloTarget):
    name = "halopsa.assets"
    description = "HaloPSA assets (devices): type, inventory number, client and site"
    Row = AssetRow
    label = "inventory_number"
    scope = "client_id"  # each client has its own names
    endpoint = "/api/Asset"
    envelope = "assets"
