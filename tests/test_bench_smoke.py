"""Benchmarks are not tests, but each must still run: here on a tiny N."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each bench runs in processes of its own

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_million_runs_on_a_few_rows_and_reports_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "million.py"), "--rows", "50"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"rowpush CPU +[\d.]+ s \([\d,]+ µs/row\)", done.stdout)
    assert "stored 50" in done.stdout
    assert "Applied: 50 created" in done.stdout
