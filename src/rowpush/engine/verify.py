"""Verify: is each change a run made still in place? Read back from the live records.

The rows a results workbook says were created or updated are planned again, as they
were sent, against the live records (in bulk: the target's `fetch_live` over chunks
of keys, as plan does). A row that plans as unchanged `holds`; one that would be an
update is `changed since` (with the live value of each field that moved); one whose
record no longer exists is `gone`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rowpush.engine.connect import connect
from rowpush.engine.results_reader import ResultRow, ResultsBook, open_results
from rowpush.engine.results_view import (
    CHANGED,
    ResultsView,
    key_header,
    keyed_target,
    prepared_view,
    with_key,
)
from rowpush.engine.results_writer import Verdicts
from rowpush.model import Action, CellValue, Change, key_text, show_value

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.targets.base import Target

__all__ = ["HOLDS", "Check", "Verification", "verify_book", "verify_results", "verify_with"]

HOLDS = "holds"
CHANGED_SINCE = "changed since"
GONE = "gone"
UNCHECKED = "cannot check"


@dataclass(frozen=True)
class Check:
    """What verify found for one row."""

    row: int
    key: str | None
    verdict: str
    """holds, changed since, gone, or cannot check."""
    live: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """For `changed since`: header → (live value now, value the run set)."""
    why: str = ""

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS

    def text(self) -> str:
        """`changed since: item_tax_code is now 3 (the run set 2)`, `gone: …`, `holds`."""
        if self.verdict == CHANGED_SINCE:
            moved = "; ".join(
                f"{h} is now {show_value(now)} (the run set {show_value(set_)})"
                for h, (now, set_) in self.live.items()
            )
            return f"{CHANGED_SINCE}: {moved}"
        return f"{self.verdict}: {self.why}" if self.why else self.verdict


@dataclass
class Verification:
    """A verify's tally; `verdicts` holds the rows that do not hold, for the results."""

    verdicts: Verdicts = field(default_factory=Verdicts)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((HOLDS, CHANGED_SINCE, GONE, UNCHECKED), 0)
    )

    def add(self, check: Check) -> None:
        self.counts[check.verdict] += 1
        if check.holds:
            self.verdicts.holds += 1
        else:
            self.verdicts.problems[check.row] = check.text()

    @property
    def ok(self) -> bool:
        return all(n == 0 for v, n in self.counts.items() if v != HOLDS)

    def line(self) -> str:
        """`12 holds, 1 changed since, 0 gone`."""
        return ", ".join(f"{n} {v}" for v, n in self.counts.items() if n or v != UNCHECKED)


async def verify_book(
    book: ResultsBook,
    conn: Connection,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
) -> AsyncIterator[Check]:
    """Check each created or updated row of `book` against the live records, in row order."""
    target = keyed_target(book, "verify")(conn)
    async with connect(target, conn, transport=transport, on_event=on_event) as client:
        async for check in verify_with(book, target, client):
            yield check


async def verify_with(
    book: ResultsBook, target: Target, client: httpx.AsyncClient
) -> AsyncIterator[Check]:
    """`verify_book` over a client already open (an apply's own, under its rate limit)."""
    target_cls = keyed_target(book, "verify")
    header = key_header(target_cls)
    headers = book.headers if header in book.headers else [*book.headers, header]

    def applied(result: ResultRow) -> dict[str, CellValue] | None:
        return with_key(target_cls, result) if result.status in CHANGED else None

    prep = prepared_view(book, target_cls, ResultsView(book, headers, applied))
    async for change in prep.changes(target, client):
        yield _check(change, target_cls.create_missing)


def _check(change: Change, create_missing: bool) -> Check:
    key = key_text(change.key)
    if change.action is Action.UNCHANGED:
        return Check(change.row, key, HOLDS)
    if change.action is Action.UPDATE:
        return Check(change.row, key, CHANGED_SINCE, dict(change.fields))
    if change.action is Action.CREATE:  # a key the sheet chose, and no record has it
        return Check(change.row, key, GONE, why=f"no record has the key {key}")
    problems = [e.problem or e.message for e in change.errors if not e.warning]
    if any(p.startswith("no record has") for p in problems):
        return Check(change.row, key, GONE, why=problems[0])
    return Check(change.row, key, UNCHECKED, why="; ".join(problems))


async def verify_results(
    path: Path,
    conn: Connection,
    *,
    on_check: Callable[[Check], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
) -> Verification:
    """Verify a results workbook; `on_check` hears each row as it is checked."""
    found = Verification()
    async for check in verify_book(
        open_results(path), conn, transport=transport, on_event=on_event
    ):
        found.add(check)
        if on_check is not None:
            on_check(check)
    return found
