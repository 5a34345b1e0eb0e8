"""The CSV half of `rowpush.sheets.writer`: UTF-8 with a BOM, comma-delimited.

The BOM lets Excel detect the encoding. Formula-like text gets a leading `'`
(`cells.csv_safe`), which `csv_reader` takes off again when reading it back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from rowpush.sheets.cells import csv_safe, text_of
from rowpush.sheets.table import ColumnSpec

__all__ = ["write_csv"]


def write_csv(path: Path, specs: Sequence[ColumnSpec], rows: Iterable[Sequence[object]]) -> int:
    """Write the header row and `rows` to `path`; return the data rows written."""
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([csv_safe(s.header) for s in specs])
        for row in rows:
            out.writerow([csv_safe(text_of(v)) for v in row])
            written += 1
    return written
