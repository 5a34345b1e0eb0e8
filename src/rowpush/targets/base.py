"""The target contract: the manual for whoever adds a target.

A *target* is one kind of record on one API (`halopsa.clients`, `m3ter.meters`, …).
Adding one means writing one declarative module with a `Target` subclass; the engine
needs no change. An `Api` is a connection kind: how to authenticate, where the API
lives, how fast it may be called.

What a target declares:

- `name`, `api`, `description`;
- `Row`: a pydantic model. Each field's alias (or name) is the spreadsheet header,
  its description the template's header note, `Literal` types and booleans become
  dropdowns, `examples` go into the note. Every field is optional: a blank cell
  means "leave as is". Cross-field rules (say, a name is needed to create) are
  model validators;
- `key`: the field that identifies the remote record (None for append-only targets),
  and `create_missing`: whether a key no live record has is a create (a key the sheet
  chooses: a code, a login) or an error (an id the API assigns);
- `fetch_live(client, keys, fields)`: the live record of each key, as Row field
  values, for plan; `iter_live(client, fields)`: every live record, for export.
  `fields` names the Row fields the caller needs, so a target may pick a cheaper
  read when the API's list answers carry only some fields;
- `send(client, batch)`: send a batch of planned changes and return one `Outcome`
  per change, read from the response (per row wherever the API says so);
- `batch_size` (and `batch_bytes`): how much one request may carry;
- optionally `load_reference(client)` (say, the live meters a measurement must name)
  and `check(values, live)`, the row errors found against it and the row's live record;
- what `revert` may do: `revert_creates` (the cells that retire a created record) or
  `not_revertible` (why it cannot undo this target at all).

Plan is the same for every target (engine/plan.py): rows stream a chunk at a time, a
key seen twice is an error on the later row, a value is compared with the live one as
its column's type (`same`), and only the fields that differ are sent. Only a record
spread over several rows (`group_rows`) is planned by the target itself (`plan_group`).

A target instance lives for one run and is given its connection (`self.conn`), so
it may read its API's typed settings (an org id, a default contract, a timezone):
`ORANGE.settings(self.conn).contract_id`.
"""

from __future__ import annotations

import asyncio
import difflib
import enum
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel

from rowpush.errors import BadInput, ConfigError, a_or_an
from rowpush.model import Action, Change, Outcome, Status, now
from rowpush.sheets.formats import kind_of
from rowpush.sheets.table import ColumnSpec
from rowpush.targets import custom_fields
from rowpush.targets.compare import same_value
from rowpush.targets.wire import json_size, wire_of

T = TypeVar("T")
SettingsT = TypeVar("SettingsT", bound="ConnectionSettings")

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection, ConnectionSettings

__all__ = [
    "DAY",
    "MOMENT",
    "Api",
    "ExportOptions",
    "GroupPlan",
    "Lookup",
    "Target",
    "field_choices",
    "gather_all",
    "outcome_for",
]


@dataclass
class GroupPlan:
    """A target's plan for a record spread over several rows (see `Target.group_rows`)."""

    action: Action
    fields: dict[str, tuple[Any, Any]]
    payload: dict[str, Any]
    problems: list[tuple[int, str | None, str]]
    """(row, field or None, problem): any makes every row of the record invalid."""


@dataclass(frozen=True)
class Lookup:
    """What a live lookup tells about a create whose answer was lost."""

    known: bool
    """False: this target cannot tell whether the record exists."""
    remote_id: str | None = None
    """The record the create made; None when it was not made (and `known`)."""


CANNOT_TELL = Lookup(known=False)


@dataclass(frozen=True)
class ExportOptions:
    """What `export` was asked for beyond the target: a period, a folder for files."""

    start: datetime | None = None
    end: datetime | None = None
    download: Path | None = None


