"""The command line: parse arguments, call engine/runs, print. No business rules here.

Exit codes: 0 all rows done, 1 some rows failed, 2 bad input or usage,
3 configuration, connection or authentication error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rowpush import __version__
from rowpush.engine.callbacks import Callbacks
from rowpush.errors import BadInput, RowpushError
from rowpush.model import show_value

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine.runs import ApplyReport, Prepared
    from rowpush.http.transport import RetryEvent
    from rowpush.model import Change, Outcome, RowError

app = typer.Typer(
    name="rowpush",
    help="Turn a spreadsheet into safe, fast, audited bulk changes on SaaS REST APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Options shared by several commands, defined once.
FileArg = Annotated[Path, typer.Argument(help="The sheet: .xlsx or .csv.", show_default=False)]
ConnOpt = Annotated[
    str, typer.Option("--connection", "-c", help="Connection name from rowpush.toml.")
]
TargetOpt = Annotated[
    str | None,
    typer.Option("--target", "-t", help="Target (needed for CSV; XLSX templates record it)."),
]
MAX_ERRORS_SHOWN = 1000
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="XLSX sheet to read (default: first visible).")
]


def _version(value: bool) -> None:
    if value:
        print(f"rowpush {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Turn a spreadsheet into safe, fast, audited bulk changes on SaaS REST APIs."""


def err(text: str) -> None:
    print(text, file=sys.stderr)


def _connection(name: str) -> Connection:
    from rowpush.config import load_config

    config = load_config()
    conn = config.connection(name)
    for warning in config.warnings_for(name):
        err(f"warning: {warning}")
    return conn


def _prepare(file: Path, target: str | None, sheet: str | None) -> Prepared:
    from rowpush.engine.runs import prepare

    prep = prepare(file, target=target, sheet=sheet)
    for warning in prep.hmap.warnings:
        err(f"warning: {warning.message}")
    return prep


@app.command("targets")
def targets_cmd() -> None:
    """List the targets, the API each needs, and its key."""
    from rowpush.targets.registry import all_targets

    rows = [("TARGET", "API", "KEY", "DESCRIPTION")]
    for name, target in all_targets().items():
        rows.append((name, target.api.name, target.key or "-", target.description))
    _print_table(rows)


@app.command("template")
def template_cmd(
    target: Annotated[str, typer.Argument(help="Target name, e.g. halopsa.clients.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (.xlsx or .csv).")
    ] = None,
) -> None:
    """Write an empty template for a target (XLSX by default, CSV by extension)."""
    from rowpush.engine.runs import write_template
    from rowpush.targets.registry import get_target

    target_cls = get_target(target)
    out = output or Path(f"{target_cls.name}.xlsx")
    _check_output(out)
    write_template(target_cls, out)
    print(f"Wrote {out} ({len(target_cls.headers())} columns for {target_cls.name}).")


@app.command("export")
def export_cmd(
    target: Annotated[str, typer.Argument(help="Target name, e.g. halopsa.clients.")],
    connection: ConnOpt,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (.xlsx or .csv).")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns", help="Comma-separated headers to export (default: all; the key stays)."
        ),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=DATE_FORMATS, help="Period start (usage reports)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=DATE_FORMATS, help="Period end (usage reports)."),
    ] = None,
    download: Annotated[
        Path | None,
        typer.Option("--download", help="Also fetch the files (documents) into this folder."),
    ] = None,
) -> None:
    """Write the live records of a target into its template, ready to edit."""
    from rowpush.engine.runs import export_target
    from rowpush.targets.base import ExportOptions
    from rowpush.targets.registry import get_target

    target_cls = get_target(target)
    conn = _connection(connection)
    out = output or Path(f"{target_cls.name}.xlsx")
    _check_output(out)
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if download is not None:
        if download.exists() and not download.is_dir():
            raise BadInput(f"--download {download}: this is a file, not a folder.")
        download.mkdir(parents=True, exist_ok=True)
    options = ExportOptions(start=start, end=end, download=download)
    count = asyncio.run(export_target(target, conn, out, columns=wanted, options=options))
    print(f"Exported {count} {target_cls.name} records from '{conn.name}' to {out}.")


