"""Checks for the values of a Config API body; each raises ``M3terError(400)`` on a bad one.

JSON types are strict (``"5"`` is not a number, ``true`` is not 1), as a Java API with a
typed schema is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from rowpush.sandbox.m3ter.errors import M3terError

FIELD_CODE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]{0,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bad(message: str) -> M3terError:
    return M3terError(400, message)


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def is_number(value: Any) -> bool:
    """A JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def required(body: dict[str, Any], name: str, where: str) -> Any:
    """The value of a required field; missing or null answers 400."""
    if body.get(name) is None:
        raise bad(f"{where}: {name} is required")
    return body[name]


def text(value: Any, name: str, where: str, *, low: int = 1, high: int = 200) -> str:
    """A string of ``low``-``high`` characters."""
    if not isinstance(value, str):
        raise bad(f"{where}: {name} must be a string, got {shown(value)}")
    if not low <= len(value) <= high:
        raise bad(f"{where}: {name} must be {low} to {high} characters long")
    return value


def optional_text(value: Any, name: str, where: str, *, high: int = 200) -> str | None:
    return None if value is None else text(value, name, where, high=high)


def entity_code(value: Any, name: str, where: str) -> str:
    """An entity code: 1-80 printable characters, whitespace only as inner spaces."""
    code = text(value, name, where, high=80)
    if code != code.strip():
        raise bad(f"{where}: {name} must not start or end with whitespace")
    if any(not ch.isprintable() or (ch.isspace() and ch != " ") for ch in code):
        raise bad(f"{where}: {name} must not contain non-printable or whitespace characters")
    return code


def field_code(value: Any, name: str, where: str) -> str:
    """A data field code: up to 80 letters, digits, ``_`` or ``$``, not starting with a digit."""
    code = text(value, name, where, high=80)
    if not FIELD_CODE.match(code):
        raise bad(
            f"{where}: {name} {shown(code)} may hold only letters, digits, '_' and '$' "
            "and must not start with a digit"
        )
    return code


def custom_fields(value: Any, where: str) -> dict[str, str | int | float]:
    """A ``customFields`` map of name -> string or number; null or absent is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad(f"{where}: customFields must be an object, got {shown(value)}")
    for key, item in value.items():
        if not (isinstance(item, str) or is_number(item)):
            raise bad(f"{where}: customFields.{key} must be a string or a number")
    return dict(value)


def email(value: Any, where: str, strict: bool) -> str:
    address = text(value, "emailAddress", where, high=200)
    if strict and not EMAIL.match(address):
        raise bad(f"{where}: emailAddress {shown(address)} is not a valid email address")
    return address


def currency(value: Any, where: str, strict: bool) -> str | None:
    if value is None:
        return None
    code = text(value, "currency", where, high=10)
    if strict and not CURRENCY.match(code):
        raise bad(f"{where}: currency {shown(code)} is not a 3-letter ISO 4217 code")
    return code


def date(value: Any, name: str, where: str, *, strict: bool = True) -> str | None:
    if value is None:
        return None
    day = text(value, name, where, high=30)
    if strict:
        try:
            ok = bool(DATE.match(day)) and dt.date.fromisoformat(day).isoformat() == day
        except ValueError:
            ok = False
        if not ok:
            raise bad(f"{where}: {name} {shown(day)} is not a date (YYYY-MM-DD)")
    return day


def integer(value: Any, name: str, where: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f"{where}: {name} must be a whole number, got {shown(value)}")
    if not low <= value <= high:
        raise bad(f"{where}: {name} must be between {low} and {high}")
    return value


def json_object(value: Any, name: str, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"{where}: {name} must be an object, got {shown(value)}")
    return dict(value)
