"""Declarations of Halo record kinds: fields, lookups, list behaviour.

Adding a kind (Site, Users, Asset) means writing one ``EntityKind`` like ``clients.CLIENT``
and registering it in ``api.KINDS``; the collection, listing and routes are generic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FieldKind = Literal["int", "str", "bool"]


@dataclass(frozen=True)
class Lookup:
    """A table of ids a field must point into, e.g. tax codes; ``label`` names it in errors."""

    label: str
    names: Mapping[int, str]


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
