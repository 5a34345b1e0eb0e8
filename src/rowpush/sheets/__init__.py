"""Read CSV/XLSX sheets into raw rows; write tables (templates, exports, results).

Importing this package is cheap: sheets are read with the standard library (csv,
zipfile); openpyxl loads only when a template or an export is written.

    sheet = open_sheet(Path("clients.xlsx"))       # headers, target, rows()
    for raw in sheet.rows(): ...                   # RawRow(row=2, values={...})
    write_table(Path("out.xlsx"), [ColumnSpec("Name", required=True)], rows)
"""

from rowpush.sheets.cells import is_formula_like
from rowpush.sheets.meta import read_meta
from rowpush.sheets.reader import open_sheet
from rowpush.sheets.table import META_SHEET, ColumnSpec, Sheet, normalize_header
from rowpush.sheets.writer import MAX_ROWS, write_table

__all__ = [
    "MAX_ROWS",
    "META_SHEET",
    "ColumnSpec",
    "Sheet",
    "is_formula_like",
    "normalize_header",
    "open_sheet",
    "read_meta",
    "write_table",
]
