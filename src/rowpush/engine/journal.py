"""The journal: an apply's plan and each row's outcome, on disk (SQLite).

`apply` writes every planned Change here first, then sends the pending ones in
row order and records each outcome as it arrives. The results workbook is built
from the journal, so memory stays flat however long the sheet is, and a run that
stops early still knows which rows went.

Row states: pending → sending → done | failed. Rows that need no request
(unchanged, invalid) are written as done with their final status. A row stays
`sending` while its outcome is unclear: the run stopped mid-request, or the
connection dropped before the answer came. Such rows are settled by looking at the
live record (see `engine/settle.py`) before anything is sent again.

A target whose creates are appended and deduplicated by their content (m3ter's
measurements: `Target.batched_journal`) keeps its creates a *batch* to a journal row
instead (table `batches`): the rows as runs of numbers, each payload's wire encoding,
each row's planned remote id, and one state and outcome for the whole batch. A batch
costs one statement whatever its size. Anything that is not one plain outcome for the
whole batch (an unclear answer, a split batch's mixed outcomes, a subset to skip)
first turns the batch back into rows (`_unbatch`), and the rows' machinery takes over.

The `meta` table says which run this is (input file and its SHA-256, target,
connection, results path) so that a later `apply --resume` can continue it.
Every state change is committed (WAL, synchronous=FULL) before the request it
announces goes out, so a crash loses no row's state: one transaction per batch.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rowpush.model import Action, Change, Outcome, RowError, Status, key_text
from rowpush.targets.wire import wire_of

__all__ = ["Journal", "OutcomeRun", "StoredBatch"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    row INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    key TEXT,
    label TEXT,
    fields TEXT NOT NULL,
    payload TEXT NOT NULL,
    errors TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    http_status INTEGER,
    message TEXT NOT NULL DEFAULT '',
    remote_id TEXT,
    at TEXT,
    lead INTEGER
);
CREATE INDEX IF NOT EXISTS rows_lead ON rows (lead) WHERE lead IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
    first INTEGER PRIMARY KEY,
    last INTEGER NOT NULL,
    runs TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    http_status INTEGER,
    message TEXT NOT NULL DEFAULT '',
    at TEXT
);
CREATE TABLE IF NOT EXISTS payloads (
    first INTEGER PRIMARY KEY,
    ids TEXT NOT NULL,
    wires BLOB NOT NULL
);
CREATE VIEW IF NOT EXISTS stored AS
    SELECT batches.*, payloads.ids, payloads.wires FROM batches JOIN payloads USING (first);
"""
# A batch's ids (~40 KB) and wires (~0.5 MB) are written once, in a table of their own:
# SQLite rewrites a whole row to update any column of it, so a batch's state changes
# (`sending`, its answer) would otherwise copy its wires twice more. The `stored` view
# reads a batch with them.

_FINAL_OF_ACTION = {Action.UNCHANGED: Status.UNCHANGED, Action.INVALID: Status.INVALID}
_STATE_OF = {Status.FAILED: "failed", Status.UNKNOWN: "sending"}
_PAGE = 500


