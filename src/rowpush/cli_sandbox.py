"""`rowpush sandbox`: serve the emulated vendor APIs until interrupted (registered by cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rowpush.cli_options import OnFirstUse
from rowpush.console import err
from rowpush.engine.outputs import check_config_out
from rowpush.errors import BadInput
from rowpush.sandbox.options import FlagError, SandboxOptions

if TYPE_CHECKING:
    from rowpush.sandbox import server as sandbox_server
else:
    sandbox_server = OnFirstUse("rowpush.sandbox.server")  # starlette and uvicorn

__all__ = ["sandbox_cmd"]


def _share(flag: str, text: str) -> Any:
    """A fault option: the share of requests it hits, between 0 and 1."""
    return typer.Option(flag, min=0.0, max=1.0, help=text)


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
            help='Requests per API before 429: "5/s", "5", a preset: halo-300, halo-500, '
            "halo-700 (Halo's published rolling windows), or vendor (each API's own).",
        ),
    ] = None,
    fail_rate: Annotated[float, _share("--fail-rate", "Share of random 5xx answers.")] = 0.0,
    throttle_rate: Annotated[
        float,
        _share(
            "--429-rate",
            "Share of answers throttled (each API's own 429/403 shape; see --retry-after).",
        ),
    ] = 0.0,
    timeout_rate: Annotated[
        float,
        _share("--timeout-rate", "Share of requests that hang --hang-seconds unhandled, then 504."),
    ] = 0.0,
    drop_rate: Annotated[
        float,
        _share("--drop-rate", "Share of requests handled, then cut mid-answer (the change lands)."),
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
    force: Annotated[
        bool, typer.Option("--force", help="Replace a --config-out file the sandbox did not write.")
    ] = False,
) -> None:
    """Run the local sandbox emulating the vendor APIs until interrupted."""
    try:
        options = SandboxOptions.from_flags(
            rate_limit=rate_limit,
            fail_rate=fail_rate,
            throttle_rate=throttle_rate,
            timeout_rate=timeout_rate,
            drop_rate=drop_rate,
            hang_seconds=hang_seconds,
            latency_ms=latency,
            token_ttl=token_ttl,
            retry_after=retry_after,
        )
    except FlagError as exc:
        raise BadInput(str(exc), hint=exc.hint) from None
    if config_out is not None:
        check_config_out(config_out, force=force)

    def ready(url: str) -> None:
        config = sandbox_server.render_config(url, options, with_rate=True)
        if config_out is not None:
            config_out.write_text(config, encoding="utf-8")
            config_out.chmod(0o600)  # it holds (the sandbox's own) secrets
            err(f"Wrote {config_out}.")
        print(config, flush=True)
        err(f"rowpush sandbox listening on {url} (Ctrl+C to stop)")

    try:
        sandbox_server.serve(host, port, options, on_ready=ready)
    except KeyboardInterrupt:  # Ctrl+C is how a sandbox is meant to stop
        err("sandbox stopped.")
    except OSError as exc:
        raise BadInput(
            f"Cannot listen on {host}:{port}: {exc.strerror}.",
            hint="Pick another --port (0 picks a free one).",
        ) from None
