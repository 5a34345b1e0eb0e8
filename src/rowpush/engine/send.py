"""Apply: planned changes → batches → requests → one Outcome per row.

Batches fill as changes stream in (creates and updates apart, so that update
batches stay safe to retry); at most `concurrency` batches are in flight; the
connection's transport rate-limits and retries each request. A batch the API
rejects as a whole (HTTP 400/422) is split in halves and resent, so one bad row
does not fail its ninety-nine neighbours. A transport error fails the rows of its
batch, never the run; an authentication failure stops the run (the rows not yet
sent stay pending and are reported as skipped).

An answer that does not settle a row — no answer at all (a timeout, a dropped
connection), a 5xx, 408 or 429 after the transport's own retries — comes back as
`unknown`: the row may or may not have landed. The run settles such rows by
looking at the live records (engine/settle.py) before sending any again.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import accumulate
from typing import TYPE_CHECKING, Generic, TypeVar

import httpx

from rowpush.http.retry import UNCLEAR_STATUSES
from rowpush.model import Action, Change, Outcome, Status, now

if TYPE_CHECKING:
    from rowpush.engine.journal import StoredBatch
    from rowpush.targets.base import Target

T = TypeVar("T")

__all__ = [
    "Batcher",
    "Cutter",
    "apply_changes",
    "batch_size_of",
    "batches_of",
    "dispatch",
    "send_batch",
    "send_batches",
    "send_stored",
]

SPLIT_STATUSES = frozenset({400, 422})
"""A batch refused whole with these is split in halves and resent (one bad row)."""

OutcomeSink = Callable[[Sequence[Outcome]], None]
Screen = Callable[[list[Change]], Awaitable[tuple[list[Change], list[Outcome]]]]
"""Looks at a batch just before it goes: the changes still to send, and the outcomes of
those it holds back (a saved plan's rows whose record moved since: `stale`)."""


async def apply_changes(
    target: Target,
    client: httpx.AsyncClient,
    changes: Iterable[Change],
    *,
    on_sending: Callable[[Sequence[Change]], None],
    on_outcomes: OutcomeSink,
    batch_size: int | None = None,
    concurrency: int = 4,
    stop: asyncio.Event | None = None,
    screen: Screen | None = None,
) -> None:
    """Send every change; report each batch before it goes and each outcome as it lands.
    With `screen`, each batch is looked at first and only what it lets through goes."""
    await send_batches(
        target,
        client,
        batches_of(target, changes, batch_size),
        on_sending=on_sending,
        on_outcomes=on_outcomes,
        concurrency=concurrency,
        stop=stop,
        screen=screen,
    )


def batches_of(
    target: Target, changes: Iterable[Change], batch_size: int | None = None
) -> Iterator[list[Change]]:
    """Changes cut into the target's batches as they stream in (see `Batcher`)."""
    batcher = Batcher(target, batch_size)
    for change in changes:
        yield from batcher.add(change)
    yield from batcher.rest()


class Cutter(Generic[T]):
    """Cuts items into batches as they come: at most `size` items, and at most `cap`
    bytes with each item weighed by the caller (no cap: None). The one rule every batch
    is cut by: the send's (`Batcher`) and, for a target whose journal keeps batches, the
    plan's (engine/appends.py)."""

    def __init__(self, size: int, cap: int | None) -> None:
        self.size = size
        self.cap = cap
        self._items: list[T] = []
        self._bytes = 0

    def add(self, item: T, weight: int) -> list[list[T]]:
        """Take an item; returns the batches it completed (mostly none)."""
        return self.add_many((item,), (weight,))

    def add_many(self, items: Sequence[T], weights: Sequence[int]) -> list[list[T]]:
        """Take items in turn, each with its weight; returns the batches they completed.
        A run of items is taken at once: as many as the batch has room for, by count and
        by the running sum of their weights."""
        full: list[list[T]] = []
        start, count = 0, len(items)
        while start < count:
            end = min(count, start + self.size - len(self._items))
            cut = False
            if self.cap:
                sums = list(accumulate(weights[start:end], initial=self._bytes))
                fit = max(bisect_right(sums, self.cap) - 1, 0)
                if fit == 0 and not self._items:
                    fit = 1  # an empty batch takes an item over the cap on its own
                cut = fit < end - start  # the byte cap comes first
                end = start + fit
                self._bytes = sums[fit]
            self._items.extend(items[start:end])
            start = end
            if cut or len(self._items) >= self.size:
                full.append(self._items)
                self._items, self._bytes = [], 0
        return full

    def rest(self) -> list[T] | None:
        """The batch still open, once every item is in (None: none is)."""
        rest, self._items, self._bytes = self._items, [], 0
        return rest or None


class Batcher:
    """Cuts changes into a target's batches as they come: at most `batch_size` (and the
    target's own limit) and `batch_bytes` each, creates and updates apart (so update
    batches stay safe to retry). The send cuts them so, and so does the plan of a
    target whose journal keeps batches."""

    def __init__(self, target: Target, batch_size: int | None = None) -> None:
        self.target = target
        self.size = batch_size_of(target, batch_size)
        self.cap = target.batch_bytes
        self._open: dict[Action, Cutter[Change]] = {}

    def add(self, change: Change) -> Sequence[list[Change]]:
        """Take a change; returns the batches it completed (mostly none)."""
        cutter = self._open.get(change.action)
        if cutter is None:
            cutter = self._open[change.action] = Cutter(self.size, self.cap)
        return cutter.add(change, payload_bytes(self.target, change) if self.cap else 0)

    def rest(self) -> list[list[Change]]:
        """The batches still open, once every change is in."""
        return [batch for cutter in self._open.values() if (batch := cutter.rest())]


def batch_size_of(target: Target, batch_size: int | None) -> int:
    """Rows a batch holds: the size asked (`--batch-size`), within the target's own."""
    return max(1, min(batch_size or target.batch_size, target.batch_size))


async def send_batches(
    target: Target,
    client: httpx.AsyncClient,
    batches: Iterable[list[Change]],
    *,
    on_sending: Callable[[Sequence[Change]], None],
    on_outcomes: OutcomeSink,
    concurrency: int = 4,
    stop: asyncio.Event | None = None,
    screen: Screen | None = None,
) -> None:
    """Send batches already cut, at most `concurrency` in flight (see `apply_changes`)."""

    async def deliver(batch: list[Change]) -> None:
        if screen is not None:
            batch, held = await screen(batch)
            if held:
                on_outcomes(held)
            if not batch:
                return
        on_sending(batch)
        on_outcomes([_settled_or_not(o) for o in await send_batch(target, client, batch)])

    await dispatch(batches, deliver, concurrency=concurrency, stop=stop)


async def dispatch(
    items: Iterable[T],
    deliver: Callable[[T], Awaitable[None]],
    *,
    concurrency: int = 4,
    stop: asyncio.Event | None = None,
) -> None:
    """`deliver` each item, at most `concurrency` at once. After `stop`, or the first
    failure (e.g. a token that cannot be refreshed: raised once the others are done),
    the items left are not delivered: their rows stay pending (reported as skipped)."""
    queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize=concurrency)
    failure: list[BaseException] = []

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            if failure or (stop is not None and stop.is_set()):
                continue  # drain
            try:
                await deliver(item)
            except Exception as exc:
                failure.append(exc)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    try:
        for item in items:
            if failure or (stop is not None and stop.is_set()):
                break
            await queue.put(item)
    finally:
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    if failure:
        raise failure[0]


