"""Runs: the verbs as library calls (validate, plan, apply, export), shared by CLI and TUI.

Each function takes paths, a Connection and callbacks, and returns plain data; the
faces only parse arguments and draw.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rowpush.engine.callbacks import Callbacks
from rowpush.engine.validate import HeaderMap, ValidRow, map_headers, validate_rows
from rowpush.errors import AuthFailed, BadInput, ConnectionFailed, RowpushError, SheetError
from rowpush.model import Action, Change, RowError
from rowpush.targets.base import ExportOptions
from rowpush.targets.registry import get_target

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.sheets.table import ColumnSpec, Sheet
    from rowpush.targets.base import Target

__all__ = [
    "ApplyReport",
    "Callbacks",
    "Prepared",
    "apply_file",
    "connect",
    "export_target",
    "plan_changes",
    "prepare",
    "prepare_retry",
]


@dataclass
class Prepared:
    """An input sheet opened, its target resolved, its headers mapped."""

    path: Path
    sheet: Sheet
    target: type[Target]
    hmap: HeaderMap

    @property
    def file(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[ValidRow]:
        return validate_rows(self.target, self.hmap, self.sheet.rows(), self.file)


def prepare(path: Path, *, target: str | None = None, sheet: str | None = None) -> Prepared:
    """Open a sheet and map its headers; a sheet-level problem raises SheetError."""
    from rowpush.sheets.reader import open_sheet

    opened = open_sheet(path, sheet)
    name = target or opened.target
    if name is None:
        raise BadInput(
            f"{path.name}: which target is this sheet for?",
            hint="Pass -t TARGET (see `rowpush targets`). Sheets made by "
            "`rowpush template` or `rowpush export` record it themselves.",
        )
    target_cls = get_target(name)
    hmap = map_headers(target_cls, opened.headers, path.name, opened.letters)
    if hmap.errors:
        raise SheetError("\n".join(e.message for e in hmap.errors))
    return Prepared(path, opened, target_cls, hmap)


def prepare_retry(results: Path) -> Prepared:
    """The rows of a results workbook to send again (failed, skipped), as a sheet to plan."""
    from rowpush.engine.results_book import open_results

    book = open_results(results)
    target_cls = get_target(book.target)
    sheet = book.input_sheet()
    hmap = map_headers(target_cls, sheet.headers, results.name, sheet.letters)
    if hmap.errors:
        raise SheetError("\n".join(e.message for e in hmap.errors))
    return Prepared(results, sheet, target_cls, hmap)


@contextlib.asynccontextmanager
async def connect(
    target: Target,
    conn: Connection,
    *,
    rate: str | None = None,
    concurrency: int = 4,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client for a connection; connection and auth errors name it and its URL."""
    import httpx

    from rowpush.errors import ConfigError
    from rowpush.http.client import build_client
    from rowpush.http.rate import Rate
    from rowpush.http.redact import Redactor
    from rowpush.http.retry import RetryPolicy

    if conn.api != target.api.name:
        raise ConfigError(
            f"Connection '{conn.name}' is a {conn.api} connection; "
            f"{target.name} needs a {target.api.name} connection."
        )
    base_url = target.api.base_url(conn)
    rate_text = rate or conn.rate or target.api.default_rate
    try:
        parsed = Rate.parse(rate_text)
    except ValueError as exc:
        raise ConfigError(f"Connection '{conn.name}': bad rate {rate_text!r}: {exc}") from None
    statuses = target.api.retry_statuses
    policy = RetryPolicy(is_throttled=target.api.is_throttled)
    if statuses is not None:
        policy = RetryPolicy(retry_statuses=statuses, is_throttled=target.api.is_throttled)
    scrub = Redactor(conn.secrets())
    client = build_client(
        base_url,
        redactor=scrub,
        auth=target.api.auth(conn),
        rate=parsed,
        adaptive=not (rate or conn.rate),  # the API's default adapts; a chosen rate stays
        policy=policy,
        headers=target.api.headers(conn),
        verify=conn.verify,
        timeout=conn.timeout,
        max_connections=concurrency,
        transport=transport,
        on_event=on_event,
        label=target.api.description,
    )
    # an API's error text may quote what it was sent: every message leaves scrubbed
    try:
        async with client:
            yield client
    except httpx.TransportError as exc:
        raise ConnectionFailed(
            scrub(
                f"Cannot reach connection '{conn.name}' at {base_url}: {exc or type(exc).__name__}."
            ),
            hint="Check base_url in rowpush.toml and your network.",
        ) from None
    except (AuthFailed, ConnectionFailed) as exc:
        raise type(exc)(
            scrub(f"Connection '{conn.name}' ({base_url}): {exc.message}"),
            hint=scrub(exc.hint or "") or None,
        ) from None
    except RowpushError as exc:
        raise type(exc)(scrub(exc.message), hint=scrub(exc.hint or "") or None) from None


def ensure_writable(target: type[Target]) -> None:
    """plan and apply refuse a target that can only be exported."""
    if target.export_only:
        raise BadInput(
            f"{target.name} can only be exported: plan and apply do not apply to it.",
            hint=f"Use  rowpush export {target.name} -c CONNECTION -o FILE.xlsx",
        )


async def plan_changes(
    prep: Prepared, target: Target, client: httpx.AsyncClient
) -> AsyncIterator[Change]:
    from rowpush.engine.plan import plan_rows

    ensure_writable(type(target))
    await target.load_reference(client)
    async for change in plan_rows(target, client, prep.rows(), prep.hmap, prep.file):
        yield change


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

    @property
    def ok(self) -> bool:
        return not any(self.counts.get(s) for s in ("failed", "skipped", "unknown"))


