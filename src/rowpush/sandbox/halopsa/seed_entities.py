"""Deterministic sites, end users and assets for the seeded clients.

A separate ``random.Random`` from the clients' one, so adding kinds never changes the
clients. Each client's first site has the id of its ``main_site_id``; its other sites,
its users and its assets hang off it. Ids skip, as client ids do.
"""

from __future__ import annotations

import marshal
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rowpush.sandbox.halopsa.options import HaloEntityOptions
from rowpush.sandbox.halopsa.schema import ADDRESS_KEYS, CustomFieldDef
from rowpush.sandbox.halopsa.seed import PHONE_PREFIXES, PLACES, SURNAMES, ascii_fold, slug

Records = dict[int, dict[str, Any]]

FIRST_USER_ID = 1001
FIRST_ASSET_ID = 5001
MAIN_SITE_NAME = "Main"
"""What Halo calls the site it creates with a client (assumed)."""

ASSET_TYPES: dict[int, str] = {
    1: "Laptop",
    2: "Desktop",
    3: "Server",
    4: "Printer",
    5: "Firewall",
    6: "Network Switch",
    7: "Mobile Phone",
}
ASSET_TYPE_CODES = {1: "LT", 2: "DT", 3: "SRV", 4: "PRN", 5: "FW", 6: "SW", 7: "MOB"}
ASSET_STATUSES: dict[int, str] = {1: "Active", 2: "In Stock", 3: "In Repair", 4: "Retired"}

SITE_CUSTOM_FIELDS = (CustomFieldDef(211, "CFSiteCode", "Site code"),)
USER_CUSTOM_FIELDS = (CustomFieldDef(221, "CFEmployeeNumber", "Employee number"),)
ASSET_CUSTOM_FIELDS = (
    CustomFieldDef(231, "CFWarrantyExpiry", "Warranty expiry", type=4),
    CustomFieldDef(232, "CFPurchaseOrder", "Purchase order"),
)

FIRST_NAMES = (
    "Amelia", "Oliver", "Priya", "Tom", "Aisha", "Marek", "Zoë", "José", "Siobhán", "Søren",
    "Aoife", "Mohammed", "Wei", "Olu", "Hannah", "Ravi", "Claire", "Dmitri", "Fatima", "George",
    "Isla", "Jack", "Keiko", "Lena", "Nia", "Owen", "Rosa", "Sam", "Yusuf", "Ellie",
)  # fmt: skip
EXTRA_SURNAMES = ("O'Connor", "Van der Berg", "Smith-Jones", "MacLeod", "Ó Briain", "D'Souza")
JOB_TITLES = (
    "Office Manager", "Finance Director", "IT Lead", "Operations Manager", "Receptionist",
    "Practice Manager", "Managing Director", "Accounts Assistant", "Site Supervisor", None,
)  # fmt: skip
SHARED_MAILBOXES = ("Reception", "Accounts", "Helpdesk")
SITE_SUFFIXES = ("Office", "Branch", "Warehouse", "Depot", "Studio")
STREETS = (
    "High Street", "Station Road", "Church Lane", "Mill Road", "Harbour Street", "Park Avenue",
    "Victoria Road", "Kings Parade", "Market Square", "Bridge Street",
)  # fmt: skip
COUNTIES = ("West Yorkshire", "Greater Manchester", "Kent", "Devon", "Lothian", None)
SITE_NOTES = ("Parking at the rear.", "Key holder: the site manager.", "Alarm code with reception.")
SERIAL_PREFIXES = ("5CD", "C02", "SN-", "JP1", "FOC")


@dataclass
class SeededEntities:
    """The records of each kind, keyed by id, ready for their collections."""

    sites: Records
    users: Records
    assets: Records


CLIENT_FIELDS_USED = ("id", "name", "website", "main_site_id")
"""What seeding reads of a client; ``HaloState`` keeps these from the seeded clients."""


def seed_entities(clients: Records, seed: int, options: HaloEntityOptions) -> SeededEntities:
    """Sites, users and assets of ``clients``, the same for the same ``seed`` and options.

    A fresh copy of a cached draw: tests reseed before each test, and copying ~4,000
    records is several times faster than drawing them again.
    """
    key = (
        seed,
        options.sites_per_client,
        options.users_per_client,
        options.assets_per_client,
        tuple(tuple(client.get(f) for f in CLIENT_FIELDS_USED) for client in clients.values()),
    )
    drawn = _DRAWN.get(key)
    if drawn is None:
        if len(_DRAWN) >= 4:
            _DRAWN.clear()
        drawn = _DRAWN[key] = marshal.dumps(_draw(clients, seed, options))
    sites, users, assets = marshal.loads(drawn)  # plain dicts and lists: a deep copy
    return SeededEntities(sites, users, assets)


_DRAWN: dict[tuple[Any, ...], bytes] = {}
"""Marshalled (sites, users, assets) by seed, ranges and the clients' fields used."""


def _draw(
    clients: Records, seed: int, options: HaloEntityOptions
) -> tuple[Records, Records, Records]:
    rng = random.Random(f"{seed}:halopsa-entities")
    sites_per_client = options.sites_per_client
    users_per_client = options.users_per_client
    assets_per_client = options.assets_per_client
    out = SeededEntities({}, {}, {})  # filled below
    next_site = max((c["main_site_id"] for c in clients.values()), default=29) + 1
    user_id, asset_id = FIRST_USER_ID, FIRST_ASSET_ID
    for client in clients.values():
        domain = _domain(client)
        sites = [_site(rng, client, client["main_site_id"], main=True)]
        for _ in range(rng.randint(*sites_per_client) - 1):
            sites.append(_site(rng, client, next_site, main=False))
            next_site += 1
        for site in sites:
            out.sites[site["id"]] = site
        emails: set[str] = set()
        for _ in range(rng.randint(*users_per_client)):
            site = rng.choice(sites)
            out.users[user_id] = _user(rng, user_id, client, site, domain, emails)
            user_id += rng.randint(1, 3)
        for number in range(1, rng.randint(*assets_per_client) + 1):
            site = rng.choice(sites)
            out.assets[asset_id] = _asset(rng, asset_id, client, site, number)
            asset_id += rng.randint(1, 2)
    return out.sites, out.users, out.assets


