"""The Asset kind (Halo schema ``Device``) at ``/api/Asset``, envelope ``assets``."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.halopsa.schema import EntityKind, FieldSpec, Lookup, Note
from rowpush.sandbox.halopsa.seed_entities import (
    ASSET_CUSTOM_FIELDS,
    ASSET_STATUSES,
    ASSET_TYPES,
    Records,
)
from rowpush.sandbox.halopsa.sites import client_lookup, place_on_site, site_lookup
from rowpush.sandbox.options import SandboxOptions

ASSET_TYPE = Lookup("Asset type", ASSET_TYPES)
ASSET_STATUS = Lookup("Asset status", ASSET_STATUSES)

ASSET_SUMMARY = (
    "id",
    "inventory_number",
    "key_field",
    "assettype_id",
    "assettype_name",
    "status_id",
    "client_id",
    "client_name",
    "site_id",
    "site_name",
    "inactive",
)


def asset_kind(clients: Records, sites: Records) -> EntityKind:
    """The Asset declaration; ``clients`` and ``sites`` are the live records it points into."""
    fields = (
        FieldSpec("inventory_number", "str"),
        FieldSpec("key_field", "str"),
        FieldSpec("key_field2", "str"),
        FieldSpec("key_field3", "str"),
        FieldSpec(
            "assettype_id",
            "int",
            nullable=False,
            lookup=ASSET_TYPE,
            twin="assettype_name",
            required=True,
        ),
        FieldSpec("status_id", "int", nullable=False, lookup=ASSET_STATUS),
        FieldSpec(
            "client_id", "int", nullable=False, lookup=client_lookup(clients), twin="client_name"
        ),
        FieldSpec("site_id", "int", nullable=False, lookup=site_lookup(sites), twin="site_name"),
        FieldSpec("inactive", "bool", nullable=False),
    )

    def defaults() -> dict[str, Any]:
        return {"status_id": 1, "inactive": False}

    def prepare(
        current: dict[str, Any] | None,
        changes: dict[str, Any],
        options: SandboxOptions,
        note: Note,
    ) -> None:
        place_on_site("Asset", clients, sites, current, changes, options, note)

    return EntityKind(
        name="Asset",
        path="asset",
        envelope="assets",
        fields=fields,
        summary=ASSET_SUMMARY,
        defaults=defaults,
        search=("inventory_number", "key_field", "key_field2"),
        default_order="id",
        int_filters={
            "client_id": "client_id",
            "site_id": "site_id",
            "assettype_id": "assettype_id",
        },
        inactive_field="inactive",
        custom_fields=ASSET_CUSTOM_FIELDS,
        read_scopes=frozenset({"all", "all:standard", "read:assets", "edit:assets"}),
        edit_scopes=frozenset({"all", "all:standard", "edit:assets"}),
        prepare=prepare,
    )
