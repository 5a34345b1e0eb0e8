"""Read an XLSX workbook with python-calamine.

What calamine gives, and what a `RawRow` holds instead:
- text → itself (leading zeros kept); empty → "";
- numbers (always floats) → "12" for whole numbers, else up to 15 significant
  digits ("12.5"); booleans → "TRUE"/"FALSE";
- a date cell → `date` when its time part is zero, else `datetime`; a time of day
  (serial < 1) → "HH:MM:SS"; a duration ([h]:mm:ss) → "H:MM:SS";
- a formula → its cached value (the one Excel saved); a formula never calculated
  is refused (see `xlsx_package`);
- merged cells within the table are refused: calamine gives the value to the first
  cell only, and the others would read as blank, which leaves fields unchanged;
- an error (#N/A, #DIV/0!, …) → "" from calamine, which would pass for a blank
  cell; so the sheet's XML is scanned for error cells (cheap when there are
  none) and their text is put back.

Memory: calamine holds the whole sheet in compact Rust structures while it is
read (about 30 bytes a cell plus its text); Python objects are made one row at a
time. python-calamine offers no cell-by-cell reader to do better. Before calamine
opens a workbook or loads a sheet, `xlsx_package` checks that doing so is safe
(no zip bomb, no grid of billions of cells).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, column_letter
from rowpush.sheets.cells import text_of
from rowpush.sheets.table import META_SHEET, HeaderLayout, Sheet, build_layout
from rowpush.sheets.xlsx_package import SheetScan, open_package, scan_sheet

__all__ = ["check_workbook_file", "open_xlsx", "read_meta_xlsx"]

_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
#: How many rows below a lone first cell (a title) the header row is looked for.
_TITLE_ROWS = 5
_CELL_REF = re.compile(r"([A-Za-z]+)(\d+)", re.ASCII)


def open_xlsx(path: Path, sheet: str | None) -> Sheet:
    """Open a workbook, pick the data sheet and read its header row."""
    check_workbook_file(path)
    with _load_workbook(path) as book:
        meta = _meta_from(book, path)
        name = _choose_sheet(book, path, sheet, meta.get("target"))
        data, scan = _load_sheet(book, path, name)
    where = f"{path} (sheet {name!r})"
    layout = _read_layout(data, where)
    _refuse_merged(data, layout, where)
    source = XlsxRows(path, name, layout, data, scan)
    # `end` is the last used cell (0-based), counted from row 1 as the user sees rows
    hint = max(0, data.end[0] + 1 - layout.row) if data.end is not None else 0
    target = meta.get("target") or None
    return Sheet(path, name=name, layout=layout, target=target, source=source, rows_hint=hint)


def read_meta_xlsx(path: Path) -> dict[str, str]:
    """The key/value rows of the hidden `_rowpush` sheet; {} when there is none."""
    check_workbook_file(path)
    with _load_workbook(path) as book:
        return _meta_from(book, path)


def check_workbook_file(path: Path) -> None:
    """Raise `SheetError` when the file is not an XLSX zip (encrypted, old .xls, other)."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_MAGIC):
        return
    if head.startswith(_CFB_MAGIC):
        if not _cfb_contains(path, _ENCRYPTION_INFO) and any(
            _cfb_contains(path, s) for s in _XLS_STREAMS
        ):
            raise SheetError(
                f"{path}: this is an old Excel 97-2003 workbook (.xls) with an .xlsx name.",
                hint="Open it in Excel and save it as 'Excel Workbook (.xlsx)'.",
            )
        raise SheetError(
            f"{path}: the workbook is password-protected (encrypted), so it cannot be read.",
            hint="Remove the password in Excel (File > Info > Protect Workbook) and save again.",
        )
    raise SheetError(
        f"{path}: this is not an Excel workbook (an .xlsx file is a zip archive; this one "
        f"is not — perhaps a CSV or web page renamed .xlsx).",
        hint="Open it in Excel and save it as 'Excel Workbook (.xlsx)'.",
    )


def _cfb_contains(path: Path, needle: bytes) -> bool:
    """True when `needle` (a stream name) occurs in the compound file."""
    tail = b""
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle) :]
    return False


def _corrupt(path: Path, exc: BaseException) -> SheetError:
    return SheetError(
        f"{path}: the workbook cannot be read; it may be damaged ({exc}).",
        hint="Open it in Excel, check it, and save it again as 'Excel Workbook (.xlsx)'.",
    )


def _is_panic(exc: BaseException) -> bool:
    # pyo3 turns a Rust panic into PanicException: a BaseException, not importable by name.
    return type(exc).__name__ == "PanicException"


