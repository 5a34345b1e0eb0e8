"""What a number stored in an XLSX cell reads as: a number, a date, a time or a duration.

A cell stores a number (an Excel serial for dates); its style's number format says how
Excel shows it. The rules follow calamine's, which rowpush used before reading XLSX
itself, so that a sheet reads the same as it did:

- built-in formats 14-22, 45 and 47 are dates or times, 46 (`[h]:mm:ss`) a duration;
  a custom format is a date when its first section holds d, m, y, h or s outside
  quotes, escapes and brackets, and a duration when it holds `[h]`, `[mm]` or `[ss]`;
- a date-formatted serial becomes a `date` when whole, a `datetime` otherwise, and
  the time of day "HH:MM:SS" when under 1; milliseconds are rounded as Excel does;
  a serial beyond years 1-9999 reads as the plain number;
- a duration becomes "H:MM:SS" (hours may exceed 24);
- any other number: "12" for whole numbers, else up to 15 significant digits.

Light on purpose (stdlib only).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from enum import IntEnum

from rowpush.model import CellValue
from rowpush.sheets.cells import text_of

__all__ = [
    "NumberKind",
    "builtin_kind",
    "format_kind",
    "number_text",
    "serial_value",
]


class NumberKind(IntEnum):
    """How a cell style shows a number."""

    PLAIN = 0
    DATETIME = 1
    DURATION = 2


_BUILTIN = {**dict.fromkeys((*range(14, 23), 45, 47), NumberKind.DATETIME), 46: NumberKind.DURATION}
_EPOCH = datetime(1899, 12, 30)
_MS_PER_DAY = 86_400_000
# Days between the 1900 and the 1904 date systems (a Mac workbook may use the latter).
_DAYS_1904 = 1462.0
# Days either side of 1900 that calamine's dates reach (years -262,144 to 262,143).
_FAR_DAYS = 95_000_000


def builtin_kind(fmt_id: str) -> NumberKind:
    """The kind of a built-in number format, by its id ("14" is a date)."""
    try:
        return _BUILTIN.get(int(fmt_id), NumberKind.PLAIN)
    except ValueError:
        return NumberKind.PLAIN


def format_kind(code: str) -> NumberKind:
    """The kind of a custom number format code ("yyyy-mm-dd" is a date)."""
    escaped = quoted = hms = ap = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False  # the character after \ _ * is a literal
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return NumberKind.PLAIN  # only the first section counts
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return NumberKind.DURATION
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not ap and brackets == 0:
            ap = True
        elif brackets == 0 and (ch in "pm/PM" if ap else ch in "dmhysDMHYS"):
            return NumberKind.DATETIME
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return NumberKind.PLAIN


def number_text(value: float) -> str:
    """The text of a plain number ("12.0" → "12")."""
    return text_of(value)


def serial_value(value: float, kind: NumberKind, date1904: bool) -> CellValue:
    """A date- or duration-formatted number as a `RawRow` value (see the module docstring).

    Raises `OverflowError` for a duration no Python timedelta holds.
    """
    if kind is NumberKind.DURATION:
        return text_of(timedelta(milliseconds=_round(value * _MS_PER_DAY)))
    days = value + _DAYS_1904 if date1904 else value
    if days < 60:
        days += 1  # Excel counts a 29 February 1900 that never was
    if value < 1:
        # The time of day alone, whatever the (maybe absurd) date: as calamine does.
        if not abs(days) < _FAR_DAYS:
            return text_of(value)
        ms = _round(days * _MS_PER_DAY) % _MS_PER_DAY
        seconds, milli = divmod(ms, 1000)
        return text_of(time(seconds // 3600, seconds // 60 % 60, seconds % 60, milli * 1000))
    try:
        moment = _EPOCH + timedelta(milliseconds=_round(days * _MS_PER_DAY))
    except OverflowError:
        return text_of(value)
    if value == math.floor(value):
        return moment.date()
    return moment


def _round(x: float) -> int:
    # Half away from zero, as Rust's f64::round (Python's round() goes to even).
    if not math.isfinite(x):
        raise OverflowError(x)
    return int(math.copysign(math.floor(abs(x) + 0.5), x))
