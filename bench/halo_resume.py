"""Resume a killed HaloPSA create run: how long settling and finishing take.

    .venv/bin/python bench/halo_resume.py                 # 120 new clients
    .venv/bin/python bench/halo_resume.py --rows 1000 --kill-at 500

Writes a sheet of N new HaloPSA clients (blank id, unique names), runs `rowpush apply`
in a subprocess against a sandbox served by this process, with rate limits lifted on
both sides (`rate = "100000/s"` on the connection, no limit in the sandbox), and kills
it with SIGKILL once `--kill-at` rows have landed: the rows in flight then lost their
answers. Then runs the same command with `--resume` and times it. Prints the time to
resume, the rows settled (their answer was lost; the live records showed them landed),
the requests the resume spent by kind, and the rows lost or created twice (both must
be 0). The sandbox answers each request after `--latency-ms`, so that the kill lands
mid-run and a request costs something, as a real Halo's does. `--throttle-rate` makes
the sandbox answer that share of the resume's requests 429 (Retry-After: 1, as its
throttle does): with a rate the user set, rowpush's limiter does not adapt, so each costs
its pause and no more. Figures, not assertions; the test suite runs it on a tiny N only
to prove it still works.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# The chaos trials' workload and readings are the oracle: they live with the e2e tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from e2e_chaos import Creates, results_rows, write_config

from rowpush.engine.settle import LANDED
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import LoggedRequest
from rowpush.sandbox.server import SandboxServer

DEADLINE = 120.0
"""Seconds either run may take before the bench gives up on it (a hang, not a figure)."""


def kind_of(request: LoggedRequest) -> str:
    """What a Halo request was for: token, search, list page, get, post."""
    if request.path.endswith("/token"):
        return "token"
    if request.method == "POST":
        return "post"
    if "search" in request.params:
        return "search"
    if "page_no" in request.params:
        return "list page"
    return "get"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120, help="new clients (120)")
    parser.add_argument("--kill-at", type=int, help="rows landed at the kill (default: half)")
    parser.add_argument("--batch-size", type=int, default=10, help="rows per request (10)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (4)")
    parser.add_argument("--latency-ms", type=int, default=50, help="sandbox latency (50)")
    parser.add_argument(
        "--throttle-rate", type=float, default=0.0, help="share of the resume's requests 429"
    )
    args = parser.parse_args()
    kill_at = args.rows // 2 if args.kill_at is None else args.kill_at
    options = SandboxOptions(latency_ms=args.latency_ms)  # no rate limit in the sandbox
    with SandboxServer(options) as sandbox, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_config(folder, sandbox, rate="100000/s")
        workload = Creates(sandbox, seed=0, rows=args.rows)
        sheet = folder / "new-clients.xlsx"
        workload.write(sheet)
        command = [
            sys.executable, "-m", "rowpush", "apply", str(sheet), "-t", workload.target,
            "-c", workload.connection, "--yes", "--batch-size", str(args.batch_size),
            "--concurrency", str(args.concurrency), "--results", str(folder / "results.xlsx"),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "ROWPUSH_CONFIG"}
        run = {"cwd": folder, "env": env, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        first = subprocess.Popen(command, text=True, **run)  # type: ignore[call-overload]
        deadline = time.monotonic() + DEADLINE
        while first.poll() is None and workload.landed() < kill_at:
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        landed_at_kill = workload.landed()
        if first.returncode != -signal.SIGKILL:
            print(f"the first run exited ({first.returncode}) before the kill; lower --kill-at")
            return 1
        sandbox.options.throttle_rate = args.throttle_rate  # read on every request
        seen = len(sandbox.state.requests)
        started = time.perf_counter()
        resumed = subprocess.run(
            [*command, "--resume"], text=True, timeout=DEADLINE, check=False, **run
        )
        took = time.perf_counter() - started
        log = list(sandbox.state.requests)[seen:]
        spent = Counter(kind_of(r) for r in log)
        throttled = sum(r.status == 429 for r in log)
        rows = results_rows(folder / "results.xlsx") if resumed.returncode == 0 else {}
        settled = sum(str(r["_message"] or "").startswith(LANDED) for r in rows.values())
        lost, (twice, _) = workload.lost(), workload.duplicated()
    print(
        f"python {sys.version.split()[0]}; {args.rows} new HaloPSA clients, batch "
        f"{args.batch_size}, concurrency {args.concurrency}, sandbox latency "
        f"{args.latency_ms} ms; rates lifted; 429 on {args.throttle_rate:.0%} of the resume's"
    )
    print(f"killed with {landed_at_kill} of {args.rows} rows landed")
    print(f"resume    {took:6.2f} s  exit code {resumed.returncode}")
    print(f"settled   {settled} rows (answer lost, found landed)")
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(spent.items()))
    print(f"requests  {sum(spent.values())} ({shown}); answered 429: {throttled}")
    print(f"lost {len(lost)}, duplicated {len(twice)}")
    print(resumed.stdout.strip().splitlines()[-2] if resumed.stdout.strip() else "")
    if resumed.returncode != 0:
        print(resumed.stderr, file=sys.stderr)
    return 0 if resumed.returncode == 0 and not lost and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
