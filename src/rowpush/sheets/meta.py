"""The hidden `_rowpush` sheet: what rowpush records about a workbook it wrote.

It holds key/value rows (column A the key, column B the value): `target`,
`rowpush_version`, and whatever else a caller passes to `write_table(meta=...)`.
`open_sheet` fills `Sheet.target` from it and never picks it as the data sheet.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["META_SHEET", "read_meta"]

#: Name of the hidden sheet holding rowpush's key/value metadata.
META_SHEET = "_rowpush"


def read_meta(path: Path) -> dict[str, str]:
    """The metadata of an XLSX workbook made by rowpush; {} for CSV or a workbook without it.

    Raises `SheetError` when the file is missing or cannot be read as a workbook.
    """
    from rowpush.sheets.reader import XLSX_SUFFIXES, check_readable

    path = Path(path)
    if path.suffix.lower() not in XLSX_SUFFIXES:
        return {}
    check_readable(path)
    from rowpush.sheets import xlsxfile

    return xlsxfile.read_meta_xlsx(path)
