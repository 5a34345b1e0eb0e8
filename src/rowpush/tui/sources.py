"""Where the plan screen gets its rows: a fixed list (tests) or a live plan (the CLI).

No Textual here: a `PlanSource` is plain data plus a stream of Changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rowpush.engine import verbs
from rowpush.engine.callbacks import Callbacks
from rowpush.model import Change

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine.prepare import Prepared
    from rowpush.engine.results_reader import ResultsBook
    from rowpush.engine.run import ApplyRun
    from rowpush.targets.base import Target

__all__ = [
    "Applier",
    "ChangeStream",
    "PlanSource",
    "ResultsSource",
    "RetryRuns",
    "RunApplier",
    "apply_plan",
    "fixed_changes",
    "live_plan",
    "results_source",
]

#: Called once by the screen's worker; yields the plan row by row.
ChangeStream = Callable[[], AsyncIterator[Change]]


@dataclass(frozen=True, slots=True)
class PlanSource:
    """The facts the plan screen shows in its header, and the rows to plan.

    Holds a connection's name and base URL only, never its secret.
    """

    file: str
    target: str
    connection: str
    base_url: str
    changes: ChangeStream
    sheet: str | None = None
    applier: Applier | None = None
    """How to apply the plan; None for a plan that is only looked at (`plan --tui`)."""
    skip_invalid: bool = False
    """Apply even with invalid rows, leaving them out (`--skip-invalid`); else, as on the
    command line, the screen refuses to apply while any row is invalid."""


class Applier(Protocol):
    """What the plan screen needs to apply what it shows (an `ApplyRun` behind it)."""

    @property
    def results(self) -> Path:
        """Where the results workbook goes."""
        ...

    async def send(
        self, callbacks: Callbacks, only: Collection[int] | None, stop: asyncio.Event
    ) -> dict[str, int]:
        """Apply the planned rows (only those in `only`, if given; the others are skipped)
        until done or `stop` is set; returns the final counts by status."""
        ...


@dataclass
class RunApplier:
    """An `Applier` over an `ApplyRun` whose plan the screen streams."""

    run: ApplyRun

    @property
    def results(self) -> Path:
        return self.run.results

    async def send(
        self, callbacks: Callbacks, only: Collection[int] | None, stop: asyncio.Event
    ) -> dict[str, int]:
        return await self.run.send(callbacks, only=only, stop=stop)


def fixed_changes(changes: Sequence[Change]) -> ChangeStream:
    """A stream over a list made beforehand (tests, demos)."""

    async def stream() -> AsyncIterator[Change]:
        for change in changes:
            yield change

    return stream


def live_plan(prep: Prepared, conn: Connection) -> PlanSource:
    """Plan a prepared sheet against the live API of a connection, row by row."""
    plan = verbs.plan_file(prep, conn)
    return _source(prep, conn, plan.target, plan.changes)


def _source(
    prep: Prepared,
    conn: Connection,
    target: Target,
    changes: ChangeStream,
    applier: Applier | None = None,
    skip_invalid: bool = False,
) -> PlanSource:
    return PlanSource(
        file=prep.file,
        sheet=prep.sheet.name,
        target=target.name,
        connection=conn.name,
        base_url=target.api.base_url(conn),
        changes=changes,
        applier=applier,
        skip_invalid=skip_invalid,
    )


def apply_plan(
    prep: Prepared,
    conn: Connection,
    results: Path,
    *,
    resume: bool = False,
    retry_of: str | None = None,
    skip_invalid: bool = False,
    **options: Any,
) -> PlanSource:
    """Plan a sheet into a new (or resumed) apply run, ready to apply from the screen.

    The caller closes `source.applier.run` when the app ends (`RunApplier.run.close()`).
    """
    run = verbs.start_apply(prep, conn, results, resume=resume, retry_of=retry_of, **options)
    return _source(prep, conn, run.target, run.plan, RunApplier(run), skip_invalid)


@dataclass(frozen=True, slots=True)
class ResultsSource:
    """A results workbook to audit, and how to retry its failed rows.

    `retry(connection_name)` plans the failed, skipped and unknown rows again against
    that connection and returns the plan to show (it opens the plan screen, which
    asks before it applies). None when retrying is not offered.
    """

    book: ResultsBook
    retry: Callable[[str], PlanSource] | None = None
    connections: Sequence[str] = ()
    """Configured connection names: offered when the workbook's connection is not one."""


@dataclass
class RetryRuns:
    """The retries a results screen starts, each an apply run to close when the app ends."""

    book: ResultsBook
    runs: list[ApplyRun] = field(default_factory=list)

    def plan(self, connection: str) -> PlanSource:
        """Plan the workbook's failed and never-sent rows again on `connection`."""
        retry = verbs.retry_file(self.book.path, connection=connection)
        conn = verbs.load_connection(retry.connection)
        run = verbs.start_apply(retry.prep, conn, retry.results, retry_of=retry.retry_of)
        self.runs.append(run)
        return _source(retry.prep, conn, run.target, run.plan, RunApplier(run))

    def close(self) -> list[Path]:
        """Close every run (a finished one drops its journal); the results written."""
        written = []
        for run in self.runs:
            run.close()
            if run.final is not None:
                written.append(run.results)
        return written


def results_source(book: ResultsBook) -> tuple[ResultsSource, RetryRuns]:
    """A results workbook to audit, retrying on any configured connection."""
    retries = RetryRuns(book)
    source = ResultsSource(book, retry=retries.plan, connections=verbs.connection_names())
    return source, retries