@app.command("validate")
def validate_cmd(file: FileArg, target: TargetOpt = None, sheet: SheetOpt = None) -> None:
    """Check every row against the target's rules; exit 2 if any row is invalid."""
    prep = _prepare(file, target, sheet)
    shown: list[RowError] = []  # the first ones: a million errors would not help anyone
    count = total = bad_rows = 0
    for row in prep.rows():
        count += 1
        if row.errors:
            bad_rows += 1
            total += len(row.errors)
            shown.extend(row.errors[: MAX_ERRORS_SHOWN - len(shown)])
    if total:
        err(f"{file.name}: {total} error(s) in {bad_rows} of {count} row(s).")
        print_errors(shown)
        if total > len(shown):
            err(f"… and {total - len(shown)} more; fix these first, then validate again.")
        raise typer.Exit(2)
    print(f"{file.name}: {count} row(s) valid for {prep.target.name}.")


def print_errors(errors: Sequence[RowError]) -> None:
    rows = [("ROW", "COLUMN", "HEADER", "VALUE", "PROBLEM")]
    for e in errors:
        rows.append(
            (
                "" if e.row is None else str(e.row),
                e.column or "",
                e.header or "",
                _short(e.value or "", 30),
                e.problem or e.message,
            )
        )
    _print_table(rows, file=sys.stderr)


@app.command("plan")
def plan_cmd(
    file: FileArg,
    connection: ConnOpt,
    target: TargetOpt = None,
    sheet: SheetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    tui: Annotated[bool, typer.Option("--tui", help="Browse the plan in the terminal UI.")] = False,
) -> None:
    """Show what apply would do, row by row: create, update (old → new), unchanged, invalid."""
    prep = _prepare(file, target, sheet)
    conn = _connection(connection)
    if tui:
        # Textual loads only here: `rowpush --help` stays fast.
        from rowpush.model import Action
        from rowpush.tui.app import build_app
        from rowpush.tui.sources import live_plan

        tui_app = build_app(live_plan(prep, conn))
        tui_app.run()
        if tui_app.counts[Action.INVALID]:
            raise typer.Exit(2)
        return
    counts = asyncio.run(_plan(prep, conn, as_json))
    if counts.get("invalid"):
        raise typer.Exit(2)


async def _plan(prep: Prepared, conn: Connection, as_json: bool) -> dict[str, int]:
    from rowpush.engine.runs import connect, ensure_writable, plan_changes
    from rowpush.model import Action

    ensure_writable(prep.target)
    target = prep.target(conn)
    counts = {a.value: 0 for a in Action}
    out = sys.stdout
    if as_json:
        out.write(f'{{"target": {json.dumps(target.name)}, "rows": [')
    else:
        url = target.api.base_url(conn)
        out.write(f"Plan for {prep.file} → {target.name} on '{conn.name}' ({url})\n\n")
    first = True
    tty = sys.stderr.isatty()
    async with connect(target, conn) as client:
        async for change in plan_changes(prep, target, client):
            counts[change.action.value] += 1
            planned = sum(counts.values())
            if tty and planned % 50 == 0:  # live reads can take minutes at Halo's 1 request/s
                sys.stderr.write(f"\rplanning: {planned} rows read against live state…")
                sys.stderr.flush()
            if as_json:
                out.write(("" if first else ",") + "\n  " + json.dumps(change.to_json()))
                first = False
            else:
                _print_change(change)
    if tty:
        sys.stderr.write("\r\033[K")
    if as_json:
        summary = json.dumps(counts)
        out.write(f'\n], "summary": {summary}}}\n')
    else:
        out.write(
            f"\nPlan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['invalid']} invalid.\n"
        )
    return counts


def _print_change(change: Change) -> None:
    from rowpush.model import Action

    if change.action is Action.UNCHANGED:
        return
    key = "(new)" if change.key is None else f"{change.key}"
    label = change.label or ""
    print(f"  row {change.row:<6} {change.action.value:<9} {key:<8} {label}")
    pad = " " * 8
    if change.lead is not None:
        print(f"{pad}(the same record as row {change.lead})")
    for name, (old, new) in change.fields.items():
        if change.action is Action.CREATE:
            print(f"{pad}{name}: {show_value(new)}")
        else:
            print(f"{pad}{name}: {show_value(old)} → {show_value(new)}")
    for error in change.errors:
        print(f"{pad}{error.message}")


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ResultsOpt = Annotated[
    Path | None,
    typer.Option("--results", help="Results workbook (default: FILE-results-TIME.xlsx)."),
]
BatchOpt = Annotated[int | None, typer.Option("--batch-size", min=1, help="Records per request.")]
RateOpt = Annotated[
    str | None, typer.Option("--rate", help='Request rate, e.g. "2/s" or "300/5min".')
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, help="Requests in flight.")
]


