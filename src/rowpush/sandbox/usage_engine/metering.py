"""Meter types and meters: the live records, the checks on what is posted, and the answers.

One object per call (no bulk endpoint). A write is checked whole before anything changes.
Names of meter types are unique (409); so are meters by (meterTypeId, meterKey, userId).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from rowpush.sandbox.usage_engine import fields as f
from rowpush.sandbox.usage_engine.errors import UEError
from rowpush.sandbox.usage_engine.options import UsageEngineOptions
from rowpush.sandbox.usage_engine.seed import SeededAccount, random_uuid
from rowpush.sandbox.usage_engine.wallclock import WallClock, parse_stamp

Note = Callable[[str], None]
Record = dict[str, Any]

TYPE_ORDER = (
    "id", "accountId", "name", "description", "unit", "category", "aggregation",
    "resetSchedule", "timezone", "activeFrom", "activeTo", "externalRef", "capacity",
    "thresholds", "numberOfMeters", "createdAt", "updatedAt",
)  # fmt: skip
METER_ORDER = (
    "id", "userId", "meterKey", "meterTypeId", "customFields", "deleteOnReset", "createdAt",
    "updatedAt",
)  # fmt: skip
TYPE_READ_ONLY = frozenset({"id", "accountId", "numberOfMeters", "createdAt", "updatedAt"})
METER_READ_ONLY = frozenset({"id", "accountId", "createdAt", "updatedAt"})
METER_IDENTITY = ("meterTypeId", "meterKey", "userId")
DEFAULT_TIMEZONE = "Etc/UTC"


def type_checks(options: UsageEngineOptions) -> dict[str, f.Check]:
    return {
        "name": f.text,
        "description": f.optional_text,
        "category": f.optional_text,
        "unit": f.text,
        "aggregation": f.aggregation_check(options.aggregation_types),
        "resetSchedule": f.schedule,
        "timezone": f.timezone,
        "activeFrom": f.timestamp,
        "activeTo": f.optional_timestamp,
        "externalRef": f.optional_text,
        "capacity": f.optional_capacity,
        "thresholds": f.thresholds,
    }


METER_CHECKS: dict[str, f.Check] = {
    "userId": f.text,
    "meterKey": f.text,
    "meterTypeId": f.text,
    "customFields": f.custom_fields,
    "deleteOnReset": f.flag,
}


class Metering:
    """The account's meter types and meters by id, oldest first (tests may edit them)."""

    def __init__(self, account: SeededAccount, ids: random.Random, wall: WallClock) -> None:
        self.account_id = account.account_id
        self.meter_types: dict[str, Record] = account.meter_types
        self.meters: dict[str, Record] = account.meters
        self._ids = ids
        self._wall = wall

    # Meter types

    def list_meter_types(self, name: str | None) -> list[Record]:
        """Every meter type, or those called exactly ``name``."""
        return [self.type_view(t) for t in self.meter_types.values() if name in (None, t["name"])]

    def meter_type(self, type_id: str) -> Record:
        found = self.meter_types.get(type_id)
        if found is None:
            raise UEError(404, f"Meter type {type_id} not found")
        return found

    def create_meter_type(self, body: Any, options: UsageEngineOptions, note: Note) -> Record:
        changes = _checked(body, type_checks(options), TYPE_READ_ONLY, options, note)
        for name in options.meter_type_required:
            if name not in changes:
                raise UEError(400, f"{name} is required")
        self._check_type(None, changes, options)
        now = self._wall.stamp()
        record: Record = {
            "id": random_uuid(self._ids),
            "accountId": self.account_id,
            "timezone": DEFAULT_TIMEZONE,
            "activeFrom": now,
            **changes,
            "createdAt": now,
            "updatedAt": now,
        }
        self.meter_types[record["id"]] = record
        return self.type_view(record)

    def update_meter_type(
        self, type_id: str, body: Any, options: UsageEngineOptions, note: Note
    ) -> Record:
        record = self.meter_type(type_id)
        changes = _checked(body, type_checks(options), TYPE_READ_ONLY, options, note)
        _refuse_edits(record, changes, options.editable_meter_type_fields, "a meter type")
        self._check_type(record, changes, options)
        _update(record, changes, self._wall.stamp())
        return self.type_view(record)

    def delete_meter_type(self, type_id: str, options: UsageEngineOptions) -> None:
        record = self.meter_type(type_id)
        used = [m for m, meter in self.meters.items() if meter["meterTypeId"] == type_id]
        if used and options.delete_meter_type_in_use == "conflict":
            raise UEError(
                409,
                f"Meter type '{record['name']}' still has {len(used)} meters; delete them first",
            )
        for meter_id in used:
            del self.meters[meter_id]
        del self.meter_types[type_id]

    def type_view(self, record: Mapping[str, Any]) -> Record:
        """A meter type as the API answers it: documented key order, unset fields left out."""
        count = sum(1 for m in self.meters.values() if m["meterTypeId"] == record["id"])
        full = {**record, "numberOfMeters": count}
        return {key: full[key] for key in TYPE_ORDER if full.get(key) is not None}

    def _check_type(
        self, current: Record | None, changes: Record, options: UsageEngineOptions
    ) -> None:
        merged = {**(current or {}), **changes}
        start, end = merged.get("activeFrom"), merged.get("activeTo")
        if start and end:
            begins, ends = parse_stamp(start), parse_stamp(end)
            if begins and ends and ends <= begins:
                raise UEError(400, "activeTo must be after activeFrom")
        name = changes.get("name")
        if name is None:
            return
        fold = str.casefold if options.names_ignore_case else str
        for other in self.meter_types.values():
            if other is not current and fold(other["name"]) == fold(name):
                raise UEError(409, f"Meter type with name '{other['name']}' already exists")

    # Meters

    def list_meters(self, meter_type_id: str | None, meter_key: str | None) -> list[Record]:
        """Every meter, or those of one meter type and/or meter key."""
        return [
            self.meter_view(m)
            for m in self.meters.values()
            if meter_type_id in (None, m["meterTypeId"]) and meter_key in (None, m["meterKey"])
        ]

    def meter(self, meter_id: str) -> Record:
        found = self.meters.get(meter_id)
        if found is None:
            raise UEError(404, f"Meter {meter_id} not found")
        return found

    def create_meter(self, body: Any, options: UsageEngineOptions, note: Note) -> Record:
        changes = _checked(body, METER_CHECKS, METER_READ_ONLY, options, note)
        for name in METER_IDENTITY:
            if name not in changes:
                raise UEError(400, f"{name} is required")
        if changes["meterTypeId"] not in self.meter_types:
            raise UEError(
                400,
                f"meterTypeId {changes['meterTypeId']} does not refer to an existing meter type",
            )
        identity = tuple(changes[name] for name in METER_IDENTITY)
        for other in self.meters.values():
            if tuple(other[name] for name in METER_IDENTITY) == identity:
                raise UEError(
                    409,
                    f"Meter with meterKey '{changes['meterKey']}' and userId "
                    f"'{changes['userId']}' already exists for meter type {changes['meterTypeId']}",
                )
        now = self._wall.stamp()
        record: Record = {
            "id": random_uuid(self._ids),
            "customFields": {},
            "deleteOnReset": False,
            **changes,
            "createdAt": now,
            "updatedAt": now,
        }
        self.meters[record["id"]] = record
        return self.meter_view(record)

    def update_meter(
        self, meter_id: str, body: Any, options: UsageEngineOptions, note: Note
    ) -> Record:
        record = self.meter(meter_id)
        changes = _checked(body, METER_CHECKS, METER_READ_ONLY, options, note)
        for name in METER_IDENTITY:
            if name in changes and changes.pop(name) != record[name]:
                raise UEError(400, f"{name} of a meter cannot be changed; create another meter")
        _refuse_edits(record, changes, options.editable_meter_fields, "a meter")
        _update(record, changes, self._wall.stamp())
        return self.meter_view(record)

    def delete_meter(self, meter_id: str) -> None:
        self.meter(meter_id)
        del self.meters[meter_id]

    def meter_view(self, record: Mapping[str, Any]) -> Record:
        """A meter as the API answers it."""
        return {key: record[key] for key in METER_ORDER if key in record}


