"""What one cell holds, as text, and how to write text that must never become a formula.

Light on purpose (stdlib only): the reader, the CSV writer and the XLSX writer all
use it.

Formula safety: a string that begins with `=`, `+`, `-`, `@`, tab or CR can turn
into a formula when a spreadsheet program opens the file (CSV injection). The XLSX
writer stores such strings as explicit text cells; the CSV writer prefixes them
with a single quote. A plain number such as `-5` or `+1.5` is exempt: it cannot
become a formula, and quoting it would corrupt an exported negative amount.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

__all__ = [
    "EXACT_INT_LIMIT",
    "EXCEL_ERRORS",
    "MAX_CELL_CHARS",
    "TITLE_LIMIT",
    "csv_safe",
    "excel_serial",
    "fit_widths",
    "is_formula_like",
    "needs_text_cell",
    "page_title",
    "text_of",
    "xlsx_safe_text",
]

#: Characters that make a spreadsheet program read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The error values Excel writes; openpyxl turns a string equal to one into an error cell.
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})

#: Excel refuses (asks to "repair") a cell holding more characters than this.
MAX_CELL_CHARS = 32_767
#: Excel's longest sheet title.
TITLE_LIMIT = 31
#: Excel shows 15 significant digits; a longer integer (an id) is written as text.
EXACT_INT_LIMIT = 10**15

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Control characters the XLSX format cannot hold (tab, LF and CR are allowed).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


#: Day 0 of Excel's date serials (the 1900 system: 1 is 1900-01-01, counting Excel's
#: phantom 1900-02-29, so serials from 61 on, 1900-03-01, land on the right day).
EXCEL_EPOCH = datetime(1899, 12, 30)
#: The last serial Excel shows as a date (9999-12-31).
EXCEL_LAST_SERIAL = 2_958_465
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")


def excel_serial(text: str) -> datetime | None:
    """The moment an Excel date serial names ("46000" → 2025-12-09, "46000.5" → noon of
    it), to the second; None when `text` is not one. A date cell formatted as General,
    or pasted as a number, reads as its serial: only a date column should ask this."""
    text = text.strip()
    if not _SERIAL.fullmatch(text):
        return None
    days = float(text)
    if not 1 <= days < EXCEL_LAST_SERIAL + 1:
        return None
    return EXCEL_EPOCH + timedelta(seconds=round(days * 86_400))


def is_formula_like(text: str) -> bool:
    """True when `text` would be read as a formula by a spreadsheet program.

    That is: it starts with `=`, `+`, `-`, `@`, tab or CR, and it is not a plain
    number (`-5`, `+1.5`, `-2e3` are numbers, never formulas).
    """
    if not text.startswith(FORMULA_TRIGGERS):
        return False
    return _PLAIN_NUMBER.fullmatch(text) is None


def csv_safe(text: str) -> str:
    """The text to write in a CSV cell: formula-like text gets a leading `'`."""
    return "'" + text if is_formula_like(text) else text


def csv_unescape(text: str) -> str:
    """`csv_safe` undone: a CSV rowpush wrote reads back as the values it holds."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


def needs_text_cell(text: str) -> bool:
    """True when an XLSX writer must mark this string as text explicitly.

    openpyxl turns a string starting with `=` into a formula and a string equal
    to an Excel error (`#N/A`) into an error cell; both must stay text.
    """
    return is_formula_like(text) or text in EXCEL_ERRORS


def xlsx_safe_text(text: str) -> str:
    """`text` made storable in an XLSX cell.

    Line breaks become LF, as Excel stores them (XML readers turn a bare CR into
    LF anyway); control characters XML cannot hold become U+FFFD (so the loss is
    visible); text beyond Excel's 32,767 characters is cut with a trailing `…`.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ILLEGAL_XML.sub("\ufffd", text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def text_of(value: object) -> str:
    """The text a person reads in a cell holding `value`.

    Whole numbers lose their `.0` ("12"), other numbers show at most 15
    significant digits as Excel does ("0.3", not "0.30000000000000004"),
    booleans are "TRUE"/"FALSE", dates and datetimes are ISO 8601, a time is
    "HH:MM:SS", a duration "H:MM:SS" (hours may exceed 24), None is "".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _float_text(float(value)) if not value.is_finite() else format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        return _rounded_time(value).isoformat()
    if isinstance(value, timedelta):
        return _duration_text(value)
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e21:
        if abs(value) < 1e15:
            return str(int(value))
        # Digits past the 15th are binary noise: Excel keeps and shows 15.
        return str(int(Decimal(f"{value:.15g}")))
    return f"{value:.15g}"


def _rounded_time(value: time) -> time:
    # Excel stores a time as a fraction of a day; float noise shows up as microseconds.
    seconds = round(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)
    seconds = min(seconds, 86_399)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _duration_text(value: timedelta) -> str:
    total = round(value.total_seconds())
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02}:{seconds:02}"


def fit_widths(
    headers: Sequence[str],
    sample: Sequence[Sequence[object]],
    bounds: tuple[int, int],
    *,
    header: bool,
) -> list[float]:
    """Column widths (in characters) fitting the headers and a sample of rows, within
    `bounds`; a header gets room for bold text and the filter's or dropdown's arrow."""
    low, high = bounds
    longest = [_display_len(h) + (4 if header else 0) for h in headers]
    for row in sample:
        for index, value in enumerate(row[: len(longest)]):
            longest[index] = max(longest[index], _display_len(value))
    return [float(min(high, max(low, n + 2))) for n in longest]


def _display_len(value: object) -> int:
    if isinstance(value, datetime) and value.tzinfo is None:
        return 19  # a date cell shows yyyy-mm-dd hh:mm:ss
    return max((len(line) for line in text_of(value).splitlines()), default=0)


def page_title(title: str, page: int) -> str:
    """The title of a table's `page`-th sheet: "Results", then "Results (2)", … cut so
    that the number fits Excel's 31 characters."""
    if page == 1:
        return title
    suffix = f" ({page})"
    return title[: TITLE_LIMIT - len(suffix)] + suffix
