"""The checks one measurement gets: its shape at request time, its content after acceptance.

Maps ``who``/``where``/``what``/``other``/``metadata`` carry strings and ``measure``/
``cost``/``income`` numbers, keyed by the meter's data-field codes of that category.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rowpush.sandbox.m3ter.fields import is_number, shown
from rowpush.sandbox.m3ter.wallclock import parse_timestamp

MAP_CATEGORIES = {
    "who": "WHO",
    "where": "WHERE",
    "what": "WHAT",
    "other": "OTHER",
    "metadata": "METADATA",
    "measure": "MEASURE",
    "cost": "COST",
    "income": "INCOME",
}
NUMERIC_MAPS = frozenset({"measure", "cost", "income"})
REQUIRED = ("meter", "account", "ts")
KNOWN_KEYS = frozenset({"uid", *REQUIRED, "ets", *MAP_CATEGORIES})

MeterLookup = Callable[[str], dict[str, Any] | None]


def shape_problem(item: Any, index: int) -> str | None:
    """Why ``item`` is not a measurement at all (no string meter/account/ts), or None."""
    where = f"measurements[{index}]"
    if not isinstance(item, dict):
        return f"{where} must be an object"
    for name in REQUIRED:
        if name not in item or item[name] is None:
            return f"{where}.{name} is required"
        if not isinstance(item[name], str) or not item[name]:
            return f"{where}.{name} must be a non-empty string"
    return None


def content_problems(item: Any, meter_by_code: MeterLookup) -> list[str]:
    """Every reason the accepted ``item`` is invalid; empty when it can be stored."""
    shape = shape_problem(item, 0)
    if shape is not None:
        return [shape.replace("measurements[0]", "measurement")]
    errors: list[str] = []
    for name in ("ts", "ets"):
        value = item.get(name)
        if value is not None and not (isinstance(value, str) and parse_timestamp(value)):
            errors.append(f"{name} {shown(value)} is not an ISO-8601 date-time")
    uid = item.get("uid")
    if uid is not None and not isinstance(uid, str):
        errors.append(f"uid must be a string, got {shown(uid)}")
    meter = meter_by_code(item["meter"])
    if meter is None:
        errors.append(f"Meter {shown(item['meter'])} does not exist")
        return errors
    codes: dict[str, set[str]] = {}
    for data_field in meter["dataFields"]:
        codes.setdefault(data_field["category"], set()).add(data_field["code"])
    for key, category in MAP_CATEGORIES.items():
        if key in item:
            errors += _map_problems(key, item[key], codes.get(category, set()), meter["code"])
    return errors


def _map_problems(key: str, value: Any, codes: set[str], meter: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{key} must be an object, got {shown(value)}"]
    errors: list[str] = []
    for code, amount in value.items():
        if code not in codes:
            errors.append(f"{key}.{code} is not a {key.upper()} data field of meter {meter!r}")
        elif key in NUMERIC_MAPS and not is_number(amount):
            errors.append(f"{key}.{code} must be a number, got {shown(amount)}")
        elif key not in NUMERIC_MAPS and not isinstance(amount, str):
            errors.append(f"{key}.{code} must be a string, got {shown(amount)}")
    return errors
