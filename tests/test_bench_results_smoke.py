"""bench/results_speed.py is not a test, but it must still run: here on a few rows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_results_speed_runs_on_a_few_rows_and_reports_its_figures() -> None:
    command = [sys.executable, str(BENCH / "results_speed.py"), "--rows", "300", "--repeat", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "300 measurement rows (CSV), 14 columns" in done.stdout
    assert re.search(r"write_results +[\d.]+ s CPU +[\d.]+ µs/row", done.stdout)
    assert re.search(r"the results writer's own +-?[\d.]+ µs/row", done.stdout)
    assert re.search(r"peak RSS [\d,]+ MiB .*; created 300\b", done.stdout)