class Journal:
    """One apply run's rows and outcomes, in an SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        # large pages: a batch's wires (~0.2 MB) take 4 pages, not 50 (a new file only)
        self._db.execute("PRAGMA page_size=65536")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._leads: bool | None = None

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _write(self, *, sync: bool = True) -> Iterator[None]:
        """One transaction, committed (and synced) at the end: a batch's rows become
        durable together with one fsync. In autocommit mode each statement of an
        `executemany` would be its own transaction, an fsync per row.

        `sync=False` commits without the fsync (the commit survives the process being
        killed, not the machine losing power): for the plan, which a run killed while
        planning makes again from the start, and for outcomes (see `record`). The next
        synced commit makes those durable too."""
        if not sync:
            self._db.execute("PRAGMA synchronous=OFF")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not sync:
                self._db.execute("PRAGMA synchronous=FULL")

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ---------------------------------------------------------------------

    def set_meta(self, **values: str) -> None:
        with self._write():
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items()
            )

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    # -- the plan -----------------------------------------------------------------

    def clear(self) -> None:
        """Forget the plan (a run killed while planning plans again from the start)."""
        with self._write():
            self._db.execute("DELETE FROM rows")
            self._db.execute("DELETE FROM batches")
            self._db.execute("DELETE FROM payloads")

    def add_changes(self, changes: Iterable[Change]) -> None:
        """Record planned changes (call with a chunk at a time)."""
        records = []
        for c in changes:
            final = Status.STALE if c.stale else _FINAL_OF_ACTION.get(c.action)
            message = c.stale or "; ".join(e.message for e in c.errors if not e.warning)
            records.append(
                (
                    c.row,
                    c.action.value,
                    _JSON.encode(c.key),
                    c.label,
                    _fields_json(c.fields),
                    wire_of(c).decode(),  # the payload's one encoding, sent as stored
                    json.dumps([e.to_json() for e in c.errors]) if c.errors else "[]",
                    "done" if final else "pending",
                    final.value if final else None,
                    message,
                    c.lead,
                )
            )
        self._leads = None
        with self._write(sync=False):  # the plan: see `_write`
            self._db.executemany(
                "INSERT OR REPLACE INTO rows (row, action, key, label, fields, payload, errors,"
                " state, status, message, lead) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                records,
            )

    def counts(self) -> dict[str, int]:
        """Planned actions: create / update / unchanged / invalid → count; rows of a saved
        plan whose record moved since count as `stale` (present only when some are)."""
        counts = {a.value: 0 for a in Action}
        for action, n in self._db.execute(
            "SELECT CASE WHEN status = 'stale' THEN 'stale' ELSE action END, COUNT(*)"
            " FROM rows GROUP BY 1"
        ):
            counts[action] = n
        (batched,) = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM batches").fetchone()
        counts[Action.CREATE.value] += batched
        return counts

    def _scan(self, columns: str, where: str = "1") -> Iterator[tuple[Any, ...]]:
        """`SELECT row, columns` in row order, a page at a time (memory stays flat)."""
        last = 0
        while page := self._db.execute(
            f"SELECT row, {columns} FROM rows WHERE ({where}) AND row > ? ORDER BY row LIMIT ?",
            (last, _PAGE),
        ).fetchall():
            yield from page
            last = page[-1][0]

    def pending(self, *, with_fields: bool = False) -> Iterator[Change]:
        """Changes still to send, in row order: their payload, kept as its wire encoding,
        and (only `with_fields`: a saved plan re-checked per batch) their field diffs."""
        for row, action, key, label, payload, fields in self._scan(
            "action, key, label, payload, " + ("fields" if with_fields else "NULL"),
            "state = 'pending' AND lead IS NULL",
        ):
            yield Change(
                row,
                Action(action),
                json.loads(key),
                {k: (o, n) for k, (o, n) in json.loads(fields).items()} if fields else {},
                payload=json.loads(payload),
                label=label,
                wire=payload.encode(),
            )

    def befores(self) -> Iterator[tuple[int, str]]:
        """(row, field diffs as stored JSON) of every update, in row order: the results'
        `_before` column reads the old values off them without decoding whole changes."""
        yield from self._scan("fields", "action = 'update' AND fields != '{}'")

    def changes(self) -> Iterator[Change]:
        """Every planned change with its errors, in row order."""
        rows = (_change(*r) for r in self._scan("action, key, label, fields, payload, errors"))
        batched = (
            replace(c, payload=json.loads(c.wire or b"{}"))
            for _, runs, wires in self._batches("runs, wires")
            for c in _batch_changes(runs, wires)
        )
        yield from _merged(batched, rows)

    def invalid(self) -> Iterator[Change]:
        """The invalid rows with their errors, in row order (batches hold creates only)."""
        for row, *rest in self._scan(
            "action, key, label, fields, payload, errors", "action = 'invalid'"
        ):
            yield _change(row, *rest)

    # -- outcomes -----------------------------------------------------------------

    def _has_leads(self) -> bool:
        """Whether any row follows a lead (a target whose records span rows): only then
        do state changes also go to the rows of each lead."""
        if self._leads is None:
            found = self._db.execute("SELECT 1 FROM rows WHERE lead IS NOT NULL LIMIT 1")
            self._leads = found.fetchone() is not None
        return self._leads

    def mark_sending(self, rows: Iterable[int]) -> None:
        """The batch of `rows` is about to go: one statement per run of consecutive rows."""
        ranges = _runs(rows)
        with self._write():
            self._db.executemany(
                "UPDATE rows SET state = 'sending' WHERE row BETWEEN ? AND ?", ranges
            )
            if self._has_leads():
                self._db.executemany(
                    "UPDATE rows SET state = 'sending' WHERE lead BETWEEN ? AND ?", ranges
                )

    def record(self, outcomes: Iterable[Outcome]) -> None:
        """Store outcomes; an UNKNOWN one leaves its row `sending` (still to be settled)."""
        values = [
            (
                _STATE_OF.get(o.status, "done"),
                None if o.status is Status.UNKNOWN else o.status.value,
                o.http_status,
                o.message,
                o.remote_id,
                o.at.isoformat() if o.at else None,
                o.row,
            )
            for o in outcomes
        ]
        update = (
            "UPDATE rows SET state = ?, status = ?, http_status = ?, message = ?,"
            " remote_id = COALESCE(?, remote_id), at = ? WHERE "
        )
        # No fsync of its own: an outcome lost with the machine leaves its row `sending`,
        # settled by looking before anything is sent again; the next batch's
        # `mark_sending` (synced) and the end of the run make it durable anyway.
        with self._write(sync=False):
            self._db.executemany(update + "row = ?", values)
            if self._has_leads():
                self._db.executemany(update + "lead = ?", values)

    def outcomes(self) -> Iterator[Outcome]:
        """Every row's outcome so far, in row order; rows never sent are `skipped`."""
        for item in self.outcome_blocks():
            if isinstance(item, OutcomeRun):
                yield from item.outcomes()
            else:
                yield item

    def outcome_blocks(self) -> Iterator[Outcome | OutcomeRun]:
        """What `outcomes` says, in row order, with no object per row of a stored batch:
        each run of its consecutive rows comes as one `OutcomeRun` (one outcome for all);
        every other row as its `Outcome`."""
        runs: Iterator[Outcome | OutcomeRun] = self._batch_runs()
        yield from _merged(runs, self._row_outcomes())

    def _batch_runs(self) -> Iterator[OutcomeRun]:
        """Each stored batch's runs of rows, in row order, with the batch's one outcome."""
        for _, runs, ids, state, status, http_status, message, at in self._batches(
            "runs, ids, state, status, http_status, message, at"
        ):
            remote: list[str | None] | None = None
            if state == "sending":  # stopped mid-request: it may or may not have landed
                status, message = Status.UNKNOWN.value, message or _INTERRUPTED
            elif state == "pending" or status is None:
                status, message = Status.SKIPPED.value, message or "not sent"
            else:
                remote = json.loads(ids)
            final = Status(status)
            moment = datetime.fromisoformat(at) if at else None
            spans: list[list[int]] = json.loads(runs)
            start = 0
            for a, b in spans:
                size = b - a + 1
                part = remote if remote is None or len(spans) == 1 else remote[start : start + size]
                start += size
                yield OutcomeRun(a, b, part, final, http_status, message or "", moment)

    def _row_outcomes(self) -> Iterator[Outcome]:
        for row, state, status, http_status, message, remote_id, at, key in self._scan(
            "state, status, http_status, message, remote_id, at, key"
        ):
            if state == "sending":  # stopped mid-request: it may or may not have landed
                status = Status.UNKNOWN.value
                message = message or _INTERRUPTED
            elif state == "pending" or status is None:
                status, message = Status.SKIPPED.value, message or "not sent"
            if remote_id is None and status in ("updated", "unchanged"):
                remote_id = key_text(json.loads(key))
            yield Outcome(
                row,
                Status(status),
                http_status,
                message or "",
                remote_id,
                datetime.fromisoformat(at) if at else None,
            )

    def unsettled(self) -> dict[int, Action]:
        """Rows whose outcome is unclear (state `sending`), with what was sent."""
        return {
            row: Action(action)
            for row, action in self._db.execute(
                "SELECT row, action FROM rows WHERE state = 'sending' AND lead IS NULL"
            )
        }

    def members(self, leads: Iterable[int]) -> set[int]:
        """The rows that share a record with one of `leads` (see `Change.lead`)."""
        found: set[int] = set()
        for lead in leads:
            found.update(
                r for (r,) in self._db.execute("SELECT row FROM rows WHERE lead = ?", (lead,))
            )
        return found

    def requeue(self, changes: Iterable[Change]) -> None:
        """Send these rows again, as planned anew (a fresh payload, e.g. a new version)."""
        with self._write():
            self._db.executemany(
                "UPDATE rows SET state = 'pending', status = NULL, key = ?, fields = ?,"
                " payload = ? WHERE row = ? OR lead = ?",
                (
                    (
                        _JSON.encode(c.key),
                        _fields_json(c.fields),
                        wire_of(c).decode(),
                        c.row,
                        c.row,
                    )
                    for c in changes
                ),
            )

    def skip_pending(self, keep: Iterable[int], message: str) -> int:
        """Mark pending rows other than `keep` as skipped (an apply of a chosen subset)."""
        with self._write():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (row INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM keep")
            self._db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((r,) for r in keep))
            cursor = self._db.execute(
                "UPDATE rows SET state = 'done', status = 'skipped', message = ?"
                " WHERE state = 'pending' AND row NOT IN (SELECT row FROM keep)"
                " AND (lead IS NULL OR lead NOT IN (SELECT row FROM keep))",
                (message,),
            )
        return cursor.rowcount

    def give_up(self, rows: Iterable[int], status: Status, message: str) -> None:
        """Settle unclear rows for good (`unknown`, or `failed` after too many tries)."""
        rows = list(rows)
        self.record(Outcome(r, status, None, message, None, None) for r in rows)
        if status is Status.UNKNOWN:
            with self._write():
                self._db.executemany(
                    "UPDATE rows SET state = 'done', status = 'unknown' WHERE row = ? OR lead = ?",
                    ((r, r) for r in rows),
                )

    def unfinished(self) -> int:
        """Rows planned to be sent that have no final outcome yet."""
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM rows WHERE state IN ('pending', 'sending')"
        ).fetchone()
        (batched,) = self._db.execute(
            "SELECT COALESCE(SUM(size), 0) FROM batches WHERE state IN ('pending', 'sending')"
        ).fetchone()
        return int(count) + int(batched)

    def status_counts(self) -> dict[str, int]:
        """Rows by final status, as `outcomes` reports them (counted in SQL)."""
        counts = {s.value: 0 for s in Status}
        final = (
            "CASE WHEN state = 'sending' THEN 'unknown'"
            " WHEN state = 'pending' OR status IS NULL THEN 'skipped' ELSE status END"
        )
        for table, many in (("rows", "COUNT(*)"), ("batches", "SUM(size)")):
            for status, n in self._db.execute(
                f"SELECT {final}, {many} FROM {table} GROUP BY 1"  # constants only
            ):
                counts[status] += n
        return counts

    # -- batches (a target with `batched_journal`) ----------------------------------

    def add_batch(self, batch: Sequence[Change], ids: Sequence[str | None]) -> None:
        """Record a planned batch of creates as one journal row: its rows as runs of
        numbers, each payload's wire encoding, each row's planned remote id."""
        self.add_wires([c.row for c in batch], [wire_of(c) for c in batch], ids)

    def add_wires(
        self, rows: Sequence[int], wires: Sequence[bytes], ids: Sequence[str | None]
    ) -> None:
        """`add_batch` of a batch planned without changes (engine/appends.py): each row's
        number, payload wire encoding and planned remote id."""
        runs = _runs(rows)
        first = runs[0][0]
        with self._write(sync=False):  # the plan: see `_write`
            self._db.execute(
                "INSERT OR REPLACE INTO batches (first, last, runs, size, state)"
                " VALUES (?, ?, ?, ?, 'pending')",
                (first, runs[-1][1], _JSON.encode(runs), len(rows)),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO payloads (first, ids, wires) VALUES (?, ?, ?)",
                # compact JSON has no raw newline
                (first, _JSON.encode(ids), b"\n".join(wires)),
            )

    def _batches(self, columns: str, where: str = "1") -> Iterator[tuple[Any, ...]]:
        """`(first, *columns)` of each batch, in row order, a few at a time (a batch's
        wires are ~0.5 MB: name them only where they are needed)."""
        last = 0
        while page := self._db.execute(
            f"SELECT first, {columns} FROM stored WHERE ({where}) AND first > ?"
            " ORDER BY first LIMIT 8",
            (last,),
        ).fetchall():
            yield from page
            last = page[-1][0]

    def pending_batches(self) -> Iterator[StoredBatch]:
        """The batches still to send, in row order."""
        for first, runs, wires in self._batches("runs, wires", "state = 'pending'"):
            rows = [r for a, b in json.loads(runs) for r in range(a, b + 1)]
            yield StoredBatch(first, rows, wires)

    def mark_stored_sending(self, batch: StoredBatch) -> None:
        """The stored batch is about to go: one update, synced before its request."""
        with self._write():
            self._db.execute(
                "UPDATE batches SET state = 'sending' WHERE first = ? AND state = 'pending'",
                (batch.first,),
            )

    def answer_batch(self, batch: StoredBatch, answer: Outcome) -> None:
        """One final answer for every row of a stored batch sent whole (`answer.row` is
        not read): stored once; each row's remote id is the one it was planned with."""
        if not self._answer(batch.first, answer):  # not a batch any more: row by row
            self.record([replace(answer, row=row) for row in batch.rows])

    def mark_batch_sending(self, batch: Sequence[Change]) -> None:
        """Like `mark_sending`, for a batch that `pending_batches` gave whole: one update;
        any other set of rows is marked row by row."""
        with self._write():
            found = self._db.execute(
                "UPDATE batches SET state = 'sending' WHERE first = ? AND size = ?"
                " AND state = 'pending'",
                (batch[0].row, len(batch)),
            )
            whole = found.rowcount == 1
        if not whole:
            self._unbatch_rows(c.row for c in batch)
            self.mark_sending(c.row for c in batch)

    def record_batch(self, outcomes: Sequence[Outcome]) -> None:
        """Like `record`; a batch's outcomes that all say one thing (status, HTTP status,
        message, and the remote ids planned) are stored once for the batch. Anything else
        (an unclear answer, mixed outcomes) turns the batch back into rows first."""
        if not outcomes:
            return
        found = self._db.execute(
            "SELECT first, runs, size, ids FROM stored WHERE first = ? AND state = 'sending'",
            (outcomes[0].row,),
        ).fetchone()
        if found is not None and _uniform(found, outcomes) and self._answer(found[0], outcomes[-1]):
            return
        self._unbatch_rows(o.row for o in outcomes)
        self.record(outcomes)

    def _answer(self, first: int, outcome: Outcome) -> bool:
        """Store one final outcome for the whole batch `first` while it is `sending`
        (its rows' remote ids are the planned ones); False when no such batch is."""
        with self._write(sync=False):  # see `record`
            found = self._db.execute(
                "UPDATE batches SET state = ?, status = ?, http_status = ?, message = ?,"
                " at = ? WHERE first = ? AND state = 'sending'",
                (
                    _STATE_OF.get(outcome.status, "done"),
                    outcome.status.value,
                    outcome.http_status,
                    outcome.message,
                    outcome.at.isoformat() if outcome.at else None,
                    first,
                ),
            )
        return found.rowcount == 1

    def unbatch_unclear(self) -> int:
        """Batches left `sending` (a run killed mid-request) become rows `sending`, to be
        settled like any unclear row. Returns how many rows that made."""
        return self._unbatch(self._firsts("sending"))

    def unbatch_pending(self) -> int:
        """Every batch still to send becomes rows (a subset is to be skipped)."""
        return self._unbatch(self._firsts("pending"))

    def _firsts(self, state: str) -> list[int]:
        """The batches in `state`, by their first row."""
        found = self._db.execute("SELECT first FROM batches WHERE state = ?", (state,))
        return [first for (first,) in found]

    def _unbatch_rows(self, rows: Iterable[int]) -> None:
        """Turn the not yet settled batches that hold any of `rows` back into rows."""
        wanted = sorted(set(rows))
        if not wanted:
            return
        firsts = [
            first
            for first, runs in self._db.execute(
                "SELECT first, runs FROM batches WHERE state IN ('pending', 'sending')"
                " AND first <= ? AND last >= ? ORDER BY first",
                (wanted[-1], wanted[0]),
            ).fetchall()
            if any(a <= r <= b for a, b in json.loads(runs) for r in wanted)
        ]
        self._unbatch(firsts)

    def _unbatch(self, firsts: Sequence[int]) -> int:
        """Batches → one journal row each of their rows, in the batch's state."""
        made = 0
        with self._write():
            for first in firsts:
                (runs, wires, ids, state) = self._db.execute(
                    "SELECT runs, wires, ids, state FROM stored WHERE first = ?", (first,)
                ).fetchone()
                changes = _batch_changes(runs, wires)
                # a row that may have landed keeps the id it would have; one still to
                # send has none yet (it gets one with its outcome)
                planned = json.loads(ids) if state == "sending" else [None] * len(changes)
                records = [
                    (c.row, (c.wire or b"").decode(), state, rid)
                    for c, rid in zip(changes, planned, strict=True)
                ]
                self._db.executemany(
                    "INSERT OR REPLACE INTO rows (row, action, key, label, fields, payload,"
                    " errors, state, remote_id) VALUES (?, 'create', 'null', NULL, '{}', ?,"
                    " '[]', ?, ?)",
                    records,
                )
                self._db.execute("DELETE FROM batches WHERE first = ?", (first,))
                self._db.execute("DELETE FROM payloads WHERE first = ?", (first,))
                made += len(records)
        return made


