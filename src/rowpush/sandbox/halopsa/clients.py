"""The Client kind (Halo schema ``Area``), served at ``/api/Client`` with envelope ``clients``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rowpush.sandbox.halopsa.schema import EntityKind, FieldSpec, Lookup
from rowpush.sandbox.halopsa.seed import CLIENT_CUSTOM_FIELDS, TAX_CODES, TOP_LEVELS

TAX_CODE = Lookup("Tax code", TAX_CODES)
TOP_LEVEL = Lookup("Top level", TOP_LEVELS)
TAX_FIELDS = ("item_tax_code", "service_tax_code", "prepay_tax_code", "contract_tax_code")

CLIENT_FIELDS = (
    FieldSpec("name", "str", nullable=False, required=True),
    FieldSpec("toplevel_id", "int", nullable=False, lookup=TOP_LEVEL, twin="toplevel_name"),
    FieldSpec("inactive", "bool", nullable=False),
    FieldSpec("colour", "str"),
    # Taken on trust, as before sites were emulated: checking it would change clients.
    FieldSpec("main_site_id", "int"),
    *(FieldSpec(name, "int", lookup=TAX_CODE, twin=f"{name}_name") for name in TAX_FIELDS),
    FieldSpec("accountsid", "str"),
    FieldSpec("is_vip", "bool", nullable=False),
    FieldSpec("website", "str"),
    FieldSpec("phonenumber", "str"),
    FieldSpec("notes", "str"),
)

# The list shape in the API notes' example; a GET by id returns the whole record.
CLIENT_SUMMARY = (
    "id",
    "name",
    "toplevel_id",
    "toplevel_name",
    "inactive",
    "colour",
    "main_site_id",
    "item_tax_code",
    "service_tax_code",
)


def client_kind(
    next_site_id: Callable[[], int],
    on_create: Callable[[dict[str, Any]], None] | None = None,
) -> EntityKind:
    """The Client declaration; a new client gets its own main site id, as Halo creates one
    (``on_create`` may create that site)."""

    def defaults() -> dict[str, Any]:
        return {
            "toplevel_id": 1,
            "inactive": False,
            "colour": None,
            "main_site_id": next_site_id(),
            **dict.fromkeys(TAX_FIELDS),
            "accountsid": None,
            "is_vip": False,
            "website": None,
            "phonenumber": None,
            "notes": "",
        }

    return EntityKind(
        name="Client",
        path="client",
        envelope="clients",
        fields=CLIENT_FIELDS,
        summary=CLIENT_SUMMARY,
        defaults=defaults,
        search=("name",),
        default_order="name",
        int_filters={"toplevel_id": "toplevel_id"},
        inactive_field="inactive",
        custom_fields=CLIENT_CUSTOM_FIELDS,
        read_scopes=frozenset({"all", "all:standard", "read:customers", "edit:customers"}),
        edit_scopes=frozenset({"all", "all:standard", "edit:customers"}),
        on_create=on_create,
    )
