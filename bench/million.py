"""A month of usage: N m3ter measurements from CSV, applied by the real CLI to the sandbox.

    .venv/bin/python bench/million.py --rows 1000000
    .venv/bin/python bench/million.py --rows 100000

Writes N measurement rows (`api_calls` on the sandbox's accounts, one a minute each),
then runs `rowpush apply … -t m3ter.measurements --yes` in a subprocess, with rate
limits lifted on both sides, against a sandbox served by this process. Prints the
wall time, rows/s, rowpush's own CPU per row and peak RSS (the apply process), and the
sandbox's CPU (this process while the apply ran) and peak RSS (this process): the sandbox
must not be the bottleneck.
Figures, not assertions; the test suite runs it on a tiny N only to prove it still works.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from installed import cli_env

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config

START = datetime(2026, 1, 1, tzinfo=UTC)


def write_sheet(path: Path, rows: int, accounts: list[str]) -> None:
    """`rows` measurements of `api_calls`: each (account, minute) once, so every row is new."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("meter,account,ts,who.user_id,where.region,what.endpoint,measure.requests\n")
        for n in range(rows):
            account = accounts[n % len(accounts)]
            ts = START + timedelta(minutes=n // len(accounts))
            out.write(
                f"api_calls,{account},{ts:%Y-%m-%d %H:%M:%S},u-{n % 97},eu-west-1,"
                f"/v1/orders,{n % 1000 + 1}\n"
            )


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="measurements (1000000)")
    args = parser.parse_args()
    options = SandboxOptions()  # no shared rate limit; m3ter's published limits are off
    with SandboxServer(options) as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        accounts = sorted(
            str(a["code"]) for a in server.state.m3ter.stores["accounts"].records.values()
        )
        sheet = folder / "usage.csv"
        started = time.perf_counter()
        write_sheet(sheet, args.rows, accounts)
        written = time.perf_counter() - started
        config = folder / "rowpush.toml"
        config.write_text(render_config(server.url, options), encoding="utf-8")
        command = [
            sys.executable, "-m", "rowpush", "apply", str(sheet), "-t", "m3ter.measurements",
            "-c", "m3ter", "--yes", "--rate", "100000/s", "--results", str(folder / "r.xlsx"),
        ]  # fmt: skip
        env = cli_env(config)  # bytecode compiled, as installed
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        out, err = child.communicate()
        took = time.perf_counter() - started
        child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        sandbox = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu_seconds(before)
        stored = len(server.state.m3ter.measurements)
    rowpush_cpu = cpu_seconds(child_usage)
    print(
        f"python {sys.version.split()[0]}; {args.rows:,} m3ter measurements (CSV, "
        f"written in {written:.1f} s); rate limits lifted"
    )
    print(
        f"apply {took:8.1f} s  {args.rows / took:>10,.0f} rows/s  "
        f"rowpush CPU {rowpush_cpu:7.1f} s ({rowpush_cpu / args.rows * 1e6:,.0f} µs/row)  "
        f"peak RSS {child_usage.ru_maxrss / 1024:,.0f} MiB"
    )
    # This process is the sandbox (the sheet is written streaming): its peak is the sandbox's.
    sandbox_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"sandbox CPU {sandbox:6.1f} s ({sandbox / args.rows * 1e6:,.1f} µs/row)  "
        f"peak RSS {sandbox_peak:,.0f} MiB; stored {stored:,}"
    )
    print(f"exit code {child.returncode}: {(out.strip().splitlines() or [''])[0]}")
    if child.returncode != 0:
        print(err[-2000:], file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    raise SystemExit(main())
