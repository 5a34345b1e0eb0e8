"""Saved plans on the command line: `plan --out PLAN.rowplan`, and what `apply` reads.

A few lines over engine/verbs.py (plan_file with `out`, open_plan); cli.py calls these
from its `plan` and `apply` commands.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rowpush.cli_options import OnFirstUse
from rowpush.console import err, print_plan, print_plan_json, warn
from rowpush.errors import BadInput
from rowpush.progress import WindowNotices

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine import verbs
    from rowpush.engine.prepare import Prepared
else:
    verbs = OnFirstUse("rowpush.engine.verbs")

__all__ = ["OutOpt", "open_input", "save_plan"]

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="PLAN.rowplan",
        help="Also save the plan, for `rowpush apply PLAN.rowplan` to apply exactly.",
    ),
]


def save_plan(
    prep: Prepared, conn: Connection, out: Path, *, as_json: bool, tui: bool, force: bool
) -> int:
    """Print the plan as `plan` does and save it to `out`; the exit code (2: invalid rows)."""
    if tui:
        raise BadInput(
            "--out does not go with --tui.",
            hint=f"Save the plan without --tui, then open it with  rowpush apply {out} --tui",
        )
    plan = verbs.plan_file(prep, conn, on_event=WindowNotices(), out=out, force=force)
    asyncio.run(print_plan_json(plan) if as_json else print_plan(plan))
    err(f"Saved the plan to {out}; apply exactly this plan with  rowpush apply {out}")
    if plan.summary["invalid"]:
        err("Its invalid rows are not sent: apply it with --skip-invalid, or fix and plan again.")
        return 2
    return 0


def open_input(
    file: Path, connection: str | None, target: str | None, sheet: str | None, *, refresh: bool
) -> tuple[Prepared, Connection]:
    """What `apply FILE` applies: a saved plan (its sheet, on its connection), or a sheet
    on the connection `-c` names."""
    if verbs.is_plan(file):
        if target or sheet:
            raise BadInput(
                f"{file.name} is a saved plan: it names its target and sheet itself.",
                hint="Leave out -t and --sheet.",
            )
        prep, conn = verbs.open_plan(file, connection, refresh=refresh, on_warning=warn)
    else:
        if refresh:
            raise BadInput(
                "--refresh applies to a saved plan (PLAN.rowplan), not to a sheet.",
                hint="A sheet is always planned against the live records as they are now.",
            )
        if connection is None:
            raise BadInput(
                f"apply {file.name} needs a connection.",
                hint="Pass -c NAME (a connection of rowpush.toml).",
            )
        prep = verbs.prepare(file, target=target, sheet=sheet)
        conn = verbs.load_connection(connection, on_warning=warn)
    for warning in prep.hmap.warnings:
        warn(warning.message)
    return prep, conn