def _checked(
    body: Any,
    checks: Mapping[str, f.Check],
    read_only: frozenset[str],
    options: UsageEngineOptions,
    note: Note,
) -> Record:
    """The known fields of ``body``, each checked; read-only ones ignored (noted)."""
    if not isinstance(body, dict):
        raise UEError(400, "The request body must be a JSON object")
    changes: Record = {}
    for key, value in body.items():
        if key in read_only:
            note(f"read-only field {key!r} ignored")
        elif key in checks:
            changes[key] = checks[key](value, key)  # null passes only where a field may be unset
        elif options.unknown_fields == "reject":
            raise UEError(400, f"Unknown field {key!r}")
        else:
            note(f"unknown field {key!r} ignored")
    return changes


def _refuse_edits(
    record: Record, changes: Record, editable: tuple[str, ...] | None, kind: str
) -> None:
    """400 for a field sent with a new value that the docs do not list as editable; a
    field sent back unchanged (a whole record PUT back) passes."""
    if editable is None:
        return
    for key, value in changes.items():
        if key not in editable and value != record.get(key):
            raise UEError(
                400,
                f"{key} of {kind} cannot be changed; editable fields: {', '.join(editable)}",
            )


def _update(record: Record, changes: Record, now: str) -> None:
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    record["updatedAt"] = now
