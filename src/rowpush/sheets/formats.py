"""What kind of values a written column holds, and how an XLSX cell shows that kind.

A column's `ColumnKind` comes from the type of the field behind it (`kind_of`); the
XLSX writer gives each of its cells the kind's number format and the value typed for
it (`cell_value`), so that:

- a text column (ids such as accountsid, phone numbers) is in Excel's Text format
  `@`: a value typed there later keeps its leading zeros;
- a date or date-time column holds real date cells (a date format, not ISO text);
- a whole-number column (an id) holds numbers, even when the API sent "1043".

Stdlib only, like `cells`: any writer may use it (the results writer too):

    kind = kind_of(int | None)                          # ColumnKind.INTEGER
    cell.number_format = number_format(kind) or "General"
    cell.value = cell_value(kind, "1043")               # 1043
    sheet.auto_filter.ref = autofilter_ref(columns=6, last_row=120)   # "A1:F120"
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from rowpush.model import column_letter

__all__ = [
    "ColumnKind",
    "autofilter_ref",
    "cell_value",
    "kind_of",
    "naive_utc",
    "number_format",
]


class ColumnKind(enum.StrEnum):
    """The kind of values a column holds, as far as a spreadsheet cares."""

    GENERAL = "general"
    """Unknown or mixed: Excel's General format, values written as they are."""
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


_FORMATS: dict[ColumnKind, str] = {
    ColumnKind.TEXT: "@",
    ColumnKind.INTEGER: "0",
    ColumnKind.DATE: "yyyy-mm-dd",
    ColumnKind.DATETIME: "yyyy-mm-dd hh:mm:ss",
}

# JSON-schema `format` values (a field's json_schema_extra) that make a text field a moment.
_SCHEMA_FORMATS = {"date": ColumnKind.DATE, "date-time": ColumnKind.DATETIME}


def number_format(kind: ColumnKind) -> str | None:
    """The XLSX number format of a kind's cells; None for General."""
    return _FORMATS.get(kind)


def autofilter_ref(columns: int, last_row: int) -> str:
    """The autofilter range of a table whose header is row 1: `A1:F120`."""
    return f"A1:{column_letter(max(columns, 1) - 1)}{max(last_row, 1)}"


def kind_of(annotation: Any, extra: Mapping[str, Any] | None = None) -> ColumnKind:
    """The kind of a field's column, from its type (`int | None` → INTEGER).

    `extra` is the field's `json_schema_extra`: `{"format": "date-time"}` (or "date")
    marks a text field that holds a moment as ISO text (Usage Engine's activeFrom).
    """
    wanted = (extra or {}).get("format")
    if isinstance(wanted, str) and wanted in _SCHEMA_FORMATS:
        return _SCHEMA_FORMATS[wanted]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return kind_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        inner = {kind_of(a) for a in typing.get_args(annotation) if a is not type(None)}
        return inner.pop() if len(inner) == 1 else ColumnKind.GENERAL
    if origin is Literal:
        kinds = {_kind_of_type(type(a)) for a in typing.get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else ColumnKind.GENERAL
    return _kind_of_type(annotation)


def _kind_of_type(annotation: Any) -> ColumnKind:
    if not isinstance(annotation, type):
        return ColumnKind.GENERAL
    # Order matters: bool is an int, datetime is a date, a str enum is a str.
    if issubclass(annotation, bool):
        return ColumnKind.BOOLEAN
    if issubclass(annotation, enum.Enum):
        return ColumnKind.TEXT if issubclass(annotation, str) else ColumnKind.GENERAL
    if issubclass(annotation, str):
        return ColumnKind.TEXT
    if issubclass(annotation, int):
        return ColumnKind.INTEGER
    if issubclass(annotation, float | Decimal):
        return ColumnKind.NUMBER
    if issubclass(annotation, datetime):
        return ColumnKind.DATETIME
    if issubclass(annotation, date):
        return ColumnKind.DATE
    return ColumnKind.GENERAL


def naive_utc(moment: datetime) -> datetime:
    """A datetime for a cell: Excel has no time zones, so an aware one becomes UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def cell_value(kind: ColumnKind, value: object) -> object:
    """`value` typed for a column of `kind`; a value that does not fit is left as it is.

    ISO text in a date column becomes a date, in a date-time column a datetime (aware
    ones in UTC); a number in a text column becomes its text; "1043" in a whole-number
    column becomes 1043.
    """
    if value is None or value == "" or kind is ColumnKind.GENERAL:
        return value
    if kind is ColumnKind.TEXT:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, date):  # a datetime too: as the reader reads it back
            return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
        if isinstance(value, int | Decimal) or (isinstance(value, float) and value.is_integer()):
            return str(int(value)) if not isinstance(value, Decimal) else str(value)
        return value
    if kind is ColumnKind.INTEGER:
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if kind is ColumnKind.DATE:
        return _as_date(value)
    if kind is ColumnKind.DATETIME:
        return _as_datetime(value)
    return value


def _as_date(value: object) -> object:
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else naive_utc(value)
    if isinstance(value, date) or not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return moment.date() if moment.time() == time() else naive_utc(moment)


def _as_datetime(value: object) -> object:
    if isinstance(value, datetime):
        return naive_utc(value)
    if not isinstance(value, str):
        return value
    try:
        return naive_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return value
