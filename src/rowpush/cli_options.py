"""The command line's options that several commands share, defined once, each with the
metavar its usage line shows (`FILE`, `NAME`, `N`, not click's `<str>` or `<int range>`).

Kept out of cli.py, which holds the commands themselves.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "DATE_FORMATS",
    "QUIET_HELP",
    "BatchOpt",
    "ConcurrencyOpt",
    "ConnOpt",
    "FileArg",
    "ForceOpt",
    "JsonOpt",
    "OnFirstUse",
    "OutputOpt",
    "RateOpt",
    "ResultsOpt",
    "RetryResultsOpt",
    "SheetOpt",
    "TargetArg",
    "TargetOpt",
    "YesOpt",
    "with_metavars",
]

#: The metavar of a parameter, by its name, where its upper-cased name would not say it.
METAVARS = {
    "start": "DATE",
    "end": "DATE",
    "download": "FOLDER",
    "output": "FILE",
    "results_file": "RESULTS",
    "config_out": "FILE",
    "rate_limit": "RATE",
    "fail_rate": "SHARE",
    "throttle_rate": "SHARE",
    "timeout_rate": "SHARE",
    "drop_rate": "SHARE",
    "hang_seconds": "SECONDS",
    "token_ttl": "SECONDS",
    "latency": "MS",
    "connection": "NAME",
}


def with_metavars(command: Any) -> Any:
    """`command` (typer's click command) and its subcommands, each parameter showing a
    metavar such as `FILE` or `N` in usage and help: typer's own (`{file}`, `<str>`,
    `<int range>`) read like code. Duck-typed: typer carries its own copy of click."""
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            name = param.name or ""
            param.metavar = METAVARS.get(name, name.upper())
        if param.param_type_name == "argument":
            # typer writes a required argument `{FILE}` in usage; the convention is FILE
            shown = param.metavar if param.required else f"[{param.metavar}]"
            param._usage_display_name = lambda shown=shown: shown
            param.display_type_rich = lambda ctx: None  # "FILE <path>": the name says it
    for sub in getattr(command, "commands", {}).values():
        with_metavars(sub)
    return command


DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace the output file if it exists (see README).")
]

FileArg = Annotated[
    Path, typer.Argument(metavar="FILE", help="The sheet: .xlsx or .csv.", show_default=False)
]
TargetArg = Annotated[
    str, typer.Argument(metavar="TARGET", help="Target name, e.g. halopsa.clients.")
]
ConnOpt = Annotated[
    str,
    typer.Option("--connection", "-c", metavar="NAME", help="Connection name from rowpush.toml."),
]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-t",
        metavar="TARGET",
        help="Target (needed for CSV; XLSX templates record it).",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", metavar="SHEET", help="XLSX sheet to read (default: first visible)."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="File to write (.xlsx or .csv)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
QUIET_HELP = "No progress, notices or warnings on stderr; errors and results still print."
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ResultsOpt = Annotated[
    Path | None,
    typer.Option(
        "--results",
        metavar="FILE",
        help="Results workbook (default: FILE-results-TIME.xlsx).",
    ),
]
RetryResultsOpt = Annotated[
    Path | None,
    typer.Option(
        "--results",
        metavar="FILE",
        help="Results workbook of this retry (default: RESULTS-retry-TIME.xlsx beside the "
        "results workbook retried).",
    ),
]
BatchOpt = Annotated[
    int | None, typer.Option("--batch-size", min=1, metavar="N", help="Records per request.")
]
RateOpt = Annotated[
    str | None,
    typer.Option("--rate", metavar="RATE", help='Request rate, e.g. "2/s" or "300/5min".'),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, metavar="N", help="Requests in flight.")
]


class OnFirstUse:
    """A module imported when first used: each of these loads heavy libraries."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)
