"""Throughput of the spine: read + validate CSV and XLSX, and apply against the sandbox.

    .venv/bin/python bench/throughput.py --rows 100000 --apply-rows 2000

Prints rows per second for each stage and the process's peak memory. Figures,
not assertions: run it before and after a change that could make things slower.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from rowpush.config import Connection, parse_config
from rowpush.engine.verbs import apply_file, prepare
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.sheets.writer import write_table


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows_of(n: int) -> list[list[object]]:
    return [[1000 + i, f"Client {i:06d} Ltd", i % 5, "FALSE", f"ACC{i:05d}"] for i in range(n)]


HEADERS = ["id", "name", "item_tax_code", "inactive", "accountsid"]


def bench_read(path: Path, n: int) -> None:
    started = time.perf_counter()
    prep = prepare(path, target="halopsa.clients")
    valid = sum(1 for row in prep.rows() if row.model is not None)
    took = time.perf_counter() - started
    assert valid == n, f"expected {n} valid rows, got {valid}"
    print(
        f"read+validate {path.suffix:5} {n:>8} rows  {took:6.2f} s  {n / took:>9,.0f} rows/s"
        f"  peak {peak_mb():,.0f} MiB"
    )


def bench_apply(n: int, tmp: Path) -> None:
    options = SandboxOptions(halo_clients=n)
    with SandboxServer(options) as server:
        config = parse_config(tomllib.loads(render_config(server.url, options)), source="bench")
        base = config.connection("halopsa")
        conn = Connection(base.name, base.api, {**base.settings, "rate": "10000/s"}, "bench")
        ids = sorted(server.state.halopsa.clients)
        sheet = tmp / "apply.csv"
        lines = [
            f"{i},{(server.state.halopsa.clients[i]['item_tax_code'] or 0) % 4 + 1}" for i in ids
        ]
        sheet.write_text("id,item_tax_code\n" + "\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        report = asyncio.run(
            apply_file(prepare(sheet, target="halopsa.clients"), conn, results=tmp / "r.xlsx")
        )
        took = time.perf_counter() - started
    updated = report.counts.get("updated", 0)
    print(
        f"plan+apply+results {n:>8} rows  {took:6.2f} s  {n / took:>9,.0f} rows/s"
        f"  ({updated} updated)  peak {peak_mb():,.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows to read (default 50000)")
    parser.add_argument("--apply-rows", type=int, default=1_000, help="rows to apply (1000)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; start peak {peak_mb():,.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for suffix in (".csv", ".xlsx"):
            path = tmp / f"clients{suffix}"
            started = time.perf_counter()
            write_table(path, HEADERS, rows_of(args.rows))
            took = time.perf_counter() - started
            print(f"write         {suffix:5} {args.rows:>8} rows  {took:6.2f} s")
            bench_read(path, args.rows)
        bench_apply(args.apply_rows, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
