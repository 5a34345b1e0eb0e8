"""Excel date serials in date columns: 46000 in a `ts` column means 2025-12-09.

A date cell formatted as General (or pasted as a number) reaches rowpush as its serial.
pydantic would read "46000" as seconds since 1970 and ingest 1970-01-01; so a serial in
a column typed date or datetime, and only there, becomes the date it names.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from rowpush.sheets.cells import excel_serial

if TYPE_CHECKING:
    from rowpush.targets.base import Target

__all__ = ["date_fields", "dated"]


def dated(target: type[Target], alias: str, value: Any) -> Any:
    """`value` of the column `alias`: an Excel serial in a date or datetime column as that
    date (text pydantic reads), anything else as it is."""
    if not isinstance(value, str):
        return value
    kind = date_fields(target).get(alias)
    if kind is None:
        return value
    moment = excel_serial(value)
    if moment is None:
        return value
    if kind is date and moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


@cache
def date_fields(target: type[Target]) -> dict[str, type]:
    """Column alias → date or datetime, for the Row fields typed so (optional or not)."""
    found: dict[str, type] = {}
    for name, info in target.Row.model_fields.items():
        kind = _date_kind(info.annotation)
        if kind is not None:
            found[info.alias or name] = kind
    return found


def _date_kind(annotation: Any) -> type | None:
    if annotation is datetime:
        return datetime
    if annotation is date:
        return date
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {k for a in get_args(annotation) if (k := _date_kind(a)) is not None}
        return datetime if datetime in kinds else next(iter(kinds), None)
    return None
