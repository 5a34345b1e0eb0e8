"""Benchmarks are not tests, but each must still run: here on a tiny N."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each bench runs in processes of its own

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))  # newman.py's finder: where its newman is installed

from newman import NEWMAN_HOME, newman_path  # noqa: E402


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
    assert re.search(r"sandbox CPU +[\d.]+ s \([\d.,]+ µs/row\)  peak RSS [\d,]+ MiB", done.stdout)
    assert re.search(r"Applied: 50 (created|sent to m3ter)", done.stdout)


def test_plan_speed_runs_on_a_few_rows_and_reports_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "plan_speed.py"), "--rows", "50"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"read\+plan +[\d.]+ s CPU +[\d.]+ µs/row", done.stdout)
    assert "planned: 50 create" in done.stdout


def test_halo_resume_runs_on_a_few_rows_and_loses_nothing() -> None:
    shape = ["--rows", "12", "--kill-at", "4", "--batch-size", "2", "--concurrency", "2"]
    done = subprocess.run(
        [sys.executable, str(BENCH / "halo_resume.py"), *shape, "--latency-ms", "100"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"resume +[\d.]+ s +exit code 0", done.stdout)
    assert re.search(r"settled +\d+ rows", done.stdout)
    assert "lost 0, duplicated 0" in done.stdout
    assert "Applied: 12 created" in done.stdout


def test_newman_runs_on_a_few_rows_when_newman_is_installed() -> None:
    # no network in tests: only a newman already installed (bench/newman.py installs one)
    newman = newman_path(None)
    if newman is None:
        pytest.skip(
            f"newman is not installed (run bench/newman.py once: it installs it in {NEWMAN_HOME})"
        )
    done = subprocess.run(
        [sys.executable, str(BENCH / "newman.py"), "--rows", "20", "--newman", str(newman)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"newman +[\d.]+ s +21 requests +updated 20 +exit code 0", done.stdout)
    assert re.search(r"rowpush +[\d.]+ s +\d+ requests +updated 20 +exit code 0", done.stdout)
    assert re.search(r"rowpush is [\d.]+x faster than newman", done.stdout)