def _load_workbook(path: Path) -> CalamineWorkbook:
    open_package(path).close()  # refuses a zip bomb before calamine inflates anything
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError as exc:
        raise SheetError(
            f"{path}: the workbook is password-protected (encrypted), so it cannot be read.",
            hint="Remove the password in Excel (File > Info > Protect Workbook) and save again.",
        ) from exc
    except (CalamineError, OSError, ValueError) as exc:
        raise _corrupt(path, exc) from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise _corrupt(path, exc) from None
        raise


def _load_sheet(book: CalamineWorkbook, path: Path, name: str) -> tuple[CalamineSheet, SheetScan]:
    scan = scan_sheet(path, name)  # refuses a grid too big for memory before calamine builds it
    try:
        return book.get_sheet_by_name(name), scan
    except (CalamineError, ValueError) as exc:
        raise _corrupt(path, exc) from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise _corrupt(path, exc) from None
        raise


def _calamine_rows(data: CalamineSheet, where: str) -> Iterator[Sequence[object]]:
    """The sheet's rows as calamine gives them; a cell it cannot convert is a SheetError."""
    rows = data.iter_rows()
    index = 0
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            return
        except (CalamineError, ValueError, OverflowError) as exc:
            # e.g. a huge number formatted as a duration: no Python timedelta holds it
            raise _unreadable_row(where, index + 1, exc) from exc
        except BaseException as exc:
            if _is_panic(exc):
                raise _unreadable_row(where, index + 1, exc) from None
            raise
        yield raw
        index += 1


def _choose_sheet(
    book: CalamineWorkbook, path: Path, wanted: str | None, target: str | None = None
) -> str:
    names = [m.name for m in book.sheets_metadata if m.name != META_SHEET]
    listed = ", ".join(repr(n) for n in names)
    if wanted is None and target:
        # a template names its data sheet for its target: a "Notes" sheet added in front
        # of it must not be read instead (Excel caps sheet titles at 31 characters)
        for name in names:
            if name.casefold() == target[:31].casefold():
                return name
    if wanted is None:
        for m in book.sheets_metadata:
            if (
                m.name != META_SHEET
                and m.visible == SheetVisibleEnum.Visible
                and m.typ == SheetTypeEnum.WorkSheet
            ):
                return m.name
        raise SheetError(
            f"{path}: the workbook has no visible worksheet (its sheets: {listed or 'none'}).",
            hint="Unhide the sheet to read in Excel, or choose it by name.",
        )
    if wanted in names:
        return wanted
    folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise SheetError(
        f"{path}: the workbook has no sheet named {wanted!r}; its sheets are: {listed}.",
        hint="Choose one of these names.",
    )


def _unreadable_row(where: str, row: int, exc: BaseException) -> SheetError:
    return SheetError(
        f"{where}: row {row} holds a cell that cannot be read ({exc}).",
        hint="Check that row's date, time and duration cells in Excel: a number formatted "
        "as a date or duration may be far out of range.",
    )


def _meta_from(book: CalamineWorkbook, path: Path) -> dict[str, str]:
    if META_SHEET not in book.sheet_names:
        return {}
    data, _ = _load_sheet(book, path, META_SHEET)
    meta: dict[str, str] = {}
    if data.start is None:
        return meta
    for cells in _calamine_rows(data, f"{path} (sheet {META_SHEET!r})"):
        if not cells:
            continue
        key = text_of(cells[0]).strip()
        if key:
            meta[key] = text_of(cells[1]).strip() if len(cells) > 1 else ""
    return meta


def _read_layout(data: CalamineSheet, where: str) -> HeaderLayout:
    start = data.start
    if start is None:
        raise SheetError(
            f"{where}: no header row (the sheet is empty).",
            hint="Put the column headers in row 1 and one record per row below them.",
        )
    first: tuple[int, list[str]] | None = None
    for index, cells in enumerate(_calamine_rows(data, where)):
        texts = [text_of(c) for c in cells]
        filled = sum(1 for t in texts if t.strip())
        if not filled:
            continue
        if first is None:
            first = (index, texts)
            if filled > 1:
                break
        elif filled > 1:  # one cell above a wider row: a title, and this is the header row
            first = (index, texts)
            break
        if index - first[0] >= _TITLE_ROWS:
            break
    if first is not None:
        return build_layout(first[1], row=first[0] + 1, where=where, col_offset=start[1])
    raise SheetError(  # only error cells in the sheet
        f"{where}: no header row (every cell is blank or an error).",
        hint="Put the column headers in row 1 and one record per row below them.",
    )


