"""Where the plan screen gets its rows: a fixed list (tests) or a live plan (the CLI).

No Textual here: a `PlanSource` is plain data plus a stream of Changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rowpush.engine.callbacks import Callbacks
from rowpush.model import Change

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine.apply_run import ApplyRun
    from rowpush.engine.results_book import ResultsBook
    from rowpush.engine.runs import Prepared
    from rowpush.targets.base import Target

__all__ = [
    "Applier",
    "ChangeStream",
    "PlanSource",
    "ResultsSource",
    "RunApplier",
    "apply_plan",
    "fixed_changes",
    "live_plan",
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
    from rowpush.engine.runs import connect, ensure_writable, plan_changes

    ensure_writable(prep.target)
    target = prep.target(conn)

    async def stream() -> AsyncIterator[Change]:
        async with connect(target, conn) as client:
            async for change in plan_changes(prep, target, client):
                yield change

    return _source(prep, conn, target, stream)


def _source(
    prep: Prepared,
    conn: Connection,
    target: Target,
    changes: ChangeStream,
    applier: Applier | None = None,
) -> PlanSource:
    return PlanSource(
        file=prep.file,
        sheet=prep.sheet.name,
        target=target.name,
        connection=conn.name,
        base_url=target.api.base_url(conn),
        changes=changes,
        applier=applier,
    )


def apply_plan(
    prep: Prepared,
    conn: Connection,
    results: Path,
    *,
    resume: bool = False,
    retry_of: str | None = None,
    **options: Any,
) -> PlanSource:
    """Plan a sheet into a new (or resumed) apply run, ready to apply from the screen.

    The caller closes `source.applier.run` when the app ends (`RunApplier.run.close()`).
    """
    from rowpush.engine.apply_run import ApplyRun

    run = ApplyRun.open(prep, conn, results, resume=resume, retry_of=retry_of, **options)
    return _source(prep, conn, run.target, run.plan, RunApplier(run))


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