class Api(ABC, Generic[SettingsT]):
    """A connection kind: auth flow, base URL, default rate limit, extra headers, and
    `Settings`, the model of what its connections may hold."""

    name: ClassVar[str]
    description: ClassVar[str]
    Settings: type[SettingsT]
    """The pydantic model of this API's connection settings (`ConnectionSettings` and its
    own fields, each with a docstring: the README's settings reference is made from it)."""
    default_rate: ClassVar[str]
    """Requests per window, e.g. "1/s" or "300/5min" (overridable per connection)."""

    retry_statuses: ClassVar[frozenset[int] | None] = None
    """HTTP statuses worth retrying on this API (None: the default set). An API whose
    409 means "version conflict" drops 409: resending cannot fix it."""

    def settings(self, conn: Connection) -> SettingsT:
        """`conn`'s settings checked against `Settings` (parsed once per connection): an
        unknown key, a missing required one or a wrong value is a `ConfigError`. `auth`
        reads them, so `connect` stops on a bad setting before any request."""
        self.check_api(conn)
        return conn.typed(self.Settings)

    def check_api(self, conn: Connection) -> None:
        """Refuse a connection of another API, or of an API rowpush does not know."""
        if conn.api != self.name:
            raise _wrong_api(conn, self)

    def base_url(self, conn: Connection) -> str:
        """The connection's `base_url`, else the API's default. Only the settings every
        connection has are read here: apply records this address in its journal before
        connecting, and a bad API setting must not fail it half-written."""
        url = conn.base_url or self.default_base_url
        if not url:
            raise conn.missing("base_url", f"the address of your {self.description} instance")
        return url.rstrip("/")

    @property
    def default_base_url(self) -> str | None:
        """The default of `Settings.base_url` (None where each connection must say)."""
        default = self.Settings.model_fields["base_url"].default
        return default if isinstance(default, str) else None

    @abstractmethod
    def auth(self, conn: Connection) -> httpx.Auth:
        """The httpx.Auth that signs every request of this connection."""

    def is_throttled(self, response: httpx.Response) -> bool:
        """Besides 429, whether an answer means "slow down" (Orange: 403 with code 53):
        such an answer pauses the connection and is retried like a 429."""
        return False

    def headers(self, conn: Connection) -> dict[str, str]:
        """Extra headers sent on every call (none by default)."""
        return {}


def _wrong_api(conn: Connection, api: Api[Any]) -> ConfigError:
    """A connection of another API, or of an API rowpush does not know (naming the
    closest it knows)."""
    known = sorted(_api_names())
    if conn.api in known:
        return ConfigError(
            f'{conn.where} has api = "{conn.api}"; this needs {a_or_an(api.name)} connection.',
            hint=f'Use a connection whose api is "{api.name}".',
        )
    close = difflib.get_close_matches(conn.api, known, n=len(known))
    if api.name in close:  # among the near names, the one this target needs
        close = [api.name]
    guess = f" (did you mean '{close[0]}'?)" if close else ""
    return ConfigError(
        f"{conn.where}: unknown api '{conn.api}'{guess}.",
        hint=f"The APIs: {', '.join(known)} (see `rowpush targets`).",
    )