class _InRows(Protocol):
    """Anything that sits at a row of the sheet: a change, an outcome, a run of rows."""

    @property
    def row(self) -> int: ...


_Rowed = TypeVar("_Rowed", bound=_InRows)
_INTERRUPTED = "interrupted while sending: the outcome is unknown"


def _merged(many: Iterator[_Rowed], few: Iterator[_Rowed]) -> Iterator[_Rowed]:
    """Two streams in row order (no row in both) as one; cheap per item of `many`."""
    ahead = next(few, None)
    for item in many:
        while ahead is not None and ahead.row < item.row:
            yield ahead
            ahead = next(few, None)
        yield item
    if ahead is not None:
        yield ahead
        yield from few


@dataclass(frozen=True, slots=True)
class OutcomeRun:
    """Consecutive rows `first`..`last` of a stored batch, with the one outcome the
    batch has: what `Journal.outcome_blocks` gives instead of an `Outcome` a row."""

    first: int
    last: int
    ids: list[str | None] | None
    """Each row's remote id, `first` to `last` (None: no row has one)."""
    status: Status
    http_status: int | None
    message: str
    at: datetime | None

    @property
    def row(self) -> int:
        """Where the run sits among rows in row order: its first row."""
        return self.first

    def outcomes(self) -> Iterator[Outcome]:
        """The run as an `Outcome` a row."""
        ids = self.ids if self.ids is not None else [None] * (self.last - self.first + 1)
        for row, rid in zip(range(self.first, self.last + 1), ids, strict=True):
            yield Outcome(row, self.status, self.http_status, self.message, rid, self.at)


