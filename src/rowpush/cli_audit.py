"""The audit commands: `verify` and `revert` a results workbook (registered by cli.py).

A few lines each over engine/verify.py and engine/revert.py; revert applies through
the same `_run_apply` (or TUI) as `apply`, so it confirms, batches, journals and
resumes alike.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rowpush.cli import (
    _apply_tui,
    _confirmable,
    _connection,
    _run_apply,
    app,
)
from rowpush.cli_options import BatchOpt, ConcurrencyOpt, OnFirstUse, RateOpt, YesOpt
from rowpush.console import err, print_table, short
from rowpush.errors import BadInput
from rowpush.progress import WindowNotices

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine import results_reader, revert, verify
else:
    results_reader = OnFirstUse("rowpush.engine.results_reader")
    revert = OnFirstUse("rowpush.engine.revert")
    verify = OnFirstUse("rowpush.engine.verify")

__all__ = ["revert_cmd", "verify_cmd"]

ResultsArg = Annotated[
    Path, typer.Argument(help="A results workbook of an earlier apply.", show_default=False)
]
RunConnOpt = Annotated[
    str | None,
    typer.Option("--connection", "-c", help="Connection (default: the one the run used)."),
]
RevertResultsOpt = Annotated[
    Path | None,
    typer.Option("--results", help="Results workbook (default: RESULTS-revert-TIME.xlsx)."),
]


def _run_connection(results_file: Path, name: str | None) -> Connection:
    """The connection asked for, else the one the run recorded."""
    name = name or results_reader.open_results(results_file).connection
    if not name:
        raise BadInput(
            f"{results_file.name} does not say which connection it used.",
            hint="Pass -c CONNECTION.",
        )
    return _connection(name)


@app.command("verify")
def verify_cmd(results_file: ResultsArg, connection: RunConnOpt = None) -> None:
    """Check that each change of a results workbook still holds on the live records.

    Per created or updated row: holds, changed since (with the live value), or gone.
    Exit 1 if any row does not hold.
    """
    conn = _run_connection(results_file, connection)
    print(f"{'ROW':<7} {'KEY':<14} VERDICT")

    def heard(check: verify.Check) -> None:  # streamed: a million rows print as they come
        print(f"{check.row:<7} {check.key or '':<14} {short(check.text(), 110)}")

    found = asyncio.run(
        verify.verify_results(results_file, conn, on_check=heard, on_event=WindowNotices())
    )
    print(f"Verified {results_file.name} on '{conn.name}': {found.line()}.")
    raise typer.Exit(0 if found.ok else 1)


@app.command("revert")
def revert_cmd(
    results_file: ResultsArg,
    connection: RunConnOpt = None,
    yes: YesOpt = False,
    results: RevertResultsOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Set back fields changed again since the run too.")
    ] = False,
    batch_size: BatchOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = 4,
    tui: Annotated[
        bool, typer.Option("--tui", help="Review the revert and apply it in the terminal UI.")
    ] = False,
) -> None:
    """Undo a run: set the fields it changed back to their old values (from _before).

    Records the run created are retired where the target can (HaloPSA: inactive), else
    listed. A field changed again since the run is shown and kept unless --force. Exit 1
    when a row failed or something was left as the run made it.
    """
    _confirmable("revert", yes)
    conn = _run_connection(results_file, connection)
    out = results or revert.default_revert_path(results_file)
    reverse = asyncio.run(
        revert.reverse_of(results_file, conn, out=out, force=force, on_event=WindowNotices())
    )
    if reverse.skipped:
        err(f"Not reverted ({len(reverse.skipped)}):")
        rows = [("ROW", "KEY", "WHY")]
        rows += [(str(s.row), s.key, short(s.why, 110)) for s in reverse.skipped]
        print_table(rows, file=sys.stderr)
    err(f"Revert sheet: {reverse.prep.path} ({reverse.rows} row(s)).")
    if not reverse.rows:
        err("Nothing to revert.")
        raise typer.Exit(0 if not reverse.skipped else 1)
    options: dict[str, Any] = {"batch_size": batch_size, "rate": rate, "concurrency": concurrency}
    left = 1 if reverse.skipped else 0  # something stays as the run left it: exit 1
    if tui:
        raise typer.Exit(_apply_tui(reverse.prep, conn, out, False, **options) or left)
    try:
        _run_apply(reverse.prep, conn, out, yes=yes, **options)
    except typer.Exit as done:
        raise typer.Exit(done.exit_code or left) from None
