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
MapCodes = dict[str, frozenset[str]]
"""A meter's data-field codes by measurement map (``"measure"`` -> its MEASURE codes)."""


def shape_problem(item: Any, index: int) -> str | None:
    """Why ``item`` is not a measurement at all (no string meter/account/ts), or None."""
    if not isinstance(item, dict):
        return f"measurements[{index}] must be an object"
    for name in REQUIRED:
        if name not in item or item[name] is None:
            return f"measurements[{index}].{name} is required"
        if not isinstance(item[name], str) or not item[name]:
            return f"measurements[{index}].{name} must be a non-empty string"
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


def map_codes(meter: dict[str, Any]) -> MapCodes:
    """The codes each map of a measurement of ``meter`` may use."""
    codes: dict[str, set[str]] = {}
    for data_field in meter["dataFields"]:
        codes.setdefault(data_field["category"], set()).add(data_field["code"])
    return {key: frozenset(codes.get(category, ())) for key, category in MAP_CATEGORIES.items()}


def quick_valid(item: Any, codes_of: Callable[[str], MapCodes | None]) -> bool:
    """True when ``content_problems`` would find nothing in ``item``, checked in one cheap
    pass; False when it may find something (then ask it, for the messages)."""
    if type(item) is not dict:
        return False
    meter, account, ts = item.get("meter"), item.get("account"), item.get("ts")
    if type(meter) is not str or type(account) is not str or type(ts) is not str:
        return False
    if not (meter and account and ts) or parse_timestamp(ts) is None:
        return False
    ets, uid = item.get("ets"), item.get("uid")
    if ets is not None and (type(ets) is not str or parse_timestamp(ets) is None):
        return False
    if uid is not None and type(uid) is not str:
        return False
    codes = codes_of(meter)
    if codes is None:
        return False
    for key, value in item.items():
        allowed = codes.get(key)
        if allowed is None or value is None:
            continue  # not a map, or a null one
        if type(value) is not dict or not allowed.issuperset(value):
            return False
        wanted = _NUMBER_TYPES if key in NUMERIC_MAPS else _TEXT_TYPES
        for amount in value.values():
            if type(amount) not in wanted:
                return False
    return True


_NUMBER_TYPES = (int, float)  # exact types: a JSON true is a bool, not a number
_TEXT_TYPES = (str,)
