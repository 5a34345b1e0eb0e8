"""Declarations of Halo record kinds: fields, lookups, list behaviour.

Adding a kind means writing one ``EntityKind`` factory like ``clients.client_kind`` and
building its collection in ``HaloState.reset``; the collection, listing and routes are
generic. Kinds that point at other kinds (a Site's ``client_id``) use a live ``Lookup``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rowpush.sandbox.options import SandboxOptions

FieldKind = Literal["int", "str", "bool", "address"]

ADDRESS_KEYS = ("line1", "line2", "line3", "line4", "postcode")
"""Keys of an address object (Halo schema ``AddressStore``); every value a string or null."""

Note = Callable[[str], None]
"""Adds a remark to the request log entry of the request being handled."""

Prepare = Callable[[dict[str, Any] | None, dict[str, Any], "SandboxOptions", Note], None]
"""Cross-field checks of one posted object: (the record it updates, or None when creating;
its checked changes; options; note). It may add derived values to the changes, or raise
``HaloError``; it runs before anything in the POST is written."""


@dataclass(frozen=True)
class Lookup:
    """A table of ids a field must point into, e.g. tax codes; ``label`` names it in errors."""

    label: str
    names: Mapping[int, str]
    live: bool = False
    """The table is another kind's live records (``RecordNames``): twins are refreshed on
    every read, so renaming a client shows on its sites at once."""


class RecordNames(Mapping[int, str]):
    """The ``name`` of each live record of another kind, by id, for a live ``Lookup``."""

    def __init__(self, records: Mapping[int, Mapping[str, Any]], field: str = "name") -> None:
        self._records = records
        self._field = field

    def __getitem__(self, key: int) -> str:
        return str(self._records[key].get(self._field) or "")

    def __iter__(self) -> Iterator[int]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records


@dataclass(frozen=True)
class FieldSpec:
    """One writable field of a record."""

    name: str
    kind: FieldKind
    nullable: bool = True
    lookup: Lookup | None = None
    """The value must be null or an id in this table."""
    twin: str | None = None
    """Read-only field holding the looked-up name (``item_tax_code_name``); server-computed."""
    required: bool = False
    """Must be present (and, for strings, non-blank) when creating."""


@dataclass(frozen=True)
class CustomFieldDef:
    """A custom field defined on the tenant. Halo types: 0 text, 4 date."""

    id: int
    name: str
    label: str
    type: int = 0

    def blank(self) -> dict[str, Any]:
        """The field as a record carries it before any value is set."""
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "value": None,
        }


@dataclass(frozen=True)
class EntityKind:
    """Everything generic code needs to serve one Halo record kind under ``/api/{path}``."""

    name: str
    """Singular, as in messages: "Client"."""
    path: str
    """Lower-case path segment: "client"."""
    envelope: str
    """List envelope key: "clients"."""
    fields: tuple[FieldSpec, ...]
    summary: tuple[str, ...]
    """Fields a list returns per record (a GET by id returns all)."""
    defaults: Callable[[], dict[str, Any]]
    """Field values of a newly created record before the posted ones are applied."""
    search: tuple[str, ...] = ("name",)
    """Fields ``search=`` matches, case-insensitive substring."""
    default_order: str = "name"
    int_filters: Mapping[str, str] = field(default_factory=dict)
    """Query parameter -> field it filters on by equality (``toplevel_id``)."""
    inactive_field: str | None = "inactive"
    """The flag ``includeinactive``/``includeactive`` look at; None if the kind has none."""
    custom_fields: tuple[CustomFieldDef, ...] = ()
    read_scopes: frozenset[str] = frozenset({"all"})
    """Any one of these token scopes allows GET."""
    edit_scopes: frozenset[str] = frozenset({"all"})
    """Any one of these token scopes allows POST."""
    max_page_size: int | None = None
    """Largest ``page_size`` honoured (Tickets: 100); None: no cap."""
    prepare: Prepare | None = None
    """Cross-field checks and derived values of a posted object (a User's site and client)."""
    on_create: Callable[[dict[str, Any]], None] | None = None
    """Called with each newly created record once saved (a new Client creates its main Site)."""
    doubles: frozenset[str] = frozenset()
    """Fields Halo's OpenAPI schema types `number/double` (``Site.client_id``,
    ``Users.site_id``): answered as ``12.0``, as real Halo writes them."""

    def as_sent(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record as Halo puts it on the wire: its `doubles` as floats."""
        return {
            name: float(value)
            if name in self.doubles and isinstance(value, int) and not isinstance(value, bool)
            else value
            for name, value in record.items()
        }

    def field(self, name: str, *, case_insensitive: bool) -> FieldSpec | None:
        """The writable field called ``name``, if any."""
        for spec in self.fields:
            if spec.name == name or (case_insensitive and spec.name.lower() == name.lower()):
                return spec
        return None

    @property
    def read_only(self) -> frozenset[str]:
        """Server-computed fields, ignored on input."""
        return frozenset(spec.twin for spec in self.fields if spec.twin)