def default_results_path(input_path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / f"{input_path.stem}-results-{stamp}.xlsx"


def default_retry_path(results: Path) -> Path:
    """Beside the results retried: RESULTS-retry-YYYYmmdd-HHMMSS.xlsx."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return results.with_name(f"{results.stem}-retry-{stamp}.xlsx")


async def apply_file(
    prep: Prepared,
    conn: Connection,
    *,
    results: Path,
    callbacks: Callbacks | None = None,
    batch_size: int | None = None,
    rate: str | None = None,
    concurrency: int = 4,
    skip_invalid: bool = False,
    resume: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    retry_of: str | None = None,
) -> ApplyReport:
    """Plan into a journal, ask to confirm, send, and write the results workbook.

    With `resume`, continue the unfinished run that writes `results` instead.
    """
    from rowpush.engine.apply_run import ApplyRun

    cb = callbacks or Callbacks()
    options: dict[str, Any] = {
        "batch_size": batch_size,
        "rate": rate,
        "concurrency": concurrency,
        "transport": transport,
    }
    run = ApplyRun.open(prep, conn, results, resume=resume, retry_of=retry_of, **options)
    try:
        resumed = run.planned
        async for change in run.plan(cb):
            cb.planned(change)
        planned = run.counts()
        report = ApplyReport(results=None, planned=planned, resumed=resumed)
        if planned[Action.INVALID] and not skip_invalid and not resumed:
            report.invalid = [e for c in run.invalid_changes() for e in c.errors]
            return report
        if run.to_send() and not resumed and not cb.confirm(planned):
            report.cancelled = True
            return report
        report.counts = await run.send(cb, stop=stop)
        report.results = results
        return report
    finally:
        run.close()


async def export_target(
    target_name: str,
    conn: Connection,
    out: Path,
    *,
    columns: Sequence[str] | None = None,
    options: ExportOptions | None = None,
    on_row: Callable[[int], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    rate: str | None = None,
) -> int:
    """Write every live record of a target into its template; returns the row count.

    `columns` limits the export to some headers (the key is always kept): fewer
    columns can mean far fewer requests where list answers carry only some fields.
    Rows stream from the API to a writer thread; a failed export leaves no file.
    """
    from rowpush.sheets.table import ColumnSpec

    target_cls = get_target(target_name)
    target = target_cls(conn)
    headers = _export_headers(target_cls, columns)
    specs = [c for c in target_cls.columns() if c.header in headers]
    rows: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=1000)
    written: list[int] = []
    errors: list[BaseException] = []
    writer: threading.Thread | None = None

    def feed() -> Iterator[list[Any]]:
        while (row := rows.get()) is not None:
            if isinstance(row, BaseException):
                raise row  # the writer drops its temporary file; an older file stays as it was
            yield row

    def write(all_specs: list[ColumnSpec]) -> None:
        try:
            written.append(write_template(target_cls, out, feed(), columns=all_specs))
        except BaseException as exc:
            errors.append(exc)
            while rows.get() is not None:  # unblock the producer
                pass

    count = 0
    try:
        async with connect(target, conn, transport=transport, rate=rate) as client:
            extra = [] if columns else await target.export_extra_headers(client)
            for header in extra:
                headers[header] = header
            all_specs = [*specs, *(ColumnSpec(h) for h in extra)]
            writer = threading.Thread(target=write, args=(all_specs,), name="rowpush-export")
            writer.start()
            fields = list(headers.values())
            async for record in target.iter_live(client, fields, options or ExportOptions()):
                await asyncio.to_thread(rows.put, [record.get(f) for f in fields])
                count += 1
                if on_row:
                    on_row(count)
    except BaseException as exc:
        if writer is not None:
            await asyncio.to_thread(rows.put, RuntimeError(f"export interrupted: {exc!r}"))
        raise
    finally:
        if writer is not None:
            await asyncio.to_thread(rows.put, None)
            await asyncio.to_thread(writer.join)
    if errors:
        raise errors[0]
    return written[0] if written else count


def write_template(
    target: type[Target],
    out: Path,
    rows: Iterable[Sequence[object]] = (),
    *,
    columns: Sequence[ColumnSpec] | None = None,
) -> int:
    """The target's template (its columns, notes, dropdowns, and the hidden record of
    the target), with `rows` if given; returns the rows written."""
    from rowpush import __version__
    from rowpush.sheets.writer import write_table

    return write_table(
        out,
        columns if columns is not None else target.columns(),
        rows,
        sheet_title=target.name,
        meta={"target": target.name, "rowpush_version": __version__},
    )


def _export_headers(target: type[Target], columns: Sequence[str] | None) -> dict[str, str]:
    """Header → field for an export, in template order; unknown names are refused."""
    from rowpush.engine.validate import normalize_header

    all_headers = target.field_of_header()
    if not columns:
        return all_headers
    by_norm = {normalize_header(h): h for h in all_headers}
    wanted = set()
    for name in columns:
        header = by_norm.get(normalize_header(name))
        if header is None:
            raise BadInput(
                f"{name!r} is not a column of {target.name}.",
                hint=f"Columns: {', '.join(all_headers)}.",
            )
        wanted.add(header)
    key_header = next((h for h, f in all_headers.items() if f == target.key), None)
    if key_header:
        wanted.add(key_header)
    return {h: f for h, f in all_headers.items() if h in wanted}