@app.command("apply")
def apply_cmd(
    file: FileArg,
    connection: ConnOpt,
    target: TargetOpt = None,
    sheet: SheetOpt = None,
    yes: YesOpt = False,
    results: ResultsOpt = None,
    batch_size: BatchOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = 4,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Apply the valid rows even if some are not.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue the unfinished run of this sheet (see README)."),
    ] = False,
    tui: Annotated[
        bool, typer.Option("--tui", help="Review the plan and apply it in the terminal UI.")
    ] = False,
) -> None:
    """Apply a sheet: plan, confirm, send in batches, write the results workbook.

    Re-running an apply that was interrupted continues it: rows already sent are not
    sent again.
    """
    interactive = sys.stdin.isatty()
    if not yes and not interactive:
        raise BadInput(
            "apply changes live records and needs a confirmation.",
            hint="Not running in a terminal: add --yes to apply without asking.",
        )
    prep = _prepare(file, target, sheet)
    conn = _connection(connection)
    out, resume = _results_path(prep, conn, results, resume)
    if tui:
        raise typer.Exit(_apply_tui(prep, conn, out, resume, batch_size, rate, concurrency))
    _run_apply(
        prep,
        conn,
        out,
        yes=yes,
        resume=resume,
        batch_size=batch_size,
        rate=rate,
        concurrency=concurrency,
        skip_invalid=skip_invalid,
    )


def _results_path(
    prep: Prepared, conn: Connection, results: Path | None, resume: bool
) -> tuple[Path, bool]:
    """Where this apply writes, and whether it continues an unfinished run there."""
    from rowpush.engine.apply_run import find_unfinished, journal_path
    from rowpush.engine.runs import default_results_path

    if results is not None:
        if not resume and journal_path(results).exists():
            _check_output(results)
        return results, resume or journal_path(results).exists()
    runs = [
        u
        for u in find_unfinished(prep.path, Path.cwd())
        if u.target == prep.target.name and u.connection == conn.name
    ]
    if runs:
        last = max(runs, key=lambda u: u.started)
        err(
            f"Found an unfinished run of {prep.file} (started {last.started}): "
            f"{last.done} row(s) done, {last.left} to go. Continuing it; "
            f"results go to {last.results.name}."
        )
        return last.results, True
    if resume:
        raise BadInput(
            f"There is no unfinished run of {prep.file} on '{conn.name}' in {Path.cwd()}.",
            hint="Give --results RESULTS.xlsx of the run to continue, or leave out --resume.",
        )
    out = default_results_path(prep.path)
    _check_output(out)
    return out, False


def _apply_tui(prep: Prepared, conn: Connection, out: Path, resume: bool, *options: Any) -> int:
    """The plan screen with apply; exit 0 when every row applied (or nothing was)."""
    from rowpush.tui.app import build_app
    from rowpush.tui.sources import RunApplier, apply_plan

    batch_size, rate, concurrency = options
    source = apply_plan(
        prep, conn, out, resume=resume, batch_size=batch_size, rate=rate, concurrency=concurrency
    )
    assert isinstance(source.applier, RunApplier)
    run = source.applier.run
    try:
        build_app(source).run()
    finally:
        run.close()
    if run.final is None:
        err("Nothing was applied.")
        return 0
    print(f"Results: {out}")
    # rows left out by the user's choice (a subset, a cancel) are `skipped`, not failures
    return 1 if any(run.final.get(s) for s in ("failed", "unknown")) else 0


