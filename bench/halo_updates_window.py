"""Single-row HaloPSA updates through a rolling window rowpush does not know.

    .venv/bin/python bench/halo_updates_window.py                   # 60 updates, 25 per 2 min
    .venv/bin/python bench/halo_updates_window.py --updates 12 --window 5/10s

The sandbox enforces a rolling window (default 25 requests per 2 minutes) and answers
past it as real Halo does: 429, plain text, no Retry-After. rowpush runs `apply
--batch-size 1` as a user would, with the connection's default rate (Halo's 300/5min,
a wrong guess here), in a subprocess whose stderr is not a terminal. Prints the exit
code, the rows that landed (and any twice), the 429s, the time, and the pause lines
rowpush printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from rowpush.http.rate import Rate
from rowpush.sandbox.options import RateWindow, SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=60, help="rows to update (default 60)")
    parser.add_argument("--window", default="25/2min", help="the server's window (25/2min)")
    args = parser.parse_args()
    window = Rate.parse(args.window)
    options = SandboxOptions(
        halo_clients=max(args.updates, 10), rate_window=RateWindow(int(window.count), window.per)
    )
    print(
        f"python {sys.version.split()[0]}; {args.updates} single-row updates; "
        f"server window {args.window}, 429 without Retry-After; rowpush at its default rate"
    )
    with SandboxServer(options) as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "rowpush.toml").write_text(render_config(server.url, options), "utf-8")
        clients = server.state.halopsa.clients
        ids = sorted(clients)[: args.updates]
        rows = [f"{i},{(clients[i]['item_tax_code'] or 0) % 4 + 1}" for i in ids]
        sheet = folder / "updates.csv"
        sheet.write_text("id,item_tax_code\n" + "\n".join(rows) + "\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "rowpush", "apply", str(sheet), "-t", "halopsa.clients",
            "-c", "halopsa", "--yes", "--batch-size", "1",
        ]  # fmt: skip
        env = {**os.environ, "ROWPUSH_CONFIG": str(folder / "rowpush.toml")}
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        took = time.perf_counter() - started
        posted = Counter(
            record["id"]
            for request in server.state.requests
            if request.method == "POST" and request.status == 201
            for record in request.body
        )
        statuses = Counter(r.status for r in server.state.requests if r.api == "halopsa")
    pauses = [line for line in done.stderr.splitlines() if line.startswith("paused until")]
    print(f"exit code {done.returncode}; {took:.1f} s")
    print(
        f"rows landed {sum(1 for i in ids if posted[i])}/{len(ids)}, "
        f"twice {sum(1 for n in posted.values() if n > 1)}; "
        f"requests {sum(statuses.values())}, answered 429 {statuses[429]}"
    )
    for line in pauses:
        print(f"  {line}")
    print(done.stdout.strip().splitlines()[-2] if done.stdout.strip() else done.stderr[-500:])
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
