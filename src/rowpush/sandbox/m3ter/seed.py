"""Deterministic demo data: one organisation, 4 products, 8 meters, ~40 accounts.

Everything comes from ``random.Random(seed)``: the same seed gives the same organisation,
ids included. Some records start above ``version`` 1, so a client that assumes 1 shows up.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.m3ter.wallclock import iso

SEED_START = dt.datetime(2024, 1, 8, 9, 0, tzinfo=dt.UTC)
SEED_USERS = ("admin@sandbox.example", "ops@sandbox.example")

PRODUCTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("platform", "Platform", {"owner": "platform-team"}),
    ("storage", "Storage", {}),
    ("messaging", "Messaging", {"owner": "comms-team"}),
    ("support", "Support", {}),
)


def _f(category: str, code: str, name: str, unit: str | None = None) -> dict[str, Any]:
    out = {"category": category, "code": code, "name": name}
    return out if unit is None else {**out, "unit": unit}


def _d(code: str, name: str, unit: str, calculation: str) -> dict[str, Any]:
    return {**_f("MEASURE", code, name, unit), "calculation": calculation}


# (code, name, product code or None for a global meter, data fields, derived, custom fields)
METERS: tuple[tuple[str, str, str | None, list[Any], list[Any], dict[str, Any]], ...] = (
    (
        "api_calls", "API calls", "platform",
        [_f("WHO", "user_id", "User"), _f("WHERE", "region", "Region"),
         _f("WHAT", "endpoint", "Endpoint"), _f("MEASURE", "requests", "Requests", "{request}")],
        [_d("billable_requests", "Billable requests", "{request}", "requests * 1")],
        {"owner": "platform-team"},
    ),
    (
        "storage_gb", "Storage (GB)", "storage",
        [_f("WHERE", "region", "Region"), _f("WHAT", "bucket", "Bucket"),
         _f("MEASURE", "gb_stored", "GB stored", "GiBy")],
        [], {"owner": "storage-team"},
    ),
    (
        "seats", "Seats", "platform",
        [_f("WHO", "user_id", "User"), _f("WHAT", "plan_tier", "Plan tier"),
         _f("MEASURE", "active_seats", "Active seats", "{seat}")],
        [], {},
    ),
    (
        "egress_gb", "Data egress (GB)", "storage",
        [_f("WHERE", "region", "Region"), _f("WHERE", "destination", "Destination"),
         _f("MEASURE", "gb_out", "GB out", "GiBy"),
         _f("COST", "transfer_cost", "Transfer cost", "{USD}")],
        [_d("tb_out", "TB out", "TiBy", "gb_out / 1024")], {},
    ),
    (
        "messages_sent", "Messages sent", "messaging",
        [_f("WHO", "sender", "Sender"), _f("WHAT", "channel", "Channel"),
         _f("MEASURE", "messages", "Messages", "{message}")],
        [], {},
    ),
    (
        "sms_segments", "SMS segments", "messaging",
        [_f("WHERE", "country", "Country"), _f("WHAT", "carrier", "Carrier"),
         _f("MEASURE", "segments", "Segments", "{segment}"),
         _f("COST", "carrier_cost", "Carrier cost", "{USD}")],
        [], {"owner": "comms-team"},
    ),
    (
        "compute_hours", "Compute hours", None,
        [_f("WHERE", "region", "Region"), _f("WHAT", "instance_type", "Instance type"),
         _f("MEASURE", "hours", "Hours", "h")],
        [], {"billing_note": "global meter"},
    ),
    (
        "support_tickets", "Support tickets", "support",
        [_f("WHO", "agent", "Agent"), _f("OTHER", "priority", "Priority"),
         _f("METADATA", "source", "Source"), _f("MEASURE", "tickets", "Tickets", "{ticket}")],
        [], {},
    ),
)  # fmt: skip

# (name, parent's name or None): the first accounts, then generated ones.
NOTABLE_ACCOUNTS = (
    ("Acme Ltd", None),
    ("Acme Europe GmbH", "Acme Ltd"),
    ("Globex Corporation", None),
    ("Initech LLC", None),
    ("O'Brien Analytics", None),
    ("Müller Logistik GmbH", None),
    ("Café Olé SARL", None),
    ("Globex Japan KK", "Globex Corporation"),
)
ADJECTIVES = (
    "Bluefin", "Bright", "Clearwater", "Evergreen", "Granite", "Keystone", "Northstar",
    "Peregrine", "Quantum", "Summit", "Tidewater", "Vantage", "Willow", "Zenith", "Meridian",
)  # fmt: skip
NOUNS = (
    "Software", "Systems", "Analytics", "Networks", "Labs", "Media", "Health", "Robotics",
    "Logistics", "Energy", "Foods", "Capital",
)  # fmt: skip
SUFFIXES = ("", " Ltd", " Inc", " GmbH", " LLC", " plc", " BV")
CURRENCIES = ("USD", "USD", "USD", "GBP", "GBP", "EUR", "EUR", None)
SEGMENTS = ("enterprise", "mid-market", "smb")
CITIES = (("London", "GB", "EC1A 1BB"), ("Berlin", "DE", "10115"), ("Austin", "US", "78701"))
ORG_CONFIG = {
    "currency": "USD",
    "timezone": "UTC",
    "dayEpoch": "2024-01-01",
    "weekEpoch": "2024-01-01",
    "monthEpoch": "2024-01-01",
    "yearEpoch": "2024-01-01",
    "daysBeforeBillDue": 1,
}


@dataclass
class SeededOrg:
    """Records per kind path (``meters``, ``accounts``, ``products``) and the org config."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    org_config: dict[str, Any] = field(default_factory=dict)