def _run_apply(
    prep: Prepared,
    conn: Connection,
    out: Path,
    *,
    yes: bool,
    resume: bool = False,
    retry_of: str | None = None,
    **options: Any,
) -> None:
    from rowpush.engine.runs import apply_file

    callbacks = ConsoleCallbacks(prep, conn, ask=not yes)
    try:
        report = asyncio.run(
            apply_file(
                prep,
                conn,
                results=out,
                callbacks=callbacks,
                resume=resume,
                retry_of=retry_of,
                **options,
            )
        )
    except KeyboardInterrupt:
        callbacks.close()
        if out.exists():
            err(f"Interrupted. What was done so far is in {out}; rows not sent are 'skipped'.")
        err("Run the same command again to continue: rows already sent are not sent again.")
        raise
    finally:
        callbacks.close()
    raise typer.Exit(report_apply(report))


@app.command("retry")
def retry_cmd(
    results_file: Annotated[
        Path, typer.Argument(help="A results workbook of an earlier apply.", show_default=False)
    ],
    connection: Annotated[
        str | None,
        typer.Option("--connection", "-c", help="Connection (default: the one the run used)."),
    ] = None,
    yes: YesOpt = False,
    results: ResultsOpt = None,
    batch_size: BatchOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = 4,
) -> None:
    """Plan the failed and never-sent rows of a results workbook again and apply them."""
    from rowpush.engine.results_book import open_results
    from rowpush.engine.runs import default_retry_path, prepare_retry

    if not yes and not sys.stdin.isatty():
        raise BadInput(
            "retry changes live records and needs a confirmation.",
            hint="Not running in a terminal: add --yes to apply without asking.",
        )
    book = open_results(results_file)
    name = connection or book.connection
    if not name:
        raise BadInput(
            f"{results_file.name} does not say which connection it used.",
            hint="Pass -c CONNECTION.",
        )
    conn = _connection(name)
    prep = prepare_retry(results_file)
    out = results or default_retry_path(results_file)
    _check_output(out)
    _run_apply(
        prep,
        conn,
        out,
        yes=yes,
        retry_of=results_file.name,
        batch_size=batch_size,
        rate=rate,
        concurrency=concurrency,
    )


@app.command("show")
def show_cmd(
    results_file: Annotated[Path, typer.Argument(help="A results workbook.", show_default=False)],
    text: Annotated[
        bool, typer.Option("--text", help="Print a summary even in a terminal (no UI).")
    ] = False,
) -> None:
    """Audit a results workbook: the terminal UI on a terminal, else a text summary."""
    from rowpush.engine.results_book import open_results

    book = open_results(results_file)
    if sys.stdout.isatty() and not text:
        _show_tui(book)
        return
    counts = book.counts()
    print(f"{results_file.name}: {book.target} on '{book.connection or '?'}'")
    print(", ".join(f"{n} {status.value}" for status, n in counts.items() if n) or "no rows")
    rows = [("ROW", "STATUS", "HTTP", "MESSAGE")]
    for row in book.rows():
        if row.status.value in ("failed", "skipped", "unknown"):
            code = "" if row.http_status is None else str(row.http_status)
            rows.append((str(row.row), row.status.value, code, _short(row.message, 70)))
    if len(rows) > 1:
        _print_table(rows)


def _show_tui(book: Any) -> None:
    from rowpush.config import load_config
    from rowpush.tui.app import build_app
    from rowpush.tui.sources import ResultsSource

    try:
        names: list[str] = list(load_config().connections)
    except RowpushError:
        names = []

    runs: list[Any] = []  # each retry's ApplyRun, closed (journal dropped if done) at the end

    def retry(name: str) -> Any:
        from rowpush.engine.runs import default_retry_path, prepare_retry
        from rowpush.tui.sources import RunApplier, apply_plan

        out = default_retry_path(book.path)
        source = apply_plan(
            prepare_retry(book.path), _connection(name), out, retry_of=book.path.name
        )
        if isinstance(source.applier, RunApplier):
            runs.append(source.applier.run)
        return source

    try:
        build_app(ResultsSource(book, retry=retry, connections=names)).run()
    finally:
        for run in runs:
            run.close()
            if run.final is not None:
                print(f"Retry results: {run.results}")


results_app = typer.Typer(help="Work with results workbooks and their journals.")
app.add_typer(results_app, name="results")


