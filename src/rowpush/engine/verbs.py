"""The verbs: one function per thing a person asks of rowpush, for the CLI and the TUI alike.

Each takes paths, names and a Connection and returns plain data (or a stream of
changes); the faces parse arguments, ask, and draw, and decide nothing else. This
module loads httpx and the sheet libraries' modules: the CLI imports it on first use.

    prep = prepare(Path("clients.xlsx"))                    # open, map headers
    validate_file(prep)                                     # row errors
    plan = plan_file(prep, conn)                            # async for c in plan.changes()
    choice = choose_results(prep, conn, None, resume=False) # where an apply writes
    await apply_file(prep, conn, results=choice.path, resume=choice.resume)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rowpush.config import load_config
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.connect import connect
from rowpush.engine.export import export_target, write_template
from rowpush.engine.outputs import check_folder
from rowpush.engine.outputs import check_output as _check_output
from rowpush.engine.plan_report import PlanJsonWriter, PlanSummary
from rowpush.engine.prepare import Prepared, ensure_writable, prepare, prepare_retry
from rowpush.engine.results_reader import RETRIED_STATUSES, ResultsBook, open_results
from rowpush.engine.run import ApplyReport, ApplyRun
from rowpush.engine.run_files import (
    Unfinished,
    default_results_path,
    default_retry_path,
    find_unfinished,
    journal_path,
    rebuild_results,
)
from rowpush.engine.run_lock import RunLock, check_free
from rowpush.engine.saved_plan import (
    SUFFIX,
    PlanWriter,
    SavedPlan,
    is_plan,
    plan_header,
    read_header,
)
from rowpush.errors import BadInput, RowpushError
from rowpush.model import Change, RowError, Status
from rowpush.targets.base import ExportOptions
from rowpush.targets.registry import all_targets, get_target

if TYPE_CHECKING:
    import asyncio

    import httpx

    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.targets.base import Target

__all__ = [
    "ApplyReport",
    "ApplyRun",
    "Exported",
    "LivePlan",
    "PlanJsonWriter",
    "Prepared",
    "ResultsBook",
    "ResultsChoice",
    "Retry",
    "Template",
    "Validation",
    "all_targets",
    "apply_file",
    "check_output",
    "choose_results",
    "connection_names",
    "export_file",
    "is_plan",
    "load_connection",
    "open_plan",
    "open_results",
    "plan_file",
    "prepare",
    "rebuild_results",
    "retry_file",
    "row_names",
    "start_apply",
    "template_file",
    "validate_file",
]


# -- connections -------------------------------------------------------------------------


def load_connection(name: str, on_warning: Callable[[str], None] | None = None) -> Connection:
    """The connection `name` of rowpush.toml; its warnings (e.g. an unknown key) go to
    `on_warning`."""
    config = load_config()
    conn = config.connection(name)
    for warning in config.warnings_for(name):
        if on_warning is not None:
            on_warning(warning)
    return conn


def connection_names() -> list[str]:
    """The configured connections' names; none when there is no usable rowpush.toml."""
    try:
        return list(load_config().connections)
    except RowpushError:
        return []


# -- validate, plan ------------------------------------------------------------------------


@dataclass
class Validation:
    """What validating a sheet found."""

    rows: int = 0
    bad_rows: int = 0
    errors: int = 0
    shown: list[RowError] = field(default_factory=list)
    """The first errors (at most `max_shown`): a million errors would not help anyone."""


def validate_file(prep: Prepared, *, max_shown: int = 1000) -> Validation:
    """Check every row against the target's rules, streaming; keep the first errors."""
    found = Validation()
    for row in prep.rows():
        found.rows += 1
        if row.errors:
            found.bad_rows += 1
            found.errors += len(row.errors)
            found.shown.extend(row.errors[: max_shown - len(found.shown)])
    return found


class LivePlan:
    """A sheet planned against a connection's live records: `changes()` streams it, and
    `summary` counts what streamed so far."""

    def __init__(
        self,
        prep: Prepared,
        conn: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[RetryEvent], None] | None = None,
        out: Path | None = None,
    ) -> None:
        ensure_writable(prep.target)
        self.prep = prep
        self.out = out
        """Where the plan is saved once it streamed to the end (`plan --out`)."""
        self.conn = conn
        self.target: Target = prep.target(conn)
        self.target.api.settings(conn)  # a misspelt setting is said before any plan output
        self.transport = transport
        self.on_event = on_event
        self.summary = PlanSummary()

    @property
    def base_url(self) -> str:
        return self.target.api.base_url(self.conn)

    async def changes(self) -> AsyncIterator[Change]:
        async with connect(
            self.target, self.conn, transport=self.transport, on_event=self.on_event
        ) as client:
            saving = self._writer()
            try:
                async for change in self.prep.changes(self.target, client):
                    self.summary.add(change)
                    if saving is not None:
                        saving.add(change)
                    yield change
            except BaseException:
                if saving is not None:
                    saving.abandon()
                raise
            if saving is not None:
                saving.finish()

    def _writer(self) -> PlanWriter | None:
        if self.out is None:
            return None
        prep = self.prep
        header = plan_header(
            prep.path, prep.sheet.name, prep.target.name, self.conn.name, self.base_url
        )
        return PlanWriter(self.out, header)


