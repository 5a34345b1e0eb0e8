"""Deterministic demo data for the Hyalto emulation: accounts, services, daily usage.

From ``random.Random`` seeded with ``SandboxOptions.seed``: ~5 customer accounts with
integer ids (as the sample token's ids suggest), 2-4 services each, and one month of daily
usage per service: one record per meter per day from the service's start, with weekday
and weekend patterns and occasional seat changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_NAMES = (
    ("Acme Ltd", "GBP"),
    ("Globex Corporation", "USD"),
    ("Brightwater Dental", "EUR"),
    ("Nordlicht Reisen GmbH", "EUR"),
    ("Café Olé Bistro", "EUR"),
    ("Harbour & Hale LLP", "GBP"),
    ("Initrode Systems", "USD"),
)


@dataclass(frozen=True)
class Meter:
    name: str
    unit: str
    unit_price: float
    low: float
    high: float
    kind: str = "steady"
    """steady: level with noise; weekday: lower at weekends; seats: whole steps, rarely."""
    decimals: int = 0


SERVICE_TYPES: dict[str, tuple[str, tuple[Meter, ...]]] = {
    "azure": (
        "Azure CSP subscription",
        (
            Meter("Virtual Machines D2s v5", "hour", 0.096, 2, 6, "vm-hours"),
            Meter("Managed Disks P10", "month/30", 0.6667, 2, 8, "seats"),
            Meter("Bandwidth Outbound", "GB", 0.087, 4, 60, "weekday", 2),
        ),
    ),
    "license": (
        "Microsoft 365 E3",
        (Meter("Microsoft 365 E3", "seat/day", 1.2, 10, 250, "seats"),),
    ),
    "aws": (
        "AWS account",
        (
            Meter("EC2 t3.medium", "hour", 0.0464, 1, 4, "vm-hours"),
            Meter("S3 Standard storage", "GB-day", 0.00077, 200, 5000, "steady", 1),
        ),
    ),
    "backup": (
        "Backup as a Service",
        (
            Meter("Protected VMs", "VM/day", 0.18, 3, 40, "seats"),
            Meter("Backup storage", "GB-day", 0.0008, 500, 12000, "steady", 1),
        ),
    ),
    "telephony": (
        "Teams Phone Standard",
        (
            Meter("Teams Phone Standard", "user/day", 0.27, 5, 80, "seats"),
            Meter("Outbound minutes", "minute", 0.012, 30, 900, "weekday"),
        ),
    ),
}


@dataclass
class HyaltoData:
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Account id -> ``{"id", "name", "status", "currency"}``."""
    services: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Account id -> its services ``{"id", "name", "serviceType", "status", "startDate"}``."""
    usage: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Service id -> daily records ``{"date", "meter", "quantity", "unit", "cost"}``."""
    owners: dict[int, int] = field(default_factory=dict)
    """Service id -> account id."""


def seed_hyalto(seed: int, count: int, month: str) -> HyaltoData:
    rng = random.Random(f"{seed}:hyalto")
    year, mon = (int(part) for part in month.split("-"))
    first = dt.date(year, mon, 1)
    days = [first + dt.timedelta(days=d) for d in range(calendar.monthrange(year, mon)[1])]
    data = HyaltoData()
    account_ids = _gapped(rng, 1201)
    service_ids = _gapped(rng, 9001)
    names = rng.sample(ACCOUNT_NAMES, min(count, len(ACCOUNT_NAMES)))
    names += [(f"Customer {n}", "EUR") for n in range(len(names) + 1, count + 1)]
    for name, currency in names:
        account_id = next(account_ids)
        status = "suspended" if rng.random() < 0.1 else "active"
        data.accounts[account_id] = {
            "id": account_id,
            "name": name,
            "status": status,
            "currency": currency,
        }
        services = []
        for service_type in rng.sample(sorted(SERVICE_TYPES), rng.randint(2, 4)):
            service_id = next(service_ids)
            start = _start_date(rng, first, days[-1])
            label, meters = SERVICE_TYPES[service_type]
            services.append(
                {
                    "id": service_id,
                    "name": label,
                    "serviceType": service_type,
                    "status": "active",
                    "startDate": f"{start:%Y-%m-%d} 00:00:00",
                }
            )
            data.owners[service_id] = account_id
            data.usage[service_id] = _usage(rng, meters, [d for d in days if d >= start])
        data.services[account_id] = services
    return data


def _gapped(rng: random.Random, start: int) -> Iterator[int]:
    current = start
    while True:
        yield current
        current += rng.randint(1, 9)


def _start_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    if rng.random() < 0.2:  # started during the month: usage begins that day
        return first + dt.timedelta(days=rng.randint(3, (last - first).days - 3))
    return first - dt.timedelta(days=rng.randint(30, 700))


def _usage(
    rng: random.Random, meters: tuple[Meter, ...], days: list[dt.date]
) -> list[dict[str, Any]]:
    series = {meter.name: _series(rng, meter, days) for meter in meters}
    records = []
    for index, day in enumerate(days):
        for meter in meters:
            quantity = series[meter.name][index]
            records.append(
                {
                    "date": f"{day:%Y-%m-%d}",
                    "meter": meter.name,
                    "quantity": quantity,
                    "unit": meter.unit,
                    "cost": round(quantity * meter.unit_price, 2),
                }
            )
    return records


def _series(rng: random.Random, meter: Meter, days: list[dt.date]) -> list[float | int]:
    level = rng.uniform(meter.low, meter.high)
    values: list[float | int] = []
    if meter.kind in ("seats", "vm-hours"):
        count = max(1, round(level))
        for _ in days:
            if rng.random() < 0.06:
                count = max(1, count + rng.choice((-2, -1, 1, 1, 2, 3)))
            values.append(count * 24 if meter.kind == "vm-hours" else count)
        return values
    for day in days:
        factor = 0.35 if meter.kind == "weekday" and day.weekday() >= 5 else 1.0
        value = max(0.0, level * factor * rng.uniform(0.8, 1.2))
        values.append(round(value, meter.decimals) if meter.decimals else round(value))
    return values
