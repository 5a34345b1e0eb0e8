"""The command line: parse arguments, call the engine's verbs, print. No business rules here.

Each command is a few lines over `rowpush.engine.verbs`, which the TUI calls too. The
engine (httpx, pydantic), the TUI (Textual) and the sandbox (starlette, uvicorn) load
on first use, so that `rowpush --help` starts fast.

Exit codes: 0 all rows done, 1 some rows failed, 2 bad input or usage,
3 configuration, connection or authentication error.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rowpush import __version__, cli_plans, cli_sandbox, import_cli
from rowpush.cli_options import (
    DATE_FORMATS,
    QUIET_HELP,
    BatchOpt,
    ConcurrencyOpt,
    ConnOpt,
    FileArg,
    ForceOpt,
    JsonOpt,
    OnFirstUse,
    RateOpt,
    ResultsOpt,
    RetryResultsOpt,
    SheetOpt,
    TargetOpt,
    YesOpt,
    with_metavars,
)
from rowpush.console import (
    err,
    print_errors,
    print_plan,
    print_plan_json,
    print_results,
    print_targets,
    print_validation_json,
    report_apply,
    say_continuing,
    warn,
)
from rowpush.errors import BadInput, RowpushError
from rowpush.model import Action
from rowpush.progress import ConsoleCallbacks, ExportProgress, WindowNotices, set_quiet

if TYPE_CHECKING:
    from rowpush import demo
    from rowpush.config import Connection
    from rowpush.engine import verbs
    from rowpush.engine.prepare import Prepared
    from rowpush.tui import app as tui_app
    from rowpush.tui import sources as tui_sources
else:
    demo = OnFirstUse("rowpush.demo")
    verbs = OnFirstUse("rowpush.engine.verbs")
    tui_app = OnFirstUse("rowpush.tui.app")
    tui_sources = OnFirstUse("rowpush.tui.sources")

app = typer.Typer(
    name="rowpush",
    help="Turn a spreadsheet into safe, fast, audited bulk changes on SaaS REST APIs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

MAX_ERRORS_SHOWN = 1000


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
) -> None:
    """Turn a spreadsheet into safe, fast, audited bulk changes on SaaS REST APIs."""
    set_quiet(quiet)


def _connection(name: str) -> Connection:
    return verbs.load_connection(name, on_warning=warn)


def _prepare(file: Path, target: str | None, sheet: str | None) -> Prepared:
    prep = verbs.prepare(file, target=target, sheet=sheet)
    for warning in prep.hmap.warnings:
        warn(warning.message)
    return prep


@app.command("targets")
def targets_cmd(as_json: JsonOpt = False) -> None:
    """List the targets, the API each needs, and its key."""
    print_targets(verbs.all_targets(), as_json=as_json)


@app.command("template")
def template_cmd(
    target: Annotated[str, typer.Argument(help="Target name, e.g. halopsa.clients.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (.xlsx or .csv).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write an empty template for a target (XLSX by default, CSV by extension)."""
    done = verbs.template_file(target, output, force=force)
    print(f"Wrote {done.path} ({done.columns} columns for {done.target}).")


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
    rate: Annotated[
        str | None, typer.Option("--rate", help='Request rate, e.g. "2/s" or "300/5min".')
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write the live records of a target into its template, ready to edit."""
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    progress = ExportProgress()
    try:
        done = asyncio.run(
            verbs.export_file(
                target,
                connection,
                output,
                columns=wanted,
                start=start,
                end=end,
                download=download,
                on_warning=warn,
                on_event=WindowNotices(),
                on_row=progress.update,
                rate=rate,
                force=force,
            )
        )
    finally:
        progress.close()
    print(f"Exported {done.rows} {done.target} records from '{done.connection}' to {done.path}.")


@app.command("validate")
def validate_cmd(
    file: FileArg, target: TargetOpt = None, sheet: SheetOpt = None, as_json: JsonOpt = False
) -> None:
    """Check every row against the target's rules; exit 2 if any row is invalid."""
    prep = _prepare(file, target, sheet)
    found = verbs.validate_file(prep, max_shown=MAX_ERRORS_SHOWN)
    if as_json:
        print_validation_json(prep, found)
        raise typer.Exit(2 if found.errors else 0)
    if found.errors:
        err(f"{file.name}: {found.errors} error(s) in {found.bad_rows} of {found.rows} row(s).")
        print_errors(found.shown)
        if found.errors > len(found.shown):
            more = found.errors - len(found.shown)
            err(f"… and {more} more; fix these first, then validate again.")
        raise typer.Exit(2)
    print(f"{file.name}: {found.rows} row(s) valid for {prep.target.name}.")


@app.command("plan")
def plan_cmd(
    file: FileArg,
    connection: ConnOpt,
    target: TargetOpt = None,
    sheet: SheetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    tui: Annotated[bool, typer.Option("--tui", help="Browse the plan in the terminal UI.")] = False,
    out: cli_plans.OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Show what apply would do, row by row: create, update (old → new), unchanged, invalid."""
    prep = _prepare(file, target, sheet)
    conn = _connection(connection)
    if out is not None:
        raise typer.Exit(
            cli_plans.save_plan(prep, conn, out, as_json=as_json, tui=tui, force=force)
        )
    if tui:
        app_ = tui_app.build_app(tui_sources.live_plan(prep, conn))
        app_.run()
        if app_.counts[Action.INVALID]:
            raise typer.Exit(2)
        return
    plan = verbs.plan_file(prep, conn, on_event=WindowNotices())
    asyncio.run(print_plan_json(plan) if as_json else print_plan(plan))
    if plan.summary["invalid"]:
        raise typer.Exit(2)


@app.command("apply")
def apply_cmd(
    file: FileArg,
    connection: Annotated[
        str | None,
        typer.Option(
            "--connection", "-c", metavar="NAME", help="Connection (a saved plan names its own)."
        ),
    ] = None,
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
    verify: Annotated[bool, typer.Option("--verify", help="Verify the changes at once.")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Saved plan: re-plan the rows whose record moved.")
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Apply a sheet or a saved plan (.rowplan): plan, confirm, send, write the results."""
    _confirmable("apply", yes)
    prep, conn = cli_plans.open_input(file, connection, target, sheet, refresh=refresh)
    choice = verbs.choose_results(prep, conn, results, resume=resume, force=force)
    if choice.continued is not None:
        say_continuing(prep.file, choice.continued)
    options = {"batch_size": batch_size, "rate": rate, "concurrency": concurrency, "verify": verify}
    if tui:
        options["skip_invalid"] = skip_invalid
        raise typer.Exit(_apply_tui(prep, conn, choice.path, choice.resume, **options))
    _run_apply(
        prep, conn, choice.path, yes=yes, resume=choice.resume, skip_invalid=skip_invalid, **options
    )


def _confirmable(verb: str, yes: bool) -> None:
    """Without --yes, a verb that changes live records needs a terminal to ask on."""
    if not yes and not sys.stdin.isatty():
        raise BadInput(
            f"{verb} changes live records and needs a confirmation.",
            hint="Not running in a terminal: add --yes to apply without asking.",
        )


def _apply_tui(prep: Prepared, conn: Connection, out: Path, resume: bool, **options: Any) -> int:
    """The plan screen with apply; exit 0 when every row applied (or nothing was)."""
    final = tui_app.run_apply(tui_sources.apply_plan(prep, conn, out, resume=resume, **options))
    if final is None:
        err("Nothing was applied.")
        return 0
    print(f"Results: {out}")
    # as the README says: 0 only when every row is done (skipped, invalid: 1)
    bad = ("failed", "unknown", "skipped", "invalid", "stale")
    return 1 if any(final.get(s) for s in bad) else 0


def _run_apply(prep: Prepared, conn: Connection, out: Path, *, yes: bool, **options: Any) -> None:
    """Apply with progress on the terminal; `options` go to `verbs.apply_file`."""
    callbacks = ConsoleCallbacks(prep, conn, ask=not yes)
    try:
        applying = verbs.apply_file(prep, conn, results=out, callbacks=callbacks, **options)
        report = asyncio.run(applying)
    except KeyboardInterrupt:
        callbacks.close()
        if out.exists():
            err(f"Interrupted. What was done so far is in {out}; rows not sent are 'skipped'.")
        err("Run the same command again to continue: rows already sent are not sent again.")
        raise
    finally:
        callbacks.close()
    target = prep.target
    resent_ignored = target.api.name if target.idempotent_creates and target.key is None else ""
    raise typer.Exit(report_apply(report, resent_ignored=resent_ignored))


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
    results: RetryResultsOpt = None,
    batch_size: BatchOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = 4,
    force: ForceOpt = False,
) -> None:
    """Plan the failed and never-sent rows of a results workbook again and apply them."""
    _confirmable("retry", yes)
    retry = verbs.retry_file(results_file, connection=connection, results=results, force=force)
    if not retry.rows:
        left = f" ({retry.unknown} unknown: check those by hand)" if retry.unknown else ""
        print(f"Nothing to retry: no row of {results_file.name} failed or was skipped{left}.")
        return
    conn = _connection(retry.connection)
    options = {"batch_size": batch_size, "rate": rate, "concurrency": concurrency}
    _run_apply(retry.prep, conn, retry.results, yes=yes, retry_of=retry.retry_of, **options)


@app.command("show")
def show_cmd(
    results_file: Annotated[Path, typer.Argument(help="A results workbook.", show_default=False)],
    text: Annotated[
        bool, typer.Option("--text", help="Print a summary even in a terminal (no UI).")
    ] = False,
) -> None:
    """Audit a results workbook: the terminal UI on a terminal, else a text summary."""
    book = verbs.open_results(results_file)
    if sys.stdout.isatty() and not text:
        for path in tui_app.run_results(book):
            print(f"Retry results: {path}")
        return
    print_results(book, *verbs.row_names(book))


app.add_typer(import_cli.app, name="import")  # rowpush import postman|openapi
results_app = typer.Typer(help="Work with results workbooks and their journals.")
app.add_typer(results_app, name="results")
import rowpush.cli_audit  # noqa: E402, F401  (its verify and revert commands join `app`)


@results_app.command("rebuild", short_help="Write a run's results workbook from its journal.")
def results_rebuild_cmd(
    journal: Annotated[
        Path, typer.Argument(help="RESULTS.xlsx.journal left by a run.", show_default=False)
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Workbook to write (default: the run's own)."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write a run's results workbook from its journal (after a crash, for instance)."""
    out, counts = verbs.rebuild_results(journal, output, force=force)
    print(f"Wrote {out}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ".")


app.command("sandbox")(cli_sandbox.sandbox_cmd)


@app.command("demo")
def demo_cmd() -> None:
    """Run the whole flow against the sandbox: export, edit, plan, apply, results."""
    raise typer.Exit(demo.run_demo(Path.cwd()))


def run() -> None:
    """The `rowpush` console script: `main` in a process of its own."""
    # A bulk run makes millions of short-lived objects: the collector's default (a pass
    # every 700 allocations, over every object imported) cost about 8% of an apply's CPU
    # (bench/million.py, 300,000 rows: 141 -> 130 µs/row). Older generations are still
    # collected often enough to keep memory flat (135 -> 142 MiB; 50,000/20/100 was
    # 122 µs/row but 214 MiB: some per-row garbage has cycles).
    gc.freeze()  # what the imports made stays out of every pass
    gc.set_threshold(10_000, 10, 10)
    main()


def main(argv: Sequence[str] | None = None) -> None:
    """rowpush's command line, on `argv` (default: the process's arguments)."""
    try:
        command = with_metavars(typer.main.get_command(app))
        code = command.main(args=argv, standalone_mode=False, prog_name="rowpush")
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
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        code = 141  # as a shell reports SIGPIPE
    sys.exit(code if isinstance(code, int) else 0)
