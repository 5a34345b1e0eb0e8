"""The shared nouns of rowpush: every layer speaks in these.

A sheet is read into `RawRow`s, validated into typed rows or `RowError`s,
planned into `Change`s, and applied into `Outcome`s. Nothing here imports
anything of rowpush: this is the bottom layer.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Action",
    "CellValue",
    "Change",
    "Outcome",
    "RawRow",
    "RowError",
    "Status",
    "column_letter",
    "key_text",
    "now",
    "show_value",
    "use_clock",
]

#: What a cell holds once read: text, or a date/datetime for Excel date cells.
#: A blank cell is the empty string.
CellValue = str | date | datetime


class Action(StrEnum):
    """What the plan decided for a row."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


class Status(StrEnum):
    """What finally happened to a row; the `_status` column of a results workbook."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    INVALID = "invalid"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"
    """Sent, but whether it landed could not be told (no answer, no live lookup)."""
    STALE = "stale"
    """Not sent: the record changed since the saved plan was made (engine/saved_plan.py)."""


# RawRow and Outcome are made once per row, a million times in a big run: not frozen,
# as a frozen dataclass's __init__ costs four times as much (nothing assigns to them).
@dataclass(slots=True)
class RawRow:
    """One data row of a sheet as written: header text → cell value.

    `row` is the 1-based row number in the source file (the header is row 1
    when it is the first line), so messages point where the user looks.
    """

    row: int
    values: dict[str, CellValue]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row (or with the sheet as a whole when `row` is None)."""

    message: str
    row: int | None = None
    column: str | None = None
    """Column letter, e.g. "C"."""
    header: str | None = None
    value: str | None = None
    expected: str | None = None
    """What would have been accepted, phrased for a person."""
    warning: bool = False
    """A warning does not make the row invalid (e.g. an ignored unknown column)."""
    problem: str = ""
    """The problem alone, without the place (for tables that show the place in columns)."""

    def where(self) -> str:
        """`row 7, column C (item_tax_code)` — the place, as a person reads it."""
        parts: list[str] = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.header is not None:
                col += f" ({self.header})"
            parts.append(col)
        elif self.header is not None:
            parts.append(f"column {self.header!r}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "value": self.value,
            "message": self.message,
            "expected": self.expected,
            "warning": self.warning,
            "problem": self.problem,
        }


@dataclass(slots=True)
class Change:
    """The plan for one row.

    `fields` maps each changed field (by its header) to `(old, new)`; for a
    create `old` is None. `payload` is what the target will send, in the API's
    own field names. `label` is a human name for the record (e.g. the client
    name) used in summaries.
    """

    row: int
    action: Action
    key: Any = None
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    label: str | None = None
    lead: int | None = None
    """For a record spread over several rows (a meter, a row per data field): the row
    that carries the record's change; this row shares its outcome and sends nothing."""
    wire: bytes | None = None
    """`payload` as it goes on the wire (compact JSON, targets/wire.py), once encoded:
    plan measures it, the journal stores it and a batch body joins it, one encoding."""
    stale: str | None = None
    """Set when a saved plan is applied and this row's record moved since: why it is not
    sent (the field, as planned and as live now). The row ends `stale`."""


@dataclass(slots=True)
class Outcome:
    """What happened to one row when applied."""

    row: int
    status: Status
    http_status: int | None = None
    message: str = ""
    remote_id: str | None = None
    at: datetime | None = None


def key_text(key: Any) -> str | None:
    """A key as a person reads it: 12, ACME-001, or CT-128356/emartin for composite keys."""
    if key is None:
        return None
    if isinstance(key, list | tuple):
        return "/".join(str(part) for part in key)
    return str(key)


def show_value(value: Any) -> str:
    """A cell value as a person reads it in a plan: strings quoted, None as (blank)."""
    if value is None:
        return "(blank)"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letter (0 → A, 26 → AA)."""
    if index < 0:
        raise ValueError(index)
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _wall_clock


def now() -> datetime:
    """The time every `_at`, journal and Summary time is stamped with (UTC, whole
    seconds): one clock, so that a test can pin them all (`use_clock`)."""
    return _clock().astimezone(UTC).replace(microsecond=0)


@contextlib.contextmanager
def use_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Stamp times with `clock` instead of the wall clock while the block runs."""
    global _clock
    before, _clock = _clock, clock
    try:
        yield
    finally:
        _clock = before