def seed_org(seed: int, account_count: int, new_id: Callable[[], str]) -> SeededOrg:
    """The demo organisation for ``seed``; ``new_id`` hands out record ids."""
    rng = random.Random(f"{seed}:m3ter")
    org = SeededOrg()
    stamps = _Stamps(rng)
    products = org.records["products"] = {}
    for code, name, custom in PRODUCTS:
        _add(products, new_id(), stamps, {"code": code, "name": name, "customFields": custom})
    product_ids = {r["code"]: r["id"] for r in products.values()}
    meters = org.records["meters"] = {}
    for code, name, product, data, derived, custom in METERS:
        values = {
            "code": code,
            "name": name,
            "productId": product_ids[product] if product else None,
            "groupId": None,
            "dataFields": [dict(x) for x in data],
            "derivedFields": [dict(x) for x in derived],
            "customFields": dict(custom),
        }
        _add(meters, new_id(), stamps, values)
    org.records["accounts"] = _accounts(rng, account_count, new_id, stamps)
    org.org_config = _record(new_id(), stamps, dict(ORG_CONFIG))
    return org


class _Stamps:
    """Creation times an hour or so apart, and sometimes a later edit."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.at = SEED_START

    def next(self) -> tuple[str, str, int, str, str]:
        """(dtCreated, dtLastModified, version, createdBy, lastModifiedBy)."""
        self.at += dt.timedelta(minutes=self.rng.randint(20, 180))
        created, by = iso(self.at), self.rng.choice(SEED_USERS)
        if self.rng.random() < 0.3:
            edited = self.at + dt.timedelta(days=self.rng.randint(1, 60))
            return created, iso(edited), self.rng.randint(2, 4), by, self.rng.choice(SEED_USERS)
        return created, created, 1, by, by


def _record(record_id: str, stamps: _Stamps, values: dict[str, Any]) -> dict[str, Any]:
    created, modified, version, by, modified_by = stamps.next()
    return {
        "id": record_id,
        "version": version,
        **values,
        "dtCreated": created,
        "dtLastModified": modified,
        "createdBy": by,
        "lastModifiedBy": modified_by,
    }


def _add(
    records: dict[str, dict[str, Any]], record_id: str, stamps: _Stamps, values: dict[str, Any]
) -> None:
    records[record_id] = _record(record_id, stamps, values)


def _accounts(
    rng: random.Random, count: int, new_id: Callable[[], str], stamps: _Stamps
) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    by_name: dict[str, str] = {}
    numbers: dict[str, int] = {}
    names = _account_names(rng, count)
    for name, parent in names:
        prefix = _prefix(name)
        numbers[prefix] = numbers.get(prefix, 0) + 1
        record_id = new_id()
        values = _account(rng, name, f"{prefix}-{numbers[prefix]:03d}")
        values["parentAccountId"] = by_name.get(parent) if parent else None
        _add(records, record_id, stamps, values)
        by_name[name] = record_id
    return records


def _account_names(rng: random.Random, count: int) -> list[tuple[str, str | None]]:
    names: list[tuple[str, str | None]] = list(NOTABLE_ACCOUNTS[:count])
    seen = {name for name, _ in names}
    while len(names) < count:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}{rng.choice(SUFFIXES)}"
        if name not in seen:
            seen.add(name)
            names.append((name, None))
    return names


def _account(rng: random.Random, name: str, code: str) -> dict[str, Any]:
    custom: dict[str, Any] = {}
    if rng.random() < 0.5:
        custom["crmId"] = "0015g0000" + "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=6)
        )
    if rng.random() < 0.4:
        custom["segment"] = rng.choice(SEGMENTS)
    if rng.random() < 0.2:
        custom["committedSeats"] = rng.choice((10, 25, 50, 100))
    address = None
    if rng.random() < 0.3:
        city, country, post_code = rng.choice(CITIES)
        address = {
            "addressLine1": f"{rng.randint(1, 200)} {rng.choice(ADJECTIVES)} Street",
            "locality": city,
            "postCode": post_code,
            "country": country,
        }
    mailbox = rng.choice(("billing", "accounts", "finance", "ap"))
    return {
        "code": code,
        "name": name,
        "emailAddress": f"{mailbox}@{_slug(name)}.example",
        "address": address,
        "currency": rng.choice(CURRENCIES),
        "billEpoch": f"2024-{rng.randint(1, 12):02d}-01" if rng.random() < 0.6 else None,
        "daysBeforeBillDue": rng.choice((None, None, 14, 30)),
        "parentAccountId": None,
        "customFields": custom,
    }


def _prefix(name: str) -> str:
    """``ACME`` for "Acme Europe GmbH": the first word, ASCII capitals, at most 10 letters."""
    first = re.sub(r"[^A-Za-z]", "", _ascii(name).split()[0]).upper()
    return first[:10] or "ACCT"


def _slug(name: str) -> str:
    words = re.split(r"[^a-z0-9]+", _ascii(name).lower())
    skip = {"ltd", "inc", "gmbh", "llc", "plc", "bv", "kk", "sarl", ""}
    return "-".join(w for w in words if w not in skip)[:40] or "example"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
