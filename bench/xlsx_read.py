"""Excel's largest sheet: `rowpush validate` on 1,048,576 rows by 4 columns of XLSX.

    .venv/bin/python bench/xlsx_read.py                  # 1,048,576 rows (Excel's limit)
    .venv/bin/python bench/xlsx_read.py --rows 100000

Writes (once, then reuses it from the cache folder) a workbook shaped as Excel saves
one: shared strings for the text, a date style on the time column, one measurement a
row (`meter`, `account`, `ts`, `measure.requests`). Then runs `rowpush validate … -t
m3ter.measurements` in a subprocess and prints its wall time, rows/s, CPU and peak RSS.
Writing the workbook is not part of the figure. Figures, not assertions; the test suite
runs it on a tiny N only to prove it still works.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

#: Bump when the workbook's shape changes, so that a cached one is not reused.
SHAPE = 1
HEADERS = ("meter", "account", "ts", "measure.requests")
METERS = ("api_calls", "storage_gb", "seats")
ACCOUNTS = tuple(f"ACME-{n:03}" for n in range(1, 51))
# 2026-01-01 00:00 as an Excel serial (1900 date system)
START_SERIAL = 46023.0
MINUTE = 1 / 1440

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_NS}" '
        f'xmlns:r="{_REL}"><sheets><sheet name="Usage" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    # Two cell formats, as Excel numbers them: 0 General, 1 the date-time format 22.
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_NS}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0" xfId="0"/><xf numFmtId="22" fontId="0" fillId="0" borderId="0" '
        'xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>'
    ),
}


def cache_path(rows: int) -> Path:
    folder = Path(os.environ.get("ROWPUSH_BENCH_CACHE") or Path(tempfile.gettempdir()))
    return folder / "rowpush-bench" / f"xlsx_read-{rows}-v{SHAPE}.xlsx"


def write_workbook(path: Path, rows: int) -> None:
    """`rows` sheet rows (the header, then measurements), written as Excel lays them out."""
    strings = [*HEADERS, *METERS, *ACCOUNTS]
    index = {s: i for i, s in enumerate(strings)}
    sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        z.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_NS}" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(_header_row(rows).encode())
            for start in range(2, rows + 1, 10_000):
                block = [_data_row(n, index) for n in range(start, min(start + 10_000, rows + 1))]
                f.write("".join(block).encode())
            f.write(b"</sheetData></worksheet>")
    partial.replace(path)


def _header_row(rows: int) -> str:
    cells = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD"))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_NS}" '
        f'xmlns:r="{_REL}"><dimension ref="A1:D{rows}"/><sheetData><row r="1" spans="1:4">'
        f"{cells}</row>"
    )


def _data_row(n: int, index: dict[str, int]) -> str:
    meter = index[METERS[n % len(METERS)]]
    account = index[ACCOUNTS[n % len(ACCOUNTS)]]
    serial = START_SERIAL + (n // len(ACCOUNTS)) * MINUTE
    return (
        f'<row r="{n}" spans="1:4"><c r="A{n}" t="s"><v>{meter}</v></c>'
        f'<c r="B{n}" t="s"><v>{account}</v></c><c r="C{n}" s="1"><v>{serial!r}</v></c>'
        f'<c r="D{n}"><v>{n % 1000 + 1}</v></c></row>'
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_048_576, help="sheet rows, header included (1048576)"
    )
    args = parser.parse_args()
    path = cache_path(args.rows)
    if path.exists():
        made = f"cached in {path}"
    else:
        started = time.perf_counter()
        write_workbook(path, args.rows)
        made = f"written in {time.perf_counter() - started:.1f} s to {path}"
    command = [sys.executable, "-m", "rowpush", "validate", str(path), "-t", "m3ter.measurements"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    data_rows = args.rows - 1
    print(
        f"python {sys.version.split()[0]}; {args.rows:,} rows x {len(HEADERS)} columns "
        f"(XLSX, {path.stat().st_size / (1 << 20):,.1f} MiB, {made})"
    )
    print(
        f"validate {took:7.1f} s  {data_rows / took:>10,.0f} rows/s  CPU {cpu:6.1f} s  "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MiB"
    )
    print(f"exit code {done.returncode}: {(done.stdout.strip().splitlines() or [''])[-1]}")
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
