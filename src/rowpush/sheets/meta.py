"""The hidden `_rowpush` sheet: what rowpush records about a workbook it wrote.

It holds key/value rows (column A the key, column B the value): `target`,
`rowpush_version`, and whatever else a caller passes to `write_table(meta=...)`.
`open_sheet` fills `Sheet.target` from it and never picks it as the data sheet.
Its name, `META_SHEET`, lives in `rowpush.sheets.table` with the other shared nouns.
"""

from __future__ import annotations

from pathlib import Path

from rowpush.sheets import xlsx_reader
from rowpush.sheets.reader import check_readable
from rowpush.sheets.table import XLSX_SUFFIXES

__all__ = ["read_meta"]


def read_meta(path: Path) -> dict[str, str]:
    """The metadata of an XLSX workbook made by rowpush; {} for CSV or a workbook without it.

    Raises `SheetError` when the file is missing or cannot be read as a workbook.
    """
    path = Path(path)
    if path.suffix.lower() not in XLSX_SUFFIXES:
        return {}
    check_readable(path)
    return xlsx_reader.read_meta_xlsx(path)