def _refuse_merged(data: CalamineSheet, layout: HeaderLayout, where: str) -> None:
    """Refuse merged cells in the header row or under it, within the table's columns."""
    first = layout.col_offset + layout.positions[0]
    last = layout.col_offset + layout.positions[-1]
    for (r0, c0), (r1, c1) in data.merged_cell_ranges or ():
        if r1 + 1 < layout.row or c1 < first or c0 > last:
            continue  # a title above the table, or a note beside it: harmless
        cells = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        if r0 + 1 <= layout.row:
            raise SheetError(
                f"{where}: cells {cells} are merged in the header row; each column needs a "
                f"header cell of its own.",
                hint=f"Unmerge {cells} (Home > Merge & Center) and type a header in each column.",
            )
        raise SheetError(
            f"{where}: cells {cells} are merged. A merged value belongs to its first cell "
            f"only ({column_letter(c0)}{r0 + 1}); the others would read as blank and leave "
            f"their fields unchanged.",
            hint=f"Unmerge {cells} (Home > Merge & Center) and fill each cell that needs the "
            f"value.",
        )


def cell_value(value: object) -> CellValue:
    """One calamine value as a `RawRow` value (see the module docstring)."""
    if type(value) is str:  # the common case, first
        return value
    if isinstance(value, datetime | date):
        return value
    return text_of(value)


class XlsxRows:
    """The data rows of one worksheet.

    The sheet loaded by `open_xlsx` serves the first `rows()` call; later calls
    load it again rather than keep the whole sheet in memory between reads.
    """

    def __init__(
        self, path: Path, name: str, layout: HeaderLayout, data: CalamineSheet, scan: SheetScan
    ) -> None:
        self.path = path
        self.name = name
        self.layout = layout
        self._loaded: CalamineSheet | None = data
        self._scan = scan
        self._errors: dict[int, dict[int, str]] | None = None

    def rows(self) -> Iterator[RawRow]:
        data, self._loaded = self._loaded, None
        if data is None:
            check_workbook_file(self.path)
            with _load_workbook(self.path) as book:
                data, self._scan = _load_sheet(book, self.path, self.name)
        return self._iter(data)

    def _iter(self, data: CalamineSheet) -> Iterator[RawRow]:
        start = data.start
        if start is None:
            return
        if self._errors is None:
            scan = self._scan
            self._errors = error_cells(self.path, scan.part) if scan.has_error_cells else {}
        errors = self._errors
        layout = self.layout
        where = f"{self.path} (sheet {self.name!r})"
        col_offset = start[1]
        # iter_rows yields blank rows for the rows above the data, so index + 1
        # is the row number the user sees.
        for index, raw in enumerate(_calamine_rows(data, where)):
            if index < layout.row:
                continue
            cells = [cell_value(v) for v in raw]
            if index in errors:
                for col, text in errors[index].items():
                    if 0 <= col - col_offset < len(cells):
                        cells[col - col_offset] = text
            row = layout.make_row(index + 1, cells, where)
            if row is not None:
                yield row


def error_cells(path: Path, part: str | None) -> dict[int, dict[int, str]]:
    """Error cells of one sheet part: 0-based row → 0-based column → text ("#N/A").

    Parses the part's XML; called only when `scan_sheet` saw the `t="e"` mark.
    """
    if part is None:
        return {}
    try:
        with zipfile.ZipFile(path) as z, z.open(part) as f:
            return _collect_errors(f)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
        return {}  # calamine read the sheet; the extra scan is best-effort


def _collect_errors(f: IO[bytes]) -> dict[int, dict[int, str]]:
    found: dict[int, dict[int, str]] = {}
    row = -1
    col = -1
    parent: ElementTree.Element | None = None
    for event, el in ElementTree.iterparse(f, events=("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "sheetData":
                parent = el
            elif tag == "row":
                r = el.get("r", "")
                row = int(r) - 1 if r.isascii() and r.isdigit() else row + 1
                col = -1
            elif tag == "c":
                ref = _CELL_REF.fullmatch(el.get("r", ""))
                if ref:
                    row = int(ref.group(2)) - 1
                    col = _column_index(ref.group(1).upper())
                else:
                    col += 1
            continue
        if tag == "c" and el.get("t") == "e":
            text = next((v.text for v in el if _local(v.tag) == "v"), None)
            if text:
                found.setdefault(row, {})[col] = text
        if tag == "row" and parent is not None:
            parent.clear()  # rows already read are not needed: memory stays flat
    return found


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
