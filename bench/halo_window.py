"""Export of the sandbox's 500 HaloPSA clients at the connection's default rolling window.

    .venv/bin/python bench/halo_window.py                 # Halo's default: 300/5min (~5 min)
    .venv/bin/python bench/halo_window.py --rate 300/30s  # the same shape, 10 times quicker

The sandbox enforces Halo's window itself (`vendor_limits`, answering 429 without
Retry-After past it), so a run that broke the window would show 429s. Prints how
long the export took, how many requests it sent, how fast the first window's worth
went and how long the window then made the rest wait; then the same export of only
the columns Halo's list carries (a few list pages, no GET per client).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rowpush.config import Connection, parse_config
from rowpush.engine.export import export_target
from rowpush.http.rate import Rate
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.targets.halopsa import HaloClients, HaloPSA

CLIENTS = 500


@dataclass
class Figures:
    seconds: float
    requests: int
    throttled: int
    first_window: float
    """Seconds from the first request to the window's count-th (e.g. the 300th)."""
    longest_gap: float
    """The longest time between two requests: the wait for the window to free."""


def export(
    server: SandboxServer, conn: Connection, out: Path, columns: list[str] | None
) -> Figures:
    server.state.reset()  # an empty window, an empty request log
    started = time.perf_counter()
    count = asyncio.run(export_target("halopsa.clients", conn, out, columns=columns))
    took = time.perf_counter() - started
    assert count == CLIENTS, f"exported {count} clients, not {CLIENTS}"
    times = sorted(r.at for r in server.state.requests if r.api == "halopsa")
    statuses = [r.status for r in server.state.requests if r.api == "halopsa"]
    window = server.options.halo_rate_window.limit
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return Figures(
        seconds=took,
        requests=len(times),
        throttled=statuses.count(429),
        first_window=times[min(window, len(times)) - 1] - times[0],
        longest_gap=max(gaps, default=0.0),
    )


def show(what: str, figures: Figures, window: Rate) -> None:
    print(
        f"{what:<34} {figures.seconds:8.1f} s  {figures.requests:4} requests  "
        f"{figures.throttled} answered 429"
    )
    if figures.requests > window.count:
        print(
            f"{'':34} first {window.count:g} requests in {figures.first_window:.1f} s; "
            f"then the window held the rest {figures.longest_gap:.1f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rate",
        default=HaloPSA.default_rate,
        help=f"the rolling window, on both sides (default: Halo's {HaloPSA.default_rate})",
    )
    args = parser.parse_args()
    rate = Rate.parse(args.rate)
    if not rate.is_window:
        parser.error(f"--rate {args.rate} is not a rolling window (write e.g. 300/5min)")
    options = SandboxOptions(
        halo_clients=CLIENTS,
        vendor_limits=True,
        halo_rate_window=RateWindow(int(rate.count), rate.per),
    )
    print(f"python {sys.version.split()[0]}; {CLIENTS} clients; rolling window {rate}")
    with SandboxServer(options) as server, tempfile.TemporaryDirectory() as tmp:
        config = parse_config(tomllib.loads(render_config(server.url, options)), source="bench")
        base = config.connection("halopsa")
        settings = dict(base.settings)
        if args.rate != HaloPSA.default_rate:
            settings["rate"] = args.rate  # else the connection's default, as a user gets it
        conn = Connection(base.name, base.api, settings, "bench")
        out = Path(tmp) / "clients.xlsx"
        show("export, every column", export(server, conn, out, None), rate)
        listed = [
            h for h, f in HaloClients.field_of_header().items() if f in HaloClients.list_fields
        ]
        show("export, the list's columns", export(server, conn, out, listed), rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
