"""Plain text for the results screen: a result row's cells and detail, the Summary, no Textual.

Kept apart from the screen so the screen only draws and the wording is testable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from rowpush.engine.results_reader import RETRIED_STATUSES, ResultRow
from rowpush.model import CellValue, Status

__all__ = [
    "FILTER_KEYS",
    "RARE_FILTER_KEYS",
    "STATUS_STYLE",
    "cell_text",
    "detail_lines",
    "nothing_to_retry",
    "one_line",
    "pick_connection_question",
    "retryable",
    "summary_lines",
    "tally",
]

#: Rich style per final status, shared by the table, the counters and the Summary panel.
STATUS_STYLE: dict[Status, str] = {
    Status.CREATED: "green",
    Status.UPDATED: "yellow",
    Status.UNCHANGED: "bright_black",
    Status.FAILED: "bold red",
    Status.INVALID: "red",
    Status.SKIPPED: "orchid",
    Status.UNKNOWN: "orchid",
    Status.STALE: "dark_orange",
}

#: The key that filters the table to a status ("all" shows every row).
FILTER_KEYS: dict[str, str] = {
    "all": "a",
    Status.CREATED.value: "c",
    Status.UPDATED.value: "u",
    Status.UNCHANGED.value: "n",
    Status.FAILED.value: "f",
    Status.INVALID.value: "i",
    Status.SKIPPED.value: "s",
    Status.UNKNOWN.value: "k",
}
#: Keys of statuses that only some runs have (shown and bound only when present).
RARE_FILTER_KEYS: dict[str, str] = {Status.STALE.value: "t"}


def one_line(text: str) -> str:
    """Line breaks and runs of spaces folded to one space (for a table cell)."""
    return " ".join(text.split())


def cell_text(value: CellValue) -> str:
    """An input cell as a person reads it: dates in ISO form, a blank cell as (blank)."""
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if value == "":
        return "(blank)"
    return value.replace("\r\n", "\n").replace("\n", " ⏎ ")


def detail_lines(result: ResultRow) -> list[str]:
    """The detail pane for one row: its outcome in full, then every input column."""
    head = f"Row {result.row} · {result.status.value}"
    if result.http_status is not None:
        head += f" · HTTP {result.http_status}"
    lines = [head]
    lines.append(f"Message: {result.message}" if result.message else "Message: (none)")
    lines.append(f"Remote id: {result.remote_id or '(none)'}")
    lines.append(f"At: {result.at or '(not sent)'}")
    lines.append("")
    lines += [f"{header}: {cell_text(value)}" for header, value in result.values.items()]
    return lines


def summary_lines(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The Summary sheet as aligned `field  value` lines; a blank pair stays a blank line."""
    width = max((len(k) for k, _ in pairs), default=0)
    return [f"{k:<{width}}  {v}".rstrip() if k or v else "" for k, v in pairs]


def tally(counts: dict[Status, int], results: Iterable[ResultRow]) -> None:
    """Add `results` to `counts` (rows per status), in place."""
    for result in results:
        counts[result.status] += 1


def retryable(counts: dict[Status, int]) -> int:
    """Rows `retry` would send again: failed, skipped and unknown ones."""
    return sum(counts[s] for s in RETRIED_STATUSES)


def nothing_to_retry(file: str) -> str:
    return f"Nothing to retry in {file}: no row failed, was skipped or has an unknown outcome."


def pick_connection_question(file: str, connection: str | None) -> str:
    """What the connection picker asks when the workbook's connection is not configured."""
    if connection is None:
        why = f"{file} does not say which connection it used."
    else:
        why = f"{file} was written on connection '{connection}', which is not configured here."
    return f"{why}\nRetry the failed rows on which connection? (escape cancels)"