@results_app.command("rebuild")
def results_rebuild_cmd(
    journal: Annotated[
        Path, typer.Argument(help="RESULTS.xlsx.journal left by a run.", show_default=False)
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Workbook to write (default: the run's own)."),
    ] = None,
) -> None:
    """Write a run's results workbook from its journal (e.g. after a crash)."""
    from rowpush.engine.apply_run import rebuild_results

    out, counts = rebuild_results(journal, output)
    print(f"Wrote {out}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ".")


def report_apply(report: ApplyReport) -> int:
    if report.invalid:
        err(f"Nothing was sent: {report.planned.get('invalid', 0)} row(s) are invalid.")
        print_errors(report.invalid)
        err("Fix them, or add --skip-invalid to apply the valid rows only.")
        return 2
    if report.cancelled:
        err("Apply cancelled; nothing was sent.")
        return 0
    c = report.counts
    unknown = f", {c['unknown']} unknown" if c.get("unknown") else ""
    print(
        f"Applied: {c.get('created', 0)} created, {c.get('updated', 0)} updated, "
        f"{c.get('unchanged', 0)} unchanged, {c.get('failed', 0)} failed, "
        f"{c.get('invalid', 0)} invalid, {c.get('skipped', 0)} skipped{unknown}."
    )
    if unknown:
        err(
            "Rows marked 'unknown' were sent but no answer came and no lookup could tell "
            "whether they landed: check them before sending them again."
        )
    if report.results:
        print(f"Results: {report.results}")
    return 0 if report.ok else 1


class ConsoleCallbacks(Callbacks):
    """Apply progress on stderr (a bar when it is a terminal) and the confirmation prompt."""

    def __init__(self, prep: Prepared, conn: Connection, *, ask: bool) -> None:
        self.prep = prep
        self.conn = conn
        self.ask = ask
        self.tty = sys.stderr.isatty()
        self.done = 0
        self.total = 0
        self.failed = 0
        self._progress: Any = None
        self._task: Any = None

    def planned(self, change: Change) -> None:
        return None

    def confirm(self, counts: dict[str, int]) -> bool:
        target = self.prep.target
        url = target.api.base_url(self.conn)
        question = (
            f"Apply {counts['update']} update(s) and {counts['create']} create(s) "
            f"to {target.name} on '{self.conn.name}' ({url})?"
        )
        if not self.ask:
            return True
        return typer.confirm(question, default=False, err=True)

    def sending(self, total: int) -> None:
        self.total = total
        if self.tty and total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("apply", total=total, failed=0, note="")

    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        from rowpush.model import Status

        self.done += len(outcomes)
        self.failed += sum(o.status is Status.FAILED for o in outcomes)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, failed=self.failed)

    def retry_event(self, event: RetryEvent) -> None:
        if self._progress is None:
            return
        if event.kind == "throttled":
            note = f"paused {event.wait:.0f} s on {event.status or 429}"
        elif event.kind == "retry":
            note = f"retrying after {event.status or event.error}"
        else:
            note = ""
        self._progress.update(self._task, note=note)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@app.command("sandbox")
def sandbox_cmd(
    port: Annotated[int, typer.Option("--port", help="Port (0 = any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    config_out: Annotated[
        Path | None, typer.Option("--config-out", help="Also write the rowpush.toml here.")
    ] = None,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            "--rate-limit",
            help='Requests per API before 429: "5/s", "5", or a preset: halo-300, halo-500, '
            "halo-700 (Halo's published rolling windows).",
        ),
    ] = None,
    fail_rate: Annotated[
        float, typer.Option("--fail-rate", min=0.0, max=1.0, help="Share of random 5xx answers.")
    ] = 0.0,
    throttle_rate: Annotated[
        float,
        typer.Option(
            "--429-rate",
            min=0.0,
            max=1.0,
            help="Share of answers throttled (each API's own 429/403 shape; see --retry-after).",
        ),
    ] = 0.0,
    timeout_rate: Annotated[
        float,
        typer.Option(
            "--timeout-rate",
            min=0.0,
            max=1.0,
            help="Share of requests that hang --hang-seconds unhandled, then 504.",
        ),
    ] = 0.0,
    drop_rate: Annotated[
        float,
        typer.Option(
            "--drop-rate",
            min=0.0,
            max=1.0,
            help="Share of requests handled, then cut mid-answer (the change lands).",
        ),
    ] = 0.0,
    hang_seconds: Annotated[
        float,
        typer.Option("--hang-seconds", min=0.0, help="How long a --timeout-rate request hangs."),
    ] = 30.0,
    latency: Annotated[
        int, typer.Option("--latency", min=0, help="Added latency per request, ms.")
    ] = 0,
    retry_after: Annotated[
        bool,
        typer.Option(
            "--retry-after",
            help="Send Retry-After with every 429 (no vendor documents one: off by default).",
        ),
    ] = False,
    token_ttl: Annotated[
        int | None,
        typer.Option(
            "--token-ttl",
            min=1,
            help="Lifetime of access tokens on every API, seconds "
            "(default: each API's own, m3ter 5 h, the others 1 h).",
        ),
    ] = None,
) -> None:
    """Run the local sandbox emulating the vendor APIs until interrupted."""
    from rowpush.sandbox.options import RATE_PRESETS, SandboxOptions
    from rowpush.sandbox.server import render_config, serve

    try:
        options = SandboxOptions(
            fail_rate=fail_rate,
            throttle_rate=throttle_rate,
            timeout_rate=timeout_rate,
            drop_rate=drop_rate,
            hang_seconds=hang_seconds,
            latency_ms=latency,
            token_ttl=token_ttl,
            retry_after=retry_after,
        )
    except ValueError as exc:  # the fault rates add up to more than 1
        raise BadInput(
            f"{exc}.", hint="Lower --fail-rate, --429-rate, --timeout-rate or --drop-rate."
        ) from None
    if rate_limit in RATE_PRESETS:
        options.rate_window = RATE_PRESETS[rate_limit]
    elif rate_limit:
        try:
            options.rate_limit = float(rate_limit.removesuffix("/s"))
        except ValueError:
            raise BadInput(
                f"--rate-limit {rate_limit!r} is not understood.",
                hint=f'Write requests per second ("5/s") or one of {", ".join(RATE_PRESETS)}.',
            ) from None
        if options.rate_limit <= 0:
            raise BadInput("--rate-limit must be more than 0 requests per second.")

    def ready(url: str) -> None:
        config = render_config(url, options)
        if config_out is not None:
            config_out.write_text(config, encoding="utf-8")
            config_out.chmod(0o600)  # it holds (the sandbox's own) secrets
            err(f"Wrote {config_out}.")
        print(config, flush=True)
        err(f"rowpush sandbox listening on {url} (Ctrl+C to stop)")

    try:
        serve(host, port, options, on_ready=ready)
    except KeyboardInterrupt:  # Ctrl+C is how a sandbox is meant to stop
        err("sandbox stopped.")
    except OSError as exc:
        raise BadInput(
            f"Cannot listen on {host}:{port}: {exc.strerror}.",
            hint="Pick another --port (0 picks a free one).",
        ) from None


