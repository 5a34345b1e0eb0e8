"""The Site kind (Halo schema ``Site``) at ``/api/Site``, envelope ``sites``, and the rule
users and assets share: a record sits on a site, and its client is that site's client."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.halopsa.errors import HaloError
from rowpush.sandbox.halopsa.options import NAME, HaloEntityOptions
from rowpush.sandbox.halopsa.schema import EntityKind, FieldSpec, Lookup, Note, RecordNames
from rowpush.sandbox.halopsa.seed_entities import MAIN_SITE_NAME, SITE_CUSTOM_FIELDS, Records
from rowpush.sandbox.options import SandboxOptions

CUSTOMER_READ = frozenset({"all", "all:standard", "read:customers", "edit:customers"})
CUSTOMER_EDIT = frozenset({"all", "all:standard", "edit:customers"})

# Fields of Halo's ``Site_List`` schema that we emulate.
SITE_SUMMARY = ("id", "name", "client_id", "client_name", "inactive", "phonenumber")


def client_lookup(clients: Records) -> Lookup:
    """``client_id`` must name a live client; its twin is ``client_name``."""
    return Lookup("Client", RecordNames(clients), live=True)


def site_lookup(sites: Records) -> Lookup:
    """``site_id`` must name a live site; its twin is ``site_name``."""
    return Lookup("Site", RecordNames(sites), live=True)


def site_fields(clients: Records) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("name", "str", nullable=False, required=True),
        FieldSpec(
            "client_id",
            "int",
            nullable=False,
            lookup=client_lookup(clients),
            twin="client_name",
            required=True,
        ),
        FieldSpec("inactive", "bool", nullable=False),
        FieldSpec("phonenumber", "str"),
        FieldSpec("delivery_address", "address"),
        FieldSpec("invoice_address", "address"),
        FieldSpec("notes", "str"),
    )


def site_kind(clients: Records) -> EntityKind:
    """The Site declaration; ``clients`` are the live client records it points into."""

    def defaults() -> dict[str, Any]:
        return {"inactive": False, "notes": ""}

    def prepare(
        current: dict[str, Any] | None,
        changes: dict[str, Any],
        options: SandboxOptions,
        note: Note,
    ) -> None:
        if (
            current is not None
            and changes.get("client_id", current["client_id"]) != (current["client_id"])
        ):
            # Its users, assets and the client's main_site_id would be left pointing astray.
            raise HaloError(
                400,
                f"Site {current['id']} belongs to client {current['client_id']}; "
                "a site cannot be moved to another client.",
            )

    return EntityKind(
        name="Site",
        path="site",
        envelope="sites",
        fields=site_fields(clients),
        summary=SITE_SUMMARY,
        defaults=defaults,
        search=("name", "client_name"),
        default_order="name",
        int_filters={"client_id": "client_id"},
        inactive_field="inactive",
        custom_fields=SITE_CUSTOM_FIELDS,
        read_scopes=CUSTOMER_READ,
        edit_scopes=CUSTOMER_EDIT,
        prepare=prepare,
        doubles=frozenset({"client_id"}),  # Site.client_id: number/double in Halo's OpenAPI
    )


def main_site(kind: EntityKind, site_id: int, client: dict[str, Any]) -> dict[str, Any]:
    """The site Halo creates with a new client (name assumed), ready for ``insert``."""
    record: dict[str, Any] = {"id": site_id}
    defaults = kind.defaults()
    for spec in kind.fields:
        record[spec.name] = defaults.get(spec.name)
        if spec.twin:
            record[spec.twin] = None
    record.update(name=MAIN_SITE_NAME, client_id=client["id"])
    record["customfields"] = [d.blank() for d in kind.custom_fields]
    return record


def place_on_site(
    kind_name: str,
    clients: Records,
    sites: Records,
    current: dict[str, Any] | None,
    changes: dict[str, Any],
    options: SandboxOptions,
    note: Note,
) -> None:
    """Keep a user's or asset's ``client_id`` and ``site_id`` consistent (ids already checked).

    A site sent without a client brings its client along; a client sent without a site
    gets its main site (when creating, ``default_to_main_site``); both sent must agree.
    """
    if current is not None and "site_id" not in changes and "client_id" not in changes:
        return
    client_id = changes.get("client_id", None if current is None else current["client_id"])
    site_id = changes.get("site_id", None if current is None else current["site_id"])
    if "site_id" in changes and "client_id" not in changes:
        owner = sites[changes["site_id"]]["client_id"]
        if owner != client_id:
            changes["client_id"] = owner
            note(f"client_id {owner} taken from site {site_id}")
        return
    if site_id is None:
        if client_id is None:
            raise HaloError(400, f"{kind_name} must belong to a client: send client_id or site_id.")
        if not options.api_options(NAME, HaloEntityOptions).default_to_main_site:
            raise HaloError(400, f"{kind_name} site_id is required.")
        main = clients[client_id].get("main_site_id")
        if main not in sites:
            raise HaloError(400, f"Client {client_id} has no main site; send site_id.")
        changes["site_id"] = main
        note(f"site_id {main} (the main site of client {client_id}) assumed")
        return
    if sites[site_id]["client_id"] != client_id:
        raise HaloError(400, f"Site {site_id} does not belong to client {client_id}.")