def plan_file(
    prep: Prepared,
    conn: Connection,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
    out: Path | None = None,
    force: bool = False,
) -> LivePlan:
    """What applying the sheet would do, row by row (nothing is sent); `on_event` hears
    the connection's waits (a full rate window, a throttle). With `out`, the plan is also
    saved there (a .rowplan file, for `apply` to apply exactly), once planned to the end."""
    if out is not None:
        check_output(out, force=force, flag="--out", suffixes=(SUFFIX,))
    return LivePlan(prep, conn, transport=transport, on_event=on_event, out=out)


def open_plan(
    path: Path,
    connection: str | None = None,
    *,
    refresh: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> tuple[Prepared, Connection]:
    """A saved plan ready to apply: its sheet opened as it was planned, on its connection.

    Refused when the sheet changed since, or the connection is another one (or points at
    another base URL). Applying it re-reads the records and ends the rows whose record
    moved `stale`; with `refresh` it sends those as planned anew."""
    header = read_header(path)
    sheet = header.find_sheet(path)
    header.check_sheet(path, sheet)
    conn = load_connection(connection or header.connection, on_warning)
    prep = prepare(sheet, target=header.target, sheet=header.sheet_name)
    header.check_connection(path, conn.name, prep.target.api.base_url(conn))
    prep.saved = SavedPlan(path, header, refresh=refresh)
    return prep, conn


# -- apply, retry ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsChoice:
    """Where an apply writes its results, and whether it continues an unfinished run."""

    path: Path
    resume: bool
    continued: Unfinished | None = None
    """The unfinished run found in the folder and continued (the face says so)."""


def choose_results(
    prep: Prepared,
    conn: Connection,
    results: Path | None,
    *,
    resume: bool = False,
    folder: Path | None = None,
    force: bool = False,
) -> ResultsChoice:
    """The resume policy: an apply continues the unfinished run it would otherwise repeat.

    A given `results` path continues the run whose journal is beside it; without one,
    the latest unfinished run of the same sheet, target and connection in `folder`
    (the working directory) is continued; else a new FILE-results-TIME.xlsx is chosen.
    An apply of the same sheet (or results) running in another process is refused
    first; a results workbook that exists and is not the continued run's own needs
    `force` to be replaced.
    """
    check_free([prep.path, *([results] if results is not None else [])])
    if results is not None:
        if journal_path(results).exists():  # the run's own results: continuing rewrites them
            check_folder(results.parent, flag="--results")
            return ResultsChoice(results, True)
        if not resume:  # (with --resume and no journal, the run says there is none)
            check_output(results, force=force, flag="--results")
        return ResultsChoice(results, resume)
    folder = folder or Path.cwd()
    runs = [
        u
        for u in find_unfinished(prep.path, folder)
        if u.target == prep.target.name and u.connection == conn.name
    ]
    if runs:
        last = max(runs, key=lambda u: u.started)
        return ResultsChoice(last.results, True, last)
    if resume:
        raise BadInput(
            f"There is no unfinished run of {prep.file} on '{conn.name}' in {folder}.",
            hint="Give --results RESULTS.xlsx of the run to continue, or leave out --resume.",
        )
    out = default_results_path(prep.path, folder)
    check_output(out, force=force, flag="--results")
    return ResultsChoice(out, False)


def start_apply(
    prep: Prepared,
    conn: Connection,
    results: Path,
    *,
    resume: bool = False,
    retry_of: str | None = None,
    **options: Any,
) -> ApplyRun:
    """A run to drive step by step (plan, then send what the face chose); close it after.

    The run holds the lock of its sheet and of its results until it is closed: another
    apply of either refuses at once (engine/run_lock.py)."""
    verb = f"retry {prep.file}" if retry_of else f"apply {prep.file}"
    lock = RunLock.acquire([prep.path, results], command=verb)
    try:
        run = ApplyRun.open(prep, conn, results, resume=resume, retry_of=retry_of, **options)
    except BaseException:
        lock.release()
        raise
    run.on_close.append(lock.release)
    return run


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
    verify: bool = False,
) -> ApplyReport:
    """Plan into a journal, ask to confirm, send, and write the results workbook.

    With `resume`, continue the unfinished run that writes `results` instead; with
    `verify`, read back what the run changed and record it in the results.
    """
    run = start_apply(
        prep,
        conn,
        results,
        resume=resume,
        retry_of=retry_of,
        batch_size=batch_size,
        rate=rate,
        concurrency=concurrency,
        transport=transport,
        verify=verify,
    )
    try:
        return await run.apply(callbacks, skip_invalid=skip_invalid, stop=stop)
    finally:
        run.close()


