"""`rowpush import postman|openapi`: the CLI face of rowpush.importers (a typer sub-app).

Each command reads its file, works out every target, then writes: target files into
`./rowpush-targets/` (or `--out`) and the connection into `./rowpush.toml`. A bad
file ends in exit 2 with the file and the place named, and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rowpush.cli_options import OnFirstUse
from rowpush.console import print_table, warn

if TYPE_CHECKING:
    from rowpush.importers import openapi, output, postman
    from rowpush.importers.output import Imported
else:  # loaded by the command that needs them: every other command starts without them
    openapi = OnFirstUse("rowpush.importers.openapi")
    output = OnFirstUse("rowpush.importers.output")
    postman = OnFirstUse("rowpush.importers.postman")

__all__ = ["app"]

app = typer.Typer(
    help="Make targets from a Postman collection or an OpenAPI document.",
    no_args_is_help=True,
)

OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Folder for the target files (default: ./rowpush-targets)."),
]
ConfigOpt = Annotated[
    Path, typer.Option("--config", help="Where the connection goes (default: ./rowpush.toml).")
]


@app.command("postman")
def postman_cmd(
    collection: Annotated[Path, typer.Argument(help="The collection (.json, v2.0 or v2.1).")],
    environment: Annotated[
        Path | None, typer.Option("--environment", "-e", help="A Postman environment (.json).")
    ] = None,
    out: OutOpt = Path("rowpush-targets"),
    config: ConfigOpt = Path("rowpush.toml"),
) -> None:
    """One target per request that writes and takes variables."""
    _finish(postman.import_postman(collection, environment), out, config)


@app.command("openapi")
def openapi_cmd(
    spec: Annotated[Path, typer.Argument(help="The OpenAPI 3 document (.json or .yaml).")],
    operation: Annotated[
        str | None, typer.Option("--operation", help="The operationId to import.")
    ] = None,
    path: Annotated[str | None, typer.Option("--path", help="The path, e.g. /Site.")] = None,
    method: Annotated[str | None, typer.Option("--method", help="The method, e.g. post.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The target's name.")] = None,
    out: OutOpt = Path("rowpush-targets"),
    config: ConfigOpt = Path("rowpush.toml"),
) -> None:
    """One target from one operation's request body, path and query parameters."""
    _finish(
        openapi.import_openapi(spec, operation=operation, path=path, method=method, name=name),
        out,
        config,
    )


def _finish(imported: Imported, out: Path, config: Path) -> None:
    written = output.write_imported(imported, out, config)
    rows = [("TARGET", "COLUMNS", "KEY", "FILE")]
    for spec, file in zip(imported.targets, written, strict=False):
        rows.append((spec.name, str(len(spec.columns)), spec.key or "-", str(file)))
    print_table(rows)
    if config in written:
        print(
            f"Connection '{imported.connection}' added to {config}: check base_url, vars "
            "and the secrets' environment variables."
        )
    else:
        print(
            f"Connection '{imported.connection}': {config} has one of that name already; "
            "left as is."
        )
    for note in imported.notes:
        warn(f"not mapped: {note}")