def _site(
    rng: random.Random, client: Mapping[str, Any], site_id: int, *, main: bool
) -> dict[str, Any]:
    place = rng.choice(PLACES)
    if main:
        name = rng.choice((MAIN_SITE_NAME, MAIN_SITE_NAME, "Head Office"))
    else:
        name = f"{place} {rng.choice(SITE_SUFFIXES)}"
    delivery = _address(rng, place)
    invoice = delivery if rng.random() < 0.7 else _address(rng, rng.choice(PLACES))
    code = f"S{site_id:05d}" if rng.random() < 0.5 else None
    return {
        "id": site_id,
        "name": name,
        "client_id": client["id"],
        "client_name": client["name"],
        "inactive": not main and rng.random() < 0.08,
        "phonenumber": _phone(rng) if rng.random() < 0.8 else None,
        "delivery_address": delivery,
        "invoice_address": dict(invoice),
        "notes": rng.choice(SITE_NOTES) if rng.random() < 0.2 else "",
        "customfields": [{**SITE_CUSTOM_FIELDS[0].blank(), "value": code}],
    }


def _user(
    rng: random.Random,
    user_id: int,
    client: Mapping[str, Any],
    site: Mapping[str, Any],
    domain: str,
    emails: set[str],
) -> dict[str, Any]:
    if rng.random() < 0.08:
        first: str | None = rng.choice(SHARED_MAILBOXES)
        last: str | None = None
        title = None
    else:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SURNAMES + EXTRA_SURNAMES)
        title = rng.choice(JOB_TITLES)
    local = ".".join(re.sub(r"[^a-z]", "", ascii_fold(p).lower()) for p in (first, last) if p)
    address = f"{local}@{domain}"
    if address in emails:
        address = f"{local}{len(emails)}@{domain}"
    emails.add(address)
    email = None if rng.random() < 0.07 else address  # some contacts are known only by phone
    return {
        "id": user_id,
        "name": " ".join(p for p in (first, last) if p),
        "firstname": first,
        "surname": last,
        "emailaddress": email,
        "phonenumber": _phone(rng) if rng.random() < 0.6 else None,
        "mobilenumber": f"+44 7700 900{rng.randint(0, 999):03d}" if rng.random() < 0.4 else None,
        "title": title,
        "client_id": client["id"],
        "client_name": client["name"],
        "site_id": site["id"],
        "site_name": site["name"],
        "inactive": rng.random() < 0.06,
        "isimportantcontact": rng.random() < 0.1,
        "notes": "",
        "customfields": [
            {
                **USER_CUSTOM_FIELDS[0].blank(),
                "value": f"E{rng.randint(1, 9999):04d}" if rng.random() < 0.3 else None,
            }
        ],
    }


def _asset(
    rng: random.Random,
    asset_id: int,
    client: Mapping[str, Any],
    site: Mapping[str, Any],
    number: int,
) -> dict[str, Any]:
    type_id = rng.choices(list(ASSET_TYPES), weights=(40, 20, 8, 10, 5, 7, 10))[0]
    status = rng.choices(list(ASSET_STATUSES), weights=(85, 5, 4, 6))[0]
    code = ASSET_TYPE_CODES[type_id]
    prefix = (re.sub(r"[^A-Z]", "", ascii_fold(client["name"]).upper()) + "XXX")[:3]
    serial = f"{rng.choice(SERIAL_PREFIXES)}{rng.randrange(16**7):07X}"
    warranty = f"{rng.randint(2024, 2028)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "id": asset_id,
        "inventory_number": f"{prefix}-{code}-{number:04d}",
        "key_field": f"{prefix}-{code}{number:02d}",
        "key_field2": serial,
        "key_field3": None,
        "assettype_id": type_id,
        "assettype_name": ASSET_TYPES[type_id],
        "status_id": status,
        "client_id": client["id"],
        "client_name": client["name"],
        "site_id": site["id"],
        "site_name": site["name"],
        "inactive": status == 4,
        "customfields": [
            {**ASSET_CUSTOM_FIELDS[0].blank(), "value": warranty if rng.random() < 0.6 else None},
            {
                **ASSET_CUSTOM_FIELDS[1].blank(),
                "value": f"PO-{rng.randint(1000, 99999)}" if rng.random() < 0.3 else None,
            },
        ],
    }


def _address(rng: random.Random, place: str) -> dict[str, Any]:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = (
        f"{rng.choice('BLMNS')}{rng.choice('EKSW')}{rng.randint(1, 19)} "
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    )
    values = (f"{rng.randint(1, 240)} {rng.choice(STREETS)}", None, place, rng.choice(COUNTIES))
    return dict(zip(ADDRESS_KEYS, (*values, postcode), strict=True))


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}{rng.randint(0, 999):03d}"


def _domain(client: Mapping[str, Any]) -> str:
    website = client.get("website")
    if website:
        return str(website).removeprefix("https://").removeprefix("www.")
    return f"{slug(client['name'])}.co.uk"
