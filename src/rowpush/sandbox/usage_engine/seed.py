"""Deterministic demo data: one account, six meter types, ~40 meters.

Everything comes from one ``random.Random``: the same seed gives the same ids. Meter keys
look like the documented ones (time-based UUIDs: a Meter processor's key in a stream), and
several customers (``userId``) share a key, one meter each per meter type.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

from rowpush.sandbox.usage_engine.wallclock import stamp

MONTHLY = {"minute": "0", "hour": "0", "day": "1", "month": "*", "weekday": "*"}
SEED_START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)

# (name, description, category, unit, aggregation, reset schedule, timezone, extras)
METER_TYPES: tuple[tuple[str, str, str, str, str, dict[str, str], str, dict[str, Any]], ...] = (
    (
        "Pay-Per-Print",
        "Sheets printed per customer and month",
        "Printing",
        "sheets",
        "sum",
        MONTHLY,
        "Etc/UTC",
        {"externalRef": "PRINT-001"},
    ),
    (
        "API Requests",
        "Calls to the public API",
        "Platform",
        "API request",
        "increment",
        MONTHLY,
        "Etc/UTC",
        {
            "capacity": 10000,
            "thresholds": [
                {"name": "Warning", "capacityPercentage": 80},
                {"name": "Limit reached", "capacityPercentage": 100},
            ],
        },
    ),
    (
        "AI Assist Prompts",
        "Prompts answered by the assistant, per day",
        "Assistants",
        "requests",
        "increment",
        {"minute": "0", "hour": "0", "day": "*", "month": "*", "weekday": "*"},
        "Europe/Stockholm",
        {},
    ),
    (
        "Storage GB-Hours",
        "Storage used, reset on the last day of the month",
        "Storage",
        "GB-hours",
        "sum",
        {"minute": "59", "hour": "23", "day": "L", "month": "*", "weekday": "*"},
        "Europe/London",
        {"externalRef": "STOR-GBH"},
    ),
    (
        "SMS Messages",
        "Text messages sent on behalf of the customer",
        "Messaging",
        "messages",
        "increment",
        MONTHLY,
        "America/New_York",
        {"activeTo": "2027-12-31T23:59:59.000+00:00"},
    ),
    (
        "Compute Minutes",
        "Batch compute, reset weekly on Monday",
        "Compute",
        "minutes",
        "sum",
        {"minute": "0", "hour": "6", "day": "*", "month": "*", "weekday": "1"},
        "Etc/UTC",
        {},
    ),
)
MODELS = ("MPS-Plus", "MPS-Lite", "MPS-Colour")
DEPARTMENTS = ("Research", "Sales", "Finance", "Operations")
PLANS = ("Bronze", "Silver", "Gold")


@dataclass
class SeededAccount:
    """The account's id and its records by id, in creation order."""

    account_id: str
    meter_types: dict[str, dict[str, Any]]
    meters: dict[str, dict[str, Any]]


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seed_account(seed: int, meters: int) -> SeededAccount:
    """The demo account, the same for the same ``seed`` and meter count."""
    rng = random.Random(f"{seed}:usage-engine")
    account_id = random_uuid(rng)
    moment = SEED_START
    types: dict[str, dict[str, Any]] = {}
    keys: dict[str, list[str]] = {}
    for name, description, category, unit, aggregation, reset, zone, extras in METER_TYPES:
        moment += dt.timedelta(minutes=rng.randint(5, 600), milliseconds=rng.randint(0, 999))
        type_id = random_uuid(rng)
        types[type_id] = {
            "id": type_id,
            "accountId": account_id,
            "name": name,
            "description": description,
            "unit": unit,
            "category": category,
            "aggregation": {"type": aggregation},
            "resetSchedule": dict(reset),
            "timezone": zone,
            "activeFrom": stamp(moment),
            **extras,
            "createdAt": stamp(moment),
            "updatedAt": stamp(moment),
        }
        keys[type_id] = [_meter_key(rng) for _ in range(rng.randint(1, 2))]
    customers = [str(101 + n) for n in range(max(16, meters // 2))]
    seeded: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, str, str]] = set()
    while len(seeded) < meters:
        type_id = rng.choice(list(types))
        identity = (type_id, rng.choice(keys[type_id]), rng.choice(customers))
        if identity in seen:
            continue
        seen.add(identity)
        moment += dt.timedelta(minutes=rng.randint(1, 90), milliseconds=rng.randint(0, 999))
        meter_id = random_uuid(rng)
        seeded[meter_id] = {
            "id": meter_id,
            "userId": identity[2],
            "meterKey": identity[1],
            "meterTypeId": type_id,
            "customFields": _custom_fields(rng, types[type_id]["name"]),
            "deleteOnReset": rng.random() < 0.15,
            "createdAt": stamp(moment),
            "updatedAt": stamp(moment),
        }
    return SeededAccount(account_id, types, seeded)


def _meter_key(rng: random.Random) -> str:
    # Time-based (version 1) like the documented "dd11e0a0-1381-11ef-9a8f-cdc91c56d42c".
    return (
        f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-11ef-"
        f"{0x8000 | rng.getrandbits(14):04x}-{rng.getrandbits(48):012x}"
    )


def _custom_fields(rng: random.Random, type_name: str) -> dict[str, Any]:
    if type_name == "Pay-Per-Print":
        return {"model": rng.choice(MODELS), "department": rng.choice(DEPARTMENTS)}
    if rng.random() < 0.5:
        return {"plan": rng.choice(PLANS)}
    return {}