async def send_stored(
    target: Target,
    client: httpx.AsyncClient,
    batch: StoredBatch,
    *,
    on_sending: Callable[[StoredBatch], None],
    on_answer: Callable[[StoredBatch, Outcome], None],
    on_outcomes: OutcomeSink,
) -> None:
    """Send a batch of appends as the journal stored it: one request and one answer for
    the whole batch (`Target.send_appends`), no object per row. A batch the target would
    rather send as changes, or that its API refused whole (400/422: a bad row in it), goes
    as changes (`send_batch`, split in halves); an unclear answer gives each row an
    `unknown` outcome, to be settled."""
    on_sending(batch)
    try:
        answer = await target.send_appends(client, batch.array(), len(batch.rows))
    except httpx.HTTPError as exc:
        answer = Outcome(0, Status.FAILED, None, describe_error(exc), None, now())
    refused = answer is not None and answer.status is Status.FAILED
    if answer is None or (refused and answer.http_status in SPLIT_STATUSES and len(batch.rows) > 1):
        resend = send_batch if answer is None else _send_halves
        outcomes = await resend(target, client, batch.changes())
        on_outcomes([_settled_or_not(o) for o in outcomes])
        return
    answer = _settled_or_not(answer)
    if answer.status is Status.UNKNOWN:
        on_outcomes([replace(answer, row=row) for row in batch.rows])
        return
    on_answer(batch, answer)


async def send_batch(
    target: Target, client: httpx.AsyncClient, batch: Sequence[Change]
) -> list[Outcome]:
    """One batch's outcomes; a batch rejected as a whole is split and resent."""
    try:
        outcomes = await target.send(client, batch)
    except httpx.HTTPError as exc:
        return [_failed(c, None, describe_error(exc)) for c in batch]
    rejected = all(o.status is Status.FAILED and o.http_status in SPLIT_STATUSES for o in outcomes)
    if len(batch) > 1 and rejected:
        return await _send_halves(target, client, batch)
    return outcomes


async def _send_halves(
    target: Target, client: httpx.AsyncClient, batch: Sequence[Change]
) -> list[Outcome]:
    """A batch refused whole, sent again in halves (each split further if refused)."""
    middle = len(batch) // 2
    return [
        *await send_batch(target, client, batch[:middle]),
        *await send_batch(target, client, batch[middle:]),
    ]


def _settled_or_not(outcome: Outcome) -> Outcome:
    """A failure that does not tell whether the row landed becomes `unknown`."""
    if outcome.status is not Status.FAILED:
        return outcome
    if outcome.http_status is not None and outcome.http_status not in UNCLEAR_STATUSES:
        return outcome
    return replace(outcome, status=Status.UNKNOWN)


def payload_bytes(target: Target, change: Change) -> int:
    """The size of a change's payload as the target sends it, plus a separator."""
    return target.weigh(change) + 1


def _failed(change: Change, http_status: int | None, message: str) -> Outcome:
    return Outcome(change.row, Status.FAILED, http_status, message, None, now())


def describe_error(exc: httpx.HTTPError) -> str:
    """A transport error, for a person (no URL query strings, no secrets)."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after retries ({kind}); the outcome is unknown, check before resending"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc}); nothing was sent"
    return f"connection failed ({kind}: {exc}); the outcome is unknown, check before resending"
