"""One apply of one sheet on one connection: plan → (confirm) → send → results.

The run lives in its journal (RESULTS.xlsx.journal), so it can stop anywhere and
continue: `ApplyRun.create` starts one, `ApplyRun.resume` picks up an unfinished
one. The faces drive it in three steps — `plan()` streams the plan into the
journal, the face asks (the CLI prompts, the TUI shows a modal, maybe for a
subset), `send()` applies and writes the results workbook.

Nothing is sent twice: rows already done are never sent again, and rows whose
outcome is unclear are settled against the live records first (engine/settle).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rowpush.engine.appends import append_blocks, lane_typer
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.connect import connect, limiter_for
from rowpush.engine.journal import Journal, StoredBatch
from rowpush.engine.plan import chunks
from rowpush.engine.prepare import Prepared, ensure_writable
from rowpush.engine.results_reader import open_results
from rowpush.engine.results_writer import file_sha256, input_kinds, write_results
from rowpush.engine.run_files import journal_path, read_unfinished, remove_journal, run_info
from rowpush.engine.run_stats import RunStats
from rowpush.engine.saved_plan import Refreshed, recheck
from rowpush.engine.send import (
    Batcher,
    Cutter,
    apply_changes,
    batch_size_of,
    dispatch,
    send_batches,
    send_stored,
)
from rowpush.engine.settle import settle
from rowpush.engine.verify import Verification, verify_with
from rowpush.errors import BadInput
from rowpush.http.client import redactor_of
from rowpush.http.limiter import RateLimiter
from rowpush.model import Action, Change, Outcome, RowError, Status, now

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection
    from rowpush.engine.validate_columns import ColumnTyper
    from rowpush.http.transport import RetryEvent

__all__ = ["SETTLE_ROUNDS", "ApplyReport", "ApplyRun"]

SETTLE_ROUNDS = 3
"""How many times a row whose answer was lost may be sent again before it is failed."""
PLAN_CHUNK = 200

OutcomeSink = Callable[[Sequence[Outcome]], None]


@dataclass
class ApplyReport:
    """What an apply did."""

    results: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    """Final status → rows (created, updated, unchanged, failed, invalid, skipped)."""
    planned: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False
    invalid: list[RowError] = field(default_factory=list)
    resumed: bool = False
    """The run continued an unfinished one (its plan came from the journal)."""
    verified: Verification | None = None
    """What `--verify` found live right after the run (None: not asked)."""

    @property
    def ok(self) -> bool:
        if self.verified is not None and not self.verified.ok:
            return False
        return not any(self.counts.get(s) for s in ("failed", "skipped", "unknown", "stale"))


class ApplyRun:
    """An apply run and its journal. Build it with `create` or `resume`."""

    def __init__(
        self,
        prep: Prepared,
        conn: Connection,
        journal: Journal,
        results: Path,
        *,
        batch_size: int | None = None,
        rate: str | None = None,
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = False,
    ) -> None:
        self.prep = prep
        self.conn = conn
        self.journal = journal
        self.results = results
        self.target = prep.target(conn)
        self.batch_size = batch_size
        self.rate = rate
        self.concurrency = concurrency
        self.transport = transport
        self.sent_any = journal.meta().get("sent") == "1"
        self.final: dict[str, int] | None = None
        """Rows by final status, once `send` wrote the results workbook."""
        self._shared: tuple[asyncio.AbstractEventLoop, RateLimiter] | None = None
        self.stats = RunStats()
        """This session's requests, retries and pauses (the Summary sheet's figures)."""
        self.verify = verify
        self.verification: Verification | None = None
        """With `verify`: what the live records said right after the send."""
        self.on_close: list[Callable[[], None]] = []
        """Called once the run is closed (verbs releases the run's lock here)."""

    @contextlib.asynccontextmanager
    async def _connect(
        self, cb: Callbacks, *, concurrency: int = 4
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the run's connection, under the run's one rate limiter, counted."""

        def heard(event: RetryEvent) -> None:
            self.stats.event(event)
            cb.retry_event(event)

        async with connect(
            self.target,
            self.conn,
            concurrency=concurrency,
            transport=self.transport,
            on_event=heard,
            limiter=self.limiter(),
        ) as client:
            client.event_hooks["request"].append(self.stats.request)
            yield client

    def limiter(self) -> RateLimiter:
        """One rate limit for the run's plan, sends and settling: a rolling window the API
        counts spans them all. (Per event loop: a limiter waits on its loop.)"""
        loop = asyncio.get_running_loop()
        if self._shared is None or self._shared[0] is not loop:
            self._shared = (loop, limiter_for(self.target, self.conn, self.rate))
        return self._shared[1]

    # -- starting -------------------------------------------------------------------

    @classmethod
    def create(cls, prep: Prepared, conn: Connection, results: Path, **options: object) -> ApplyRun:
        """A new run; refuses when an unfinished run already uses this results path."""
        ensure_writable(prep.target)
        path = journal_path(results)
        if path.exists():
            found = read_unfinished(path)
            if found is None:  # a run killed while planning: nothing went out
                remove_journal(path)
            else:
                raise BadInput(
                    f"An unfinished run of {found.input_file} (started {found.started}) "
                    f"left its journal at {path}: {found.done} row(s) done, "
                    f"{found.left} not yet.",
                    hint="Continue it with --resume, or choose another --results path. "
                    "Deleting the journal forgets which rows went.",
                )
        journal = Journal(path)
        journal.set_meta(
            input_file=str(prep.path.resolve()),
            input_sha256=file_sha256(prep.path),
            sheet=prep.sheet.name or "",
            target=prep.target.name,
            connection=conn.name,
            base_url=prep.target.api.base_url(conn),
            results=str(results.resolve()),
            started=now().isoformat(),
            planned="0",
            sent="0",
        )
        if prep.saved is not None:  # the Summary says which reviewed plan was applied
            journal.set_meta(plan=prep.saved.describe())
        return cls(prep, conn, journal, results, **options)  # type: ignore[arg-type]

    @classmethod
    def resume(cls, prep: Prepared, conn: Connection, results: Path, **options: object) -> ApplyRun:
        """The unfinished run that writes `results`; refuses if the sheet changed since."""
        path = journal_path(results)
        if not path.exists():
            raise BadInput(
                f"No unfinished run writes {results}: there is no {path.name} to resume.",
                hint="Run the same apply without --resume to start anew.",
            )
        journal = Journal(path)
        meta = journal.meta()
        problems = []
        if meta.get("input_sha256") != file_sha256(prep.path):
            problems.append(f"{prep.path.name} changed since the run started")
        if meta.get("target") != prep.target.name:
            problems.append(f"the run was for {meta.get('target')}, not {prep.target.name}")
        if meta.get("connection") != conn.name:
            problems.append(f"the run used connection '{meta.get('connection')}'")
        if problems:
            journal.close()
            raise BadInput(
                f"Cannot resume the run in {path.name}: {'; '.join(problems)}.",
                hint="Resume with the same file, target and connection, or start a new run "
                "with another --results path.",
            )
        run = cls(prep, conn, journal, results, **options)  # type: ignore[arg-type]
        if meta.get("planned") != "1":  # killed while planning: plan again from the start
            journal.clear()
        return run

    @classmethod
    def open(
        cls,
        prep: Prepared,
        conn: Connection,
        results: Path,
        *,
        resume: bool = False,
        retry_of: str | None = None,
        **options: object,
    ) -> ApplyRun:
        """`resume` the unfinished run writing `results`, or `create` one; a retry
        records which results workbook it retries."""
        if options.get("verify") and prep.target.key is None:
            raise BadInput(
                f"--verify does not apply to {prep.target.name}: its records have no key to "
                "read them back by.",
                hint="Leave out --verify; the results workbook records what was sent.",
            )
        run = (cls.resume if resume else cls.create)(prep, conn, results, **options)
        if retry_of:
            run.journal.set_meta(retry_of=retry_of)
        return run

    @property
    def planned(self) -> bool:
        return self.journal.meta().get("planned") == "1"

    # -- the three steps --------------------------------------------------------------

    async def plan(self, cb: Callbacks | None = None) -> AsyncIterator[Change]:
        """Plan every row into the journal, yielding each Change (a resumed run replays
        its journal instead of planning again)."""
        async for chunk in self.plan_chunks(cb):
            for change in chunk:
                yield change

    async def plan_chunks(self, cb: Callbacks | None = None) -> AsyncIterator[list[Change]]:
        """`plan`, a chunk of changes at a time."""
        if self.planned:
            for chunk in chunks(self.journal.changes(), PLAN_CHUNK):
                yield chunk
            return
        cb = cb or Callbacks()
        # a target whose creates are appends safe to resend keeps them a batch to a
        # journal row, cut as the send will cut them (engine/journal.py)
        batcher = Batcher(self.target, self.batch_size) if self.target.batched_journal() else None
        async with self._connect(cb) as client:
            async for chunk in self.prep.change_chunks(self.target, client):
                rows: list[Change] = []
                for change in chunk:
                    if batcher is not None and change.action is Action.CREATE and not change.stale:
                        for batch in batcher.add(change):
                            self._add_batch(batch)
                    else:
                        rows.append(change)
                if rows:
                    self.journal.add_changes(rows)
                yield chunk
            for batch in batcher.rest() if batcher is not None else ():
                self._add_batch(batch)
        self.journal.set_meta(planned="1")

    async def _plan_appends(self, cb: Callbacks, typer: ColumnTyper) -> None:
        """`plan_chunks` of a sheet of appends in the bulk lane (engine/appends.py): the
        journal gets the same batches, with no change made per row."""
        ensure_writable(type(self.target))
        async with self._connect(cb) as client:
            await self.target.load_reference(client)
        size = batch_size_of(self.target, self.batch_size)
        cutter: Cutter[tuple[int, bytes, str | None]] = Cutter(size, self.target.batch_bytes)
        for block in append_blocks(self.prep, self.target, typer):
            weights = [len(wire) + 1 for _, wire, _ in block.appends]  # `payload_bytes`
            for batch in cutter.add_many(block.appends, weights):
                self._add_wires(batch)
            if block.others:
                self.journal.add_changes(block.others)
                for change in block.others:
                    cb.planned(change)
            cb.planned_rows(block.size - len(block.others))
        if (rest := cutter.rest()) is not None:
            self._add_wires(rest)
        self.journal.set_meta(planned="1")

    def _add_wires(self, batch: list[tuple[int, bytes, str | None]]) -> None:
        rows, wires, ids = zip(*batch, strict=True)
        self.journal.add_wires(rows, wires, ids)

    def _add_batch(self, batch: list[Change]) -> None:
        self.journal.add_batch(batch, [self.target.planned_id(c) for c in batch])

    def counts(self) -> dict[str, int]:
        """Planned actions: create / update / unchanged / invalid → rows."""
        return self.journal.counts()

    def to_send(self) -> int:
        return self.journal.unfinished()

    def invalid_changes(self) -> Iterator[Change]:
        return self.journal.invalid()

    async def send(
        self,
        cb: Callbacks | None = None,
        *,
        only: Collection[int] | None = None,
        stop: asyncio.Event | None = None,
    ) -> dict[str, int]:
        """Apply the pending rows (or only the rows in `only`; the others are skipped),
        settle the unclear ones, and write the results workbook. Returns the counts by
        final status."""
        cb = cb or Callbacks()
        batched = self.target.batched_journal()
        if batched:  # batches left mid-request by a killed run: settled like any row
            self.journal.unbatch_unclear()
        if only is not None:
            self.journal.unbatch_pending()  # a subset: the rows' machinery skips the rest
            self.journal.skip_pending(only, "not selected for this apply")
        cb.sending(self.journal.unfinished())
        self.journal.set_meta(sent="1")
        self.sent_any = True

        scrub: Callable[[str], str] = str

        def scrubbed(outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
            # an API's error text may quote a credential: none reaches the journal (a
            # batch's rows mostly share one message: each is scrubbed once)
            clean = {m: scrub(m) for m in {o.message for o in outcomes} if m}
            if all(clean[m] == m for m in clean):
                return outcomes
            return [
                replace(o, message=clean[o.message])
                if o.message and clean[o.message] != o.message
                else o
                for o in outcomes
            ]

        def record(outcomes: Sequence[Outcome]) -> None:
            outcomes = scrubbed(outcomes)
            self.journal.record(outcomes)
            # an unknown outcome is not final: the row is settled and reported again later
            cb.outcomes([o for o in outcomes if o.status is not Status.UNKNOWN])

        def record_batch(outcomes: Sequence[Outcome]) -> None:
            outcomes = scrubbed(outcomes)
            self.journal.record_batch(outcomes)
            cb.outcomes([o for o in outcomes if o.status is not Status.UNKNOWN])

        def answered(batch: StoredBatch, answer: Outcome) -> None:
            (answer,) = scrubbed([answer])
            self.journal.answer_batch(batch, answer)
            cb.answered(batch.rows, answer)

        # a saved plan (not --refresh) is checked again a batch at a time, just before it
        # goes: the records read at the start may have moved during the run
        saved = self.prep.saved
        rechecked = saved is not None and not saved.refresh

        try:
            async with self._connect(cb, concurrency=self.concurrency) as client:
                scrub = redactor_of(client)

                fresh = Refreshed(lambda: self.prep.target(self.conn), client)

                async def screen(batch: list[Change]) -> tuple[list[Change], list[Outcome]]:
                    return await recheck(await fresh.target(), client, batch)

                # the first send, then up to SETTLE_ROUNDS more of the rows whose answer
                # was lost; only after the last may a row be failed without being resent
                for _ in range(SETTLE_ROUNDS + 1):
                    if unsettled := self.journal.unsettled():
                        cb.settling(len(unsettled))
                        await self._settle(client, record, last=False)
                    if stop is not None and stop.is_set():
                        break
                    await apply_changes(
                        self.target,
                        client,
                        self.journal.pending(with_fields=rechecked),
                        on_sending=lambda batch: self.journal.mark_sending(c.row for c in batch),
                        on_outcomes=record,
                        batch_size=self.batch_size,
                        concurrency=self.concurrency,
                        stop=stop,
                        screen=screen if rechecked else None,
                    )
                    if batched and rechecked:  # the saved plan's check sees changes
                        await send_batches(
                            self.target,
                            client,
                            (b.changes() for b in self.journal.pending_batches()),
                            on_sending=self.journal.mark_batch_sending,
                            on_outcomes=record_batch,
                            concurrency=self.concurrency,
                            stop=stop,
                            screen=screen,
                        )
                    elif batched:  # each stored batch sent and answered as one
                        await dispatch(
                            self.journal.pending_batches(),
                            functools.partial(
                                send_stored,
                                self.target,
                                client,
                                on_sending=self.journal.mark_stored_sending,
                                on_answer=answered,
                                on_outcomes=record_batch,
                            ),
                            concurrency=self.concurrency,
                            stop=stop,
                        )
                    if not self.journal.unsettled():
                        break
                else:
                    cb.settling(len(self.journal.unsettled()))
                    await self._settle(client, record, last=True)
        finally:
            self.final = counts = self.write_results()
        if self.verify and not (stop is not None and stop.is_set()):
            self.verification = await self._verified(cb)
        return counts

    async def _verified(self, cb: Callbacks) -> Verification:
        """Read back what the run changed and write the results again with `_verify`."""
        found = Verification()
        book = open_results(self.results)
        target = self.prep.target(self.conn)  # a fresh one: it must read the records anew
        async with self._connect(cb) as client:
            async for check in verify_with(book, target, client):
                found.add(check)
        self.write_results(found)
        return found

    async def apply(
        self,
        cb: Callbacks | None = None,
        *,
        skip_invalid: bool = False,
        stop: asyncio.Event | None = None,
    ) -> ApplyReport:
        """The three steps in one go: plan, ask `cb.confirm`, send. Invalid rows stop a new
        run before anything is sent, unless `skip_invalid`."""
        cb = cb or Callbacks()
        resumed = self.planned
        typer = None if resumed or cb.each_change else lane_typer(self.prep, self.target)
        if typer is not None:  # a sheet of appends: no change per row (engine/appends)
            await self._plan_appends(cb, typer)
        else:
            async for chunk in self.plan_chunks(cb):
                for change in chunk:
                    cb.planned(change)
        planned = self.counts()
        report = ApplyReport(results=None, planned=planned, resumed=resumed)
        if planned[Action.INVALID] and not skip_invalid and not resumed:
            report.invalid = [e for c in self.invalid_changes() for e in c.errors]
            return report
        if self.to_send() and not resumed and not cb.confirm(planned):
            report.cancelled = True
            return report
        report.counts = await self.send(cb, stop=stop)
        report.results = self.results
        report.verified = self.verification
        return report

    async def _settle(self, client: httpx.AsyncClient, sink: OutcomeSink, *, last: bool) -> None:
        unclear = self.journal.unsettled()
        members = self.journal.members(unclear)
        # A target of its own, as a resumed run has: the run's may keep what it read
        # while planning (Halo keeps the list it paged), and settling must see the
        # records as they are now, or a change that landed looks still to be made.
        target = self.prep.target(self.conn)
        await target.load_reference(client)
        found = await settle(target, client, self.prep, unclear, members)
        settled = [*found.landed, *found.failed]
        if found.resend and last:
            settled += [
                Outcome(c.row, Status.FAILED, None, _GAVE_UP, None, now()) for c in found.resend
            ]
        if settled:
            sink(settled)
        if found.resend and not last:
            self.journal.requeue(found.resend)
        if found.unknown:
            self.journal.give_up(found.unknown, Status.UNKNOWN, _CANNOT_TELL)

    def write_results(self, verified: Verification | None = None) -> dict[str, int]:
        self.stats.flush(self.journal)
        info = run_info(
            self.journal.meta(),
            self.prep,
            target=self.target.name,
            connection=self.conn.name,
            base_url=self.target.api.base_url(self.conn),
        )
        if verified is not None:
            info = replace(info, verify=verified.line())
        verdicts = verified.verdicts if verified is not None else None
        kinds = input_kinds(self.prep.target, self.prep.hmap)
        return write_results(
            self.results, self.prep.sheet, self.journal, info, kinds=kinds, verdicts=verdicts
        )

    def close(self) -> None:
        """Close the journal; delete it unless rows are left to send after something went."""
        unfinished = self.journal.unfinished()
        self.journal.close()
        if not self.sent_any or not unfinished:
            remove_journal(self.journal.path)
        while self.on_close:
            self.on_close.pop()()


_GAVE_UP = (
    f"the answer was lost {SETTLE_ROUNDS + 1} times and the live record still differs; "
    "not sent again"
)
_CANNOT_TELL = (
    "the answer was lost and this target cannot look the record up: "
    "check whether it exists before sending it again"
)
