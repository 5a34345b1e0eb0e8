"""bench/xlsx_read.py is not a test, but it must still run: here on a tiny sheet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_xlsx_read_runs_on_a_few_rows_and_reports_its_figures(tmp_path: Path) -> None:
    env = {**os.environ, "ROWPUSH_BENCH_CACHE": str(tmp_path)}
    command = [sys.executable, str(BENCH / "xlsx_read.py"), "--rows", "60"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    assert "60 rows x 4 columns (XLSX" in first.stdout
    assert "written in" in first.stdout
    assert re.search(
        r"validate +[\d.]+ s +[\d,]+ rows/s +CPU +[\d.]+ s +peak RSS [\d,]+ MiB", (first.stdout)
    )
    assert "59 row(s) valid for m3ter.measurements" in first.stdout
    # The workbook is written once, then reused.
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stderr
    assert "cached in" in again.stdout
