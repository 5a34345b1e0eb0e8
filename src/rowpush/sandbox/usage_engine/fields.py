"""Checks of the fields of a posted meter type or meter: each returns the value to store or
raises ``UEError(400)`` naming the field, what was sent and what is expected."""

from __future__ import annotations

import json
import math
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from rowpush.sandbox.usage_engine.errors import UEError
from rowpush.sandbox.usage_engine.wallclock import parse_stamp

Check = Callable[[Any, str], Any]
"""(value sent, field path for messages) -> value to store."""

SCHEDULE_MAXIMA = {"minute": 59, "hour": 23, "day": 31, "month": 12, "weekday": 7}
CRON_FIELD = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?(,\d{1,2}(-\d{1,2})?)*$")
ZONE_NAME = re.compile(r"^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+\-]+)+)$")
STAMP_EXAMPLE = "2025-01-15T10:00:00.000+00:00"


def bad(field: str, value: Any, expected: str) -> UEError:
    """A 400 naming the field, the value sent and what was expected."""
    return UEError(400, f"{field} must be {expected}, got {json.dumps(value)}")


def text(value: Any, field: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise bad(field, value, "a non-empty string")
    return value


def optional_text(value: Any, field: str) -> str | None:
    """A string (may be empty) or null."""
    if value is not None and not isinstance(value, str):
        raise bad(field, value, "a string or null")
    return value


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise bad(field, value, "true or false")
    return value


def number(value: Any, field: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(field, value, "a number")
    return value


def optional_capacity(value: Any, field: str) -> float | int | None:
    if value is None:
        return None
    amount = number(value, field)
    if amount < 0:
        raise bad(field, value, "a number of 0 or more")
    return amount


def timestamp(value: Any, field: str) -> str:
    """An ISO-8601 date-time with a UTC offset, stored as sent."""
    if not isinstance(value, str) or parse_stamp(value) is None:
        raise bad(field, value, f"an ISO-8601 date-time with an offset, e.g. {STAMP_EXAMPLE}")
    return value


def optional_timestamp(value: Any, field: str) -> str | None:
    return None if value is None else timestamp(value, field)


def timezone(value: Any, field: str) -> str:
    """An IANA time zone name such as "Etc/UTC" or "Europe/Stockholm"."""
    if not isinstance(value, str) or not _known_zone(value):
        raise bad(field, value, 'an IANA time zone name such as "Etc/UTC"')
    return value


def aggregation_check(types: tuple[str, ...]) -> Check:
    """``{"type": one of types}``."""

    def check(value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise bad(field, value, 'an object such as {"type": "sum"}')
        kind = value.get("type")
        if kind not in types:
            raise bad(f"{field}.type", kind, f"one of {', '.join(types)}")
        return dict(value)

    return check


def schedule(value: Any, field: str) -> dict[str, str]:
    """Cron-like strings for minute, hour, day ("L": last day of month), month, weekday."""
    if not isinstance(value, dict):
        raise bad(field, value, "an object with minute, hour, day, month and weekday")
    cleaned: dict[str, str] = {}
    for part, maximum in SCHEDULE_MAXIMA.items():
        path = f"{field}.{part}"
        if part not in value:
            raise UEError(400, f"{path} is required")
        raw = value[part]
        ok = isinstance(raw, str) and (
            (part == "day" and raw == "L")
            or (CRON_FIELD.match(raw) is not None and _within(raw, maximum))
        )
        if not ok:
            example = '"1", "*" or "L"' if part == "day" else '"0", "*" or "1-5"'
            raise bad(path, raw, f"a cron field such as {example}")
        cleaned[part] = raw
    return cleaned


def thresholds(value: Any, field: str) -> list[dict[str, Any]] | None:
    """``[{"name", "capacityPercentage" or "absoluteValue", "customFields"?}]`` or null."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad(field, value, "an array of thresholds")
    cleaned = []
    for index, item in enumerate(value):
        path = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise bad(path, item, "an object")
        text(item.get("name"), f"{path}.name")
        limits = [key for key in ("capacityPercentage", "absoluteValue") if key in item]
        if len(limits) != 1:
            raise UEError(400, f"{path} needs exactly one of capacityPercentage, absoluteValue")
        number(item[limits[0]], f"{path}.{limits[0]}")
        if "customFields" in item:
            custom_fields(item["customFields"], f"{path}.customFields")
        cleaned.append(dict(item))
    return cleaned


def custom_fields(value: Any, field: str) -> dict[str, Any]:
    """An object of plain values (string, number, boolean or null)."""
    if not isinstance(value, dict) or not all(
        v is None or isinstance(v, str | int | float | bool) for v in value.values()
    ):
        raise bad(field, value, "an object of plain values (string, number, boolean, null)")
    return dict(value)


def _within(raw: str, maximum: int) -> bool:
    return all(int(number) <= maximum for number in re.findall(r"\d+", raw.split("/")[0]))


def _known_zone(name: str) -> bool:
    if name in ("UTC", "Etc/UTC"):
        return True
    if not ZONE_NAME.match(name):
        return False
    if not _zone_database():
        return True  # no tz database on this machine: the name's shape is all we can check
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone_database() -> bool:
    try:
        zoneinfo.ZoneInfo("Europe/London")
    except zoneinfo.ZoneInfoNotFoundError:
        return False
    return True
