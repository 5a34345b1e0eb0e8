"""Chaos: `rowpush apply` killed with SIGKILL at random moments, run again until it is done.

    .venv/bin/python bench/chaos.py --trials 50 --kind all --seed 0

Each trial (tests/e2e/e2e_chaos.py, shared with tests/e2e/test_e2e_chaos.py) applies a
small sheet to its own in-process sandbox, kills the apply once (sometimes twice) at a
seeded moment, and runs it again until it exits; then it counts the rows that never
landed and those applied twice. Prints per kind: trials, rows lost, rows duplicated,
idempotent resends (measurements sent again after they landed: the uid makes them
no-ops), rows settled (their answer was lost; the live records showed them landed),
trials with any problem, apply processes run, and the time. Exits 1 if any trial went
wrong, printing what it saw; re-run one with `--kind KIND --seed N --trials 1 -v`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The trial logic is the end-to-end tests' oracle: it lives with them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from e2e_chaos import KINDS, Trial, TrialResult, run_trials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per kind (default 20)")
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all", help="default all")
    parser.add_argument("--seed", type=int, default=0, help="first trial seed (default 0)")
    parser.add_argument("--jobs", type=int, default=4, help="trials at a time (default 4)")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per trial")
    args = parser.parse_args()
    kinds = KINDS if args.kind == "all" else (args.kind,)
    print(
        f"{'kind':8} {'trials':>6} {'lost':>5} {'duplicated':>10} {'resent':>6} "
        f"{'settled':>7} {'failed':>6} {'runs':>5} {'time':>8}"
    )
    bad: list[TrialResult] = []
    for kind in kinds:
        trials = [Trial.draw(kind, seed) for seed in range(args.seed, args.seed + args.trials)]
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"chaos-{kind}-") as tmp:
            results = []
            for result in run_trials(trials, Path(tmp), jobs=args.jobs):
                results.append(result)
                if args.verbose:
                    runs = ", ".join(
                        "exit" if r.killed_at is None else f"kill@{r.killed_at}"
                        for r in result.runs
                    )
                    print(f"  {result.trial}: {'ok' if result.ok else 'FAILED'} ({runs})")
        took = time.perf_counter() - started
        lost = sum(len(r.lost) for r in results)
        duplicated = sum(len(r.duplicated) for r in results)
        resent = sum(r.resent for r in results)
        settled = sum(r.settled for r in results)
        runs = sum(len(r.runs) for r in results)
        failed = [r for r in results if not r.ok]
        bad += failed
        print(
            f"{kind:8} {len(results):>6} {lost:>5} {duplicated:>10} {resent:>6} "
            f"{settled:>7} {len(failed):>6} {runs:>5} {took:>6.1f} s",
            flush=True,
        )
    for result in sorted(bad, key=lambda r: (r.trial.kind, r.trial.seed)):
        print(f"\n{result.report()}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
