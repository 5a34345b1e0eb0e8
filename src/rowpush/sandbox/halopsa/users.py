"""The Users kind (Halo schema ``Users``: end users, i.e. the clients' contacts) at
``/api/Users``, envelope ``users``."""

from __future__ import annotations

import json
import re
from typing import Any

from rowpush.sandbox.halopsa.errors import HaloError
from rowpush.sandbox.halopsa.options import NAME, HaloEntityOptions
from rowpush.sandbox.halopsa.schema import EntityKind, FieldSpec, Note
from rowpush.sandbox.halopsa.seed_entities import USER_CUSTOM_FIELDS, Records
from rowpush.sandbox.halopsa.sites import (
    CUSTOMER_EDIT,
    CUSTOMER_READ,
    client_lookup,
    place_on_site,
    site_lookup,
)
from rowpush.sandbox.options import SandboxOptions

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_PARTS = ("name", "firstname", "surname")

USER_SUMMARY = (
    "id",
    "name",
    "firstname",
    "surname",
    "emailaddress",
    "client_id",
    "client_name",
    "site_id",
    "site_name",
    "inactive",
)


def user_kind(clients: Records, sites: Records) -> EntityKind:
    """The Users declaration; ``clients`` and ``sites`` are the live records it points into."""
    fields = (
        FieldSpec("name", "str"),
        FieldSpec("firstname", "str"),
        FieldSpec("surname", "str"),
        FieldSpec("emailaddress", "str"),
        FieldSpec("phonenumber", "str"),
        FieldSpec("mobilenumber", "str"),
        FieldSpec("title", "str"),
        FieldSpec(
            "client_id", "int", nullable=False, lookup=client_lookup(clients), twin="client_name"
        ),
        FieldSpec("site_id", "int", nullable=False, lookup=site_lookup(sites), twin="site_name"),
        FieldSpec("inactive", "bool", nullable=False),
        FieldSpec("isimportantcontact", "bool", nullable=False),
        FieldSpec("notes", "str"),
    )

    def defaults() -> dict[str, Any]:
        return {"inactive": False, "isimportantcontact": False, "notes": ""}

    def prepare(
        current: dict[str, Any] | None,
        changes: dict[str, Any],
        options: SandboxOptions,
        note: Note,
    ) -> None:
        merged = {**(current or {}), **changes}
        parts = {f: str(merged.get(f) or "").strip() for f in NAME_PARTS}
        if not any(parts.values()):
            raise HaloError(400, "User needs a name: send name, firstname or surname.")
        entity = options.api_options(NAME, HaloEntityOptions)
        if current is None and not parts["name"] and entity.users_name_from_parts:
            changes["name"] = " ".join(p for p in (parts["firstname"], parts["surname"]) if p)
        email = changes.get("emailaddress")
        if entity.check_email and email and not EMAIL.match(email):
            raise HaloError(400, f"{json.dumps(email)} is not a valid email address.")
        place_on_site("User", clients, sites, current, changes, options, note)

    return EntityKind(
        name="User",
        path="users",
        envelope="users",
        fields=fields,
        summary=USER_SUMMARY,
        defaults=defaults,
        search=("name", "emailaddress"),
        default_order="name",
        doubles=frozenset({"site_id"}),  # Users.site_id: number/double in Halo's OpenAPI
        int_filters={"client_id": "client_id", "site_id": "site_id"},
        inactive_field="inactive",
        custom_fields=USER_CUSTOM_FIELDS,
        read_scopes=CUSTOMER_READ,
        edit_scopes=CUSTOMER_EDIT,
        prepare=prepare,
    )
