"""The one equality rule of plan: a sheet value against a live one, as the column's type.

JSON answers are loosely typed: an id comes as `12`, `12.0` or `"12"`, a time as an ISO
string, a price as `"2.5"`. The live value is typed by the column's own type (the Row
field's annotation, in pydantic's lax mode) before it is compared, so `Decimal("2.50")`
equals `"2.5"`, a datetime equals the same moment written in ISO, and `12` equals `12.0`.
A live value the type refuses, and a column without a declared type (a custom field),
compare as numbers when both read as numbers, else as text. Blank equals missing.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = ["is_blank", "same_value", "typed_like"]


def is_blank(value: Any) -> bool:
    """None and the empty string both mean "no value"."""
    return value is None or value == ""


def same_value(model: type[BaseModel], field: str, new: Any, old: Any) -> bool:
    """Whether the sheet's `new` value of `field` equals the live `old` one."""
    if is_blank(new) or is_blank(old):
        return is_blank(new) and is_blank(old)
    old = typed_like(model, field, old)
    if isinstance(new, bool) or isinstance(old, bool):
        return isinstance(new, bool) and isinstance(old, bool) and new == old
    if isinstance(new, datetime) and isinstance(old, datetime):
        return _aware(new) == _aware(old)
    if type(new) is type(old) or (isinstance(new, date) and isinstance(old, date)):
        return bool(new == old)
    left, right = _number(new), _number(old)
    if left is not None and right is not None:
        return left == right
    return _text(new) == _text(old)


def typed_like(model: type[BaseModel], field: str, value: Any) -> Any:
    """`value` as the type of `model`'s `field` (unchanged when the type refuses it)."""
    adapter = _adapter(model, field)
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return value


@functools.cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any] | None:
    info = model.model_fields.get(field)
    if info is None or info.annotation is None:
        return None
    # the bare annotation: a live value is typed, not checked against the sheet's limits
    return TypeAdapter(info.annotation)


def _aware(moment: datetime) -> datetime:
    # A time without a zone is read as UTC, as the targets send it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