@dataclass(frozen=True)
class Retry:
    """What a retry applies: the rows of a results workbook to send again, where to."""

    prep: Prepared
    connection: str
    """The connection's name: the one asked for, else the one the first run used."""
    results: Path
    retry_of: str
    """The results workbook retried (recorded in the new one's Summary)."""
    rows: int = 0
    """How many rows it retries: with none, there is nothing to apply (or to write)."""
    unknown: int = 0
    """Rows left out because their outcome is unknown (check them first)."""


def retry_file(
    results_file: Path,
    *,
    connection: str | None = None,
    results: Path | None = None,
    force: bool = False,
) -> Retry:
    """The failed and never-sent rows of a results workbook, ready to apply again."""
    book = open_results(results_file)
    name = connection or book.connection
    if not name:
        raise BadInput(
            f"{results_file.name} does not say which connection it used.",
            hint="Pass -c CONNECTION.",
        )
    counts = book.counts()
    rows = sum(counts[s] for s in RETRIED_STATUSES)
    out = results or default_retry_path(results_file)
    if rows:
        check_output(out, force=force, flag="--results")
    prep = prepare_retry(results_file)
    return Retry(prep, name, out, results_file.name, rows, counts[Status.UNKNOWN])


def row_names(book: ResultsBook) -> tuple[str | None, str | None]:
    """The headers of a results workbook's key column and name column (either may be
    missing), for listing its rows."""
    try:
        target = get_target(book.target)
    except RowpushError:
        return None, None
    header_of = {f: h for h, f in target.field_of_header().items()}
    found = [header_of.get(f) if f else None for f in (target.key, target.label)]
    key, label = (h if h in book.headers else None for h in found)
    return key, label


# -- templates, exports --------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """An empty template written."""

    path: Path
    target: str
    columns: int


def template_file(target: str, out: Path | None = None, *, force: bool = False) -> Template:
    """Write an empty template for a target (TARGET.xlsx unless `out` says otherwise);
    an existing file is replaced only with `force`."""
    target_cls = get_target(target)
    path = out or Path(f"{target_cls.name}.xlsx")
    check_output(path, force=force)
    write_template(target_cls, path)
    return Template(path, target_cls.name, len(target_cls.headers()))


@dataclass(frozen=True)
class Exported:
    """An export written."""

    path: Path
    target: str
    connection: str
    rows: int


async def export_file(
    target: str,
    connection: str,
    out: Path | None = None,
    *,
    columns: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    download: Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
    on_row: Callable[[int], None] | None = None,
    rate: str | None = None,
    force: bool = False,
) -> Exported:
    """Write a target's live records into its template (TARGET.xlsx unless `out` says
    otherwise); `download` is a folder for the records' files, made if missing. The
    output is checked before any record is read; `on_row` hears the count so far."""
    target_cls = get_target(target)
    conn = load_connection(connection, on_warning)
    path = out or Path(f"{target_cls.name}.xlsx")
    check_output(path, force=force)
    if download is not None:
        _make_folder(download)
    options = ExportOptions(start=start, end=end, download=download)
    count = await export_target(
        target,
        conn,
        path,
        columns=columns,
        options=options,
        on_event=on_event,
        on_row=on_row,
        rate=rate,
    )
    return Exported(path, target_cls.name, conn.name, count)


def _make_folder(download: Path) -> None:
    if download.exists() and not download.is_dir():
        raise BadInput(f"--download {download}: this is a file, not a folder.")
    try:
        download.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(
            f"--download {download}: cannot make this folder ({exc.strerror or exc}).",
            hint="Give --download a folder you can write to.",
        ) from None
    check_folder(download, flag="--download")


def check_output(
    path: Path, *, force: bool = False, flag: str = "-o", suffixes: tuple[str, ...] | None = None
) -> None:
    """Refuse an output rowpush cannot or must not write, before any work starts: another
    suffix, a missing or read-only folder, a file that cannot be replaced, or an existing
    file without `force` (engine/outputs.py says why)."""
    if suffixes is None:
        _check_output(path, force=force, flag=flag)
    else:
        _check_output(path, force=force, flag=flag, suffixes=suffixes)