def _api_names() -> set[str]:
    """The name of every Api class defined (the registry imports every target module)."""
    names: set[str] = set()
    todo: list[type[Api[Any]]] = list(Api.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "name" in vars(cls):
            names.add(cls.name)
    return names


class Target(ABC):
    """One kind of record on one API. Subclass it, declare, and register it."""

    name: ClassVar[str]
    api: ClassVar[Api[Any]]
    description: ClassVar[str]
    Row: ClassVar[type[BaseModel]]
    key: ClassVar[str | None] = None
    """Row field naming the remote record; None for append-only targets."""
    label: ClassVar[str | None] = None
    """Row field that names a record for people (shown in plans), e.g. "name"."""
    required_columns: ClassVar[tuple[str, ...]] = ()
    """Headers a sheet must have (beyond that, any subset of columns will do)."""
    batch_size: ClassVar[int] = 100
    """Most changes one request may carry."""
    live_chunk: ClassVar[int] = 100
    """How many keys plan asks `fetch_live` for at a time."""
    export_only: ClassVar[bool] = False
    """Only `export` works; plan and apply refuse (e.g. usage reports)."""
    create_missing: ClassVar[bool] = False
    """A key with no live record is a create (keys people choose: a code, a login, a
    name); otherwise it is an error (ids the API assigns). A row without a key is
    always a create."""
    batch_bytes: ClassVar[int | None] = None
    """Most bytes of serialized payloads one request may carry (None: no cap); each
    payload weighs `payload_size` plus one byte for the separator before it."""

    @staticmethod
    def payload_size(payload: Mapping[str, Any]) -> int:
        """The exact bytes a payload takes on the wire, as `send` encodes it (compact
        UTF-8 JSON, targets/wire.py): what the byte cap is measured in."""
        return json_size(payload)

    def weigh(self, change: Change) -> int:
        """`payload_size` of a change's payload, read off its one encoding (`wire_of`)
        unless the target measures payloads its own way."""
        if type(self).payload_size is Target.payload_size:
            return len(wire_of(change))
        return self.payload_size(change.payload)

    revert_creates: ClassVar[tuple[tuple[str, str], ...]] = ()
    """What `rowpush revert` writes to retire a record the run created, as cells (header,
    value), e.g. (("inactive", "TRUE"),); empty: revert leaves created records in place
    and lists them."""
    not_revertible: ClassVar[str | None] = None
    """Why `rowpush revert` cannot undo this target's changes (None: it sets updated
    fields back to their old values). Targets without a key are never revertible."""

    group_rows: ClassVar[bool] = False
    """Rows sharing a key are one record (a meter and its data fields, a row each):
    plan gathers them and asks `plan_group`. The whole sheet is held while planning."""

    def __init__(self, conn: Connection | None = None) -> None:
        self.conn = conn
        if conn is not None:
            self.api.check_api(conn)  # names the closest API when `api =` is misspelt

    # -- declared shape ---------------------------------------------------------------

    @classmethod
    def headers(cls) -> list[str]:
        """The spreadsheet headers, in template order."""
        return [info.alias or name for name, info in cls.Row.model_fields.items()]

    @classmethod
    def field_of_header(cls) -> dict[str, str]:
        """Header (as declared) → Row field name."""
        return {info.alias or name: name for name, info in cls.Row.model_fields.items()}

    @classmethod
    def columns(cls) -> list[ColumnSpec]:
        """Template columns derived from the Row model."""
        specs: list[ColumnSpec] = []
        for name, info in cls.Row.model_fields.items():
            example = info.examples[0] if info.examples else None
            specs.append(
                ColumnSpec(
                    header=info.alias or name,
                    description=info.description or "",
                    choices=field_choices(info.annotation),
                    example=None if example is None else str(example),
                    required=(info.alias or name) in cls.required_columns,
                    kind=kind_of(info.annotation, _schema_extra(info.json_schema_extra)),
                )
            )
        return specs

    custom_fields: ClassVar[bool] = False
    """Records carry a `customFields` object, one `custom.<name>` column per field
    (targets/custom_fields.py); the Row model must allow extras."""

    @classmethod
    def extra_field(cls, header: str) -> str | None:
        """A column beyond the Row's declared fields that this target accepts (the
        `custom.<name>` columns of `custom_fields`), as the name its value goes under in
        the Row model's extras; None for an unknown column."""
        return custom_fields.column_for(header) if cls.custom_fields else None

    async def export_extra_headers(self, client: httpx.AsyncClient) -> list[str]:
        """Extra columns an export should carry (e.g. the custom fields in use)."""
        return []

    @classmethod
    def key_of(cls, values: Mapping[str, Any]) -> Any:
        """The key of a row given its field values (None when absent: a create)."""
        return values.get(cls.key) if cls.key else None

    # -- live state -------------------------------------------------------------------

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        """The live record of each key that exists, as Row field name → value.

        Only `fields` need be right; the others may be missing. Every target that is
        not `export_only` declares it (checked when the class is defined)."""
        raise TypeError(f"{self.name} can only be exported: it has no live records by key")

    not_exported: ClassVar[str | None] = None
    """Why `export` cannot read this target (None: it can: declare `iter_live`)."""

    def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        """Every live record, as Row field name → value (for export); `fields` as above.
        A target that cannot be read back leaves it out and says why in `not_exported`."""
        raise BadInput(
            f"{self.name} cannot be exported ({self.not_exported or 'no list to read'}).",
            hint=f"Use `rowpush template {self.name}` for an empty sheet.",
        )

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        """Read what `check` needs, once before planning (nothing by default)."""
        return

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        """Why a valid row cannot be planned, as (field or None, problem): checked against
        reference data (`load_reference`) and the row's live record (`live`; None for a
        new record or a target without keys). The one hook for checks against live state;
        compare values with `same`, the rule plan itself uses."""
        return []

    @classmethod
    def same(cls, field: str, new: Any, old: Any) -> bool:
        """Whether a sheet value of `field` equals the live one, compared as the column's
        type (see targets/compare.py): the one equality rule of plan."""
        return same_value(cls.Row, field, new, old)

    # -- writing ----------------------------------------------------------------------

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """What to send for one row: the changed fields (plus the key for an update)."""
        body = dict(values)
        if action is Action.UPDATE and self.key:
            body[self.key] = key
        return body

    def payload_wire(
        self, action: Action, key: Any, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bytes | None]:
        """`payload`, with its wire bytes (exactly `json_bytes` of it) when the target
        encodes them as it builds it; None: the engine encodes it once (`wire_of`)."""
        return self.payload(action, key, values), None

    payload_of_python: ClassVar[bool] = False
    """`payload` takes the Row's Python values (a datetime as a datetime) as well as
    their JSON form, and changes none: plan then dumps each row once, not twice."""

    def plan_group(
        self, rows: Sequence[tuple[int, Mapping[str, Any]]], live: Mapping[str, Any] | None
    ) -> GroupPlan:
        """Merge the rows (row number, field values) of one record and diff it with its
        live state (None: it does not exist). Only for targets with `group_rows`."""
        raise NotImplementedError(f"{self.name} does not group rows")

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        """Send one batch; one Outcome per change, in the batch's order. Every target
        that is not `export_only` declares it (checked when the class is defined)."""
        raise TypeError(f"{self.name} can only be exported: it sends nothing")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A writable target without its own reads or writes would fail mid-run: say so
        # where it is declared. (An abstract helper base declares no `name` yet.)
        if "name" not in vars(cls) or cls.export_only:
            return
        needed = ("send", "fetch_live") if cls.key else ("send",)
        missing = [m for m in needed if getattr(cls, m) is getattr(Target, m)]
        if missing:
            raise TypeError(
                f"target {cls.name} is not export_only, so it must define {', '.join(missing)}"
            )

    async def existing_creates(
        self, client: httpx.AsyncClient, creates: Sequence[Change]
    ) -> dict[int, str]:
        """Before a plan offers creates without a key: the rows whose record already
        exists (row → its remote id), found by a natural key. Sending such a row would
        make a second record, so plan refuses it. The default knows of none."""
        return {}

    idempotent_creates: ClassVar[bool] = False
    """Sending the same create twice makes one record (measurements carry a uid), so a
    create whose answer was lost is simply sent again."""
    content_id: ClassVar[str | None] = None
    """The payload field that names a create by its content (m3ter's `uid`): the row's
    remote id, known from the plan."""

    @classmethod
    def batched_journal(cls) -> bool:
        """Whether an apply journals this target's creates a batch at a time rather than a
        row at a time: appends without a key, each harmless to send again
        (engine/journal.py)."""
        return cls.idempotent_creates and cls.key is None and not cls.group_rows

    async def send_appends(
        self, client: httpx.AsyncClient, array: bytes, count: int
    ) -> Outcome | None:
        """A target with `batched_journal`: send a batch of `count` creates, given as the
        JSON array of their payloads (`json_array` of their wire encodings), in one
        request, and return the outcome every row of it shares (its `row` is not read).
        None: send this batch as changes instead (`send`), e.g. one over a cap the target
        halves. The default always says None."""
        return None

    def encode_appends(
        self, columns: Mapping[str, Sequence[Any]], count: int
    ) -> Sequence[tuple[bytes, str | None] | None] | None:
        """A target with `batched_journal`: plan `count` rows typed a column at a time
        (`columns`: field name → the column's values, none blank, in the Row model's
        order) as apply's bulk lane does (engine/appends.py), without an object per row:
        each row's create as (wire bytes, planned id), exactly what `plan_typed` and
        `planned_id` make of it; None for a row that is not plainly a create (`check`
        refuses it, or its encoding needs the general path): it is planned on its own.
        None for all: no such encoder here (the default); the rows are planned one by one."""
        return None

    def planned_id(self, change: Change) -> str | None:
        """The remote id a create will have, known before it is sent (`content_id`)."""
        if self.content_id is None:
            return None
        found = change.payload.get(self.content_id)
        return None if found is None else str(found)

    async def find_created(self, client: httpx.AsyncClient, change: Change) -> Lookup:
        """After a create without a key lost its answer: did it make a record?

        Targets keyed by an id the API assigns override this with a lookup by a
        natural key (a name, a login). The default cannot tell, and the row ends
        `unknown` rather than risk a duplicate.
        """
        return CANNOT_TELL

    async def find_created_many(
        self, client: httpx.AsyncClient, changes: Sequence[Change]
    ) -> list[Lookup]:
        """`find_created` for each change, in order: what settling asks when many creates
        lost their answers. The default looks each one up (concurrently, within the
        connection's rate); a target that can read many records at once (a paged list,
        one search for the batch) overrides it, so settling costs a few requests, not
        one per row."""
        return await gather_all(self.find_created(client, c) for c in changes)


async def gather_all(coros: Iterable[Awaitable[T]]) -> list[T]:
    """Await all, in order; on the first failure the others are cancelled (not left
    running against a refused token) and that failure is raised as itself."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(c)) for c in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


def outcome_for(
    change: Change,
    *,
    ok: bool,
    http_status: int | None,
    message: str = "",
    remote_id: Any = None,
) -> Outcome:
    """The Outcome of one change: created/updated on success, failed otherwise."""
    if ok:
        status = Status.CREATED if change.action is Action.CREATE else Status.UPDATED
    else:
        status = Status.FAILED
    rid = None if remote_id is None else str(remote_id)
    return Outcome(change.row, status, http_status, message, rid, now())


#: `json_schema_extra` of a text field holding a moment (date and time) as ISO text:
#: templates and exports write its cells as real date-time cells.
MOMENT: dict[str, Any] = {"format": "date-time"}
#: Likewise for a text field holding a day.
DAY: dict[str, Any] = {"format": "date"}


def _schema_extra(extra: object) -> Mapping[str, Any] | None:
    return extra if isinstance(extra, Mapping) else None  # a callable extra says nothing


def field_choices(annotation: Any) -> list[str] | None:
    """Dropdown values for a field type: Literal members, enum values, or TRUE/FALSE."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return field_choices(inner[0]) if len(inner) == 1 else None
    if origin is Literal:
        return [str(a) for a in args]
    if annotation is bool:
        return ["TRUE", "FALSE"]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    return None