@dataclass
class StoredBatch:
    """A batch of appends as the journal keeps it: its rows, and their wire encodings
    one to a line (compact JSON holds no raw newline)."""

    first: int
    rows: list[int]
    lines: bytes

    @property
    def wires(self) -> list[bytes]:
        """Each row's wire encoding."""
        return self.lines.split(b"\n")

    def array(self) -> bytes:
        """The payloads as one JSON array, made in C (`json_array` of `wires`)."""
        return b"[" + self.lines.replace(b"\n", b",") + b"]"

    def changes(self) -> list[Change]:
        """The batch as changes, to send it change by change (payloads left undecoded:
        the wire encoding is what goes)."""
        create = Action.CREATE  # positional, as a million of these may be made
        return [
            Change(row, create, None, {}, {}, [], None, None, wire)
            for row, wire in zip(self.rows, self.wires, strict=True)
        ]


def _batch_changes(runs: str, wires: bytes) -> list[Change]:
    """A stored batch as its changes: rows from their runs, each with its wire encoding."""
    rows = [r for a, b in json.loads(runs) for r in range(a, b + 1)]
    return StoredBatch(rows[0] if rows else 0, rows, wires).changes()


def _uniform(found: tuple[Any, ...], outcomes: Sequence[Outcome]) -> bool:
    """Whether `outcomes` are the whole batch `found` (first, runs, size, ids), all with one
    final status, HTTP status and message, and the remote ids it planned (or none)."""
    _, runs, size, ids = found
    if len(outcomes) != size or outcomes[0].status is Status.UNKNOWN:
        return False
    if len({(o.status, o.http_status, o.message) for o in outcomes}) != 1:
        return False
    rows = [r for a, b in json.loads(runs) for r in range(a, b + 1)]
    if [o.row for o in outcomes] != rows:
        return False
    named = [o.remote_id for o in outcomes]
    return named == [None] * size or named == json.loads(ids)


def _change(
    row: int, action: str, key: str, label: str | None, fields: str, payload: str, errors: str
) -> Change:
    return Change(
        row,
        Action(action),
        json.loads(key),
        {k: (o, n) for k, (o, n) in json.loads(fields).items()},
        json.loads(payload),
        [RowError(**e) for e in json.loads(errors)],
        label,
    )


def _fields_json(fields: dict[str, tuple[Any, Any]]) -> str:
    """Field diffs as JSON: `(old, new)` pairs become lists, other values their text."""
    return _JSON.encode(fields) if fields else "{}"


def _plain(value: Any) -> Any:
    """A value JSON has no type for (json.dumps's `default`): dates as ISO 8601."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_JSON = json.JSONEncoder(default=_plain)  # one encoder: json.dumps with options builds one a call


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Row numbers as (first, last) runs of consecutive numbers: 2,3,4,7 → (2,4),(7,7)."""
    ordered = sorted(rows)
    if ordered and ordered[-1] - ordered[0] == len(ordered) - 1 == len(set(ordered)) - 1:
        return [(ordered[0], ordered[-1])]  # the usual batch: one run, no loop
    runs: list[tuple[int, int]] = []
    for row in ordered:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