@app.command("demo")
def demo_cmd() -> None:
    """Run the whole flow against the sandbox: export, edit, plan, apply, results."""
    from rowpush.demo import run_demo

    raise typer.Exit(run_demo(Path.cwd()))


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise BadInput(f"{path}: the output must end in .xlsx or .csv.")
    if not path.parent.exists():
        raise BadInput(f"{path}: the folder {path.parent} does not exist.")


def _short(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(rows: Sequence[Sequence[str]], file: Any = None) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip(), file=file or sys.stdout)


def main(argv: Sequence[str] | None = None) -> None:
    """The `rowpush` console script."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="rowpush")
    except RowpushError as exc:
        err(f"error: {exc}")
        code = exc.exit_code
    except typer.Abort:
        err("Aborted.")
        code = 130
    except Exception as exc:
        # Usage errors (unknown command, missing argument, bad option value) come from the
        # click that typer carries; they know how to show themselves and their exit code.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if not callable(show) or not isinstance(exit_code, int):
            raise
        show()
        code = exit_code
    except KeyboardInterrupt:
        err("Interrupted.")
        code = 130
    except BrokenPipeError:  # `rowpush plan … | head`: the reader had enough
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        code = 141  # as a shell reports SIGPIPE
    sys.exit(code if isinstance(code, int) else 0)
