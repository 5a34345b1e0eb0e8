"""Read an XLSX workbook as a stream of rows, with memory flat in the sheet's length.

The sheet's XML is inflated and read a block at a time (`xlsx_rows`); only the shared
strings table is held whole. What a `RawRow` holds (the rules calamine had, which rowpush
used before: see `xlsx_formats`):

- text → itself (leading zeros kept); empty → "";
- numbers → "12" for whole numbers, else up to 15 significant digits ("12.5");
  booleans → "TRUE"/"FALSE";
- a date cell → `date` when its time part is zero, else `datetime`; a time of day
  (serial < 1) → "HH:MM:SS"; a duration ([h]:mm:ss) → "H:MM:SS";
- a formula → its cached value (the one Excel saved); a formula never calculated
  is refused, naming its cell;
- an error (#N/A, #DIV/0!, …) → its text, so that it never passes for a blank cell;
- merged cells within the table are refused: the value belongs to the first cell
  only, and the others would read as blank, which leaves fields unchanged. The part
  lists its merged ranges after its rows, so they are checked when the rows are read.

The zip is checked before anything is inflated (`xlsx_package`: no zip bomb).

Measured (`bench/xlsx_read.py`): Excel's largest sheet, 1,048,576 rows by 4 columns,
reads in about 3.3 s of CPU (0.8 s of it inflating the zip in a second thread), and
`rowpush validate` on it peaks at 70 MiB; python-calamine held the whole sheet (337 MiB)
and took about 7 s more of CPU.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice, repeat
from pathlib import Path
from typing import IO

from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, column_letter
from rowpush.sheets.cells import MAX_CELL_CHARS, text_of
from rowpush.sheets.table import META_SHEET, HeaderLayout, Sheet, build_layout
from rowpush.sheets.xlsx_book import Book, SheetEntry, not_a_worksheet, read_book
from rowpush.sheets.xlsx_package import ZIP_ERRORS, open_package, unreadable
from rowpush.sheets.xlsx_rows import Merge, ReadContext, Rows, SheetReader

__all__ = ["check_workbook_file", "open_xlsx", "read_meta_xlsx"]

_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
# Rows read from the hidden meta sheet: rowpush writes a handful.
_META_ROWS = 1000
#: How many rows below a lone first cell (a title) the header row is looked for.
_TITLE_ROWS = 5
# A sheet's used range, in the first bytes of its XML: <dimension ref="A1:D1048577"/>
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_DIMENSION_PEEK = 4096


def open_xlsx(path: Path, sheet: str | None) -> Sheet:
    """Open a workbook, pick the data sheet and read its header row."""
    check_workbook_file(path)
    with open_package(path) as z:
        book = read_book(z, path)
        entry = _choose_sheet(book, path, sheet)
        source = XlsxRows(book, entry, _context(book, z, entry))
        meta = _meta_from(book, z, source.ctx.shared)
        target = meta.get("target") or None
        named = _sheet_for_target(book, target) if sheet is None else None
        if named is not None and named is not entry:
            # a template names its data sheet for its target: a "Notes" sheet added in
            # front of it must not be read instead
            entry = named
            source = XlsxRows(book, entry, _context(book, z, entry))
        layout = source.read_layout(z)
        hint = _rows_below(z, path, entry, layout.row)
    return Sheet(path, name=entry.name, layout=layout, target=target, source=source, rows_hint=hint)


def _sheet_for_target(book: Book, target: str | None) -> SheetEntry | None:
    """The visible worksheet named for `target` (Excel caps titles at 31 characters)."""
    if not target:
        return None
    for s in book.sheets:
        if s.worksheet and s.visible and s.name.casefold() == target[:31].casefold():
            return s
    return None


def _rows_below(z: zipfile.ZipFile, path: Path, entry: SheetEntry, header_row: int) -> int | None:
    """The rows below the header as the sheet's `<dimension>` gives its used range (for a
    progress counter's time left; None when the sheet does not say)."""
    try:
        with _open_part(z, path, entry, entry.name) as f:
            head = f.read(_DIMENSION_PEEK)
    except (SheetError, *ZIP_ERRORS):
        return None
    found = _DIMENSION.search(head)
    return max(0, int(found.group(1)) - header_row) if found else None


def read_meta_xlsx(path: Path) -> dict[str, str]:
    """The key/value rows of the hidden `_rowpush` sheet; {} when there is none."""
    check_workbook_file(path)
    with open_package(path) as z:
        book = read_book(z, path)
        if not any(s.name == META_SHEET for s in book.sheets):
            return {}
        return _meta_from(book, z, book.shared_strings(z))


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


def _context(book: Book, z: zipfile.ZipFile, entry: SheetEntry) -> ReadContext:
    return ReadContext(
        shared=book.shared_strings(z),
        kinds=book.number_kinds(z),
        date1904=book.date1904,
        where=f"{book.path} (sheet {entry.name!r})",
    )


def _choose_sheet(book: Book, path: Path, wanted: str | None) -> SheetEntry:
    names = [s.name for s in book.sheets if s.name != META_SHEET]
    listed = ", ".join(repr(n) for n in names)
    if wanted is None:
        for s in book.sheets:
            if s.name != META_SHEET and s.visible and s.worksheet:
                return s
        raise SheetError(
            f"{path}: the workbook has no visible worksheet (its sheets: {listed or 'none'}).",
            hint="Unhide the sheet to read in Excel, or choose it by name.",
        )
    if wanted in names:
        return book.sheet(wanted)
    folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return book.sheet(folded[0])
    raise SheetError(
        f"{path}: the workbook has no sheet named {wanted!r}; its sheets are: {listed}.",
        hint="Choose one of these names.",
    )


def _meta_from(book: Book, z: zipfile.ZipFile, shared: Sequence[str]) -> dict[str, str]:
    entries = [s for s in book.sheets if s.name == META_SHEET]
    if not entries or not entries[0].worksheet:
        return {}
    entry = entries[0]
    ctx = ReadContext(
        shared, book.number_kinds(z), book.date1904, f"{book.path} (sheet {entry.name!r})"
    )
    rows: list[list[CellValue]] = []
    with _open_part(z, book.path, entry, ctx.where) as f:
        for block in _guarded(SheetReader(f, ctx).rows(), ctx.where):
            rows.extend(cells for _, cells, _ in _dense(block))
            if len(rows) >= _META_ROWS:
                break
    # The first two columns of the cells in use, as calamine placed them.
    start = min((next((i for i, c in enumerate(r) if c != ""), len(r)) for r in rows), default=0)
    meta: dict[str, str] = {}
    for cells in rows:
        key = text_of(cells[start]).strip() if len(cells) > start else ""
        if key:
            meta[key] = text_of(cells[start + 1]).strip() if len(cells) > start + 1 else ""
    return meta


def _open_part(z: zipfile.ZipFile, path: Path, entry: SheetEntry, where: str) -> IO[bytes]:
    if not entry.worksheet:
        raise not_a_worksheet(where)
    if entry.part is None:
        raise unreadable(path, KeyError(f"sheet {entry.name!r} has no part in the package"))
    try:
        return z.open(entry.part)
    except ZIP_ERRORS as exc:
        raise unreadable(path, exc) from exc


def _guarded(blocks: Iterable[Rows], where: str) -> Iterator[Rows]:
    """The blocks, with a part that fails to inflate said to be damaged (a SheetError)."""
    try:
        yield from blocks
    except ZIP_ERRORS as exc:  # a bad CRC, a cut deflate stream
        raise _damaged(where, exc) from exc


def _damaged(where: str, exc: BaseException) -> SheetError:
    return SheetError(
        f"{where}: the sheet cannot be read; the workbook may be damaged ({exc}).",
        hint="Open it in Excel, check it, and save it again as 'Excel Workbook (.xlsx)'.",
    )


def _dense(block: Rows) -> Iterator[tuple[int, list[CellValue], frozenset[int]]]:
    """Each row of a block as its cells from column A ("" where nothing is)."""
    width = max(block.columns, default=-1) + 1
    for i, number in enumerate(block.numbers):
        cells: list[CellValue] = [""] * width
        for column, values in zip(block.columns, block.values, strict=True):
            cells[column] = values[i]
        yield number, cells, block.errors


class XlsxRows:
    """The data rows of one worksheet, streamed from the file each time they are read."""

    def __init__(self, book: Book, entry: SheetEntry, ctx: ReadContext) -> None:
        self.book = book
        self.entry = entry
        self.ctx = ctx
        self.layout: HeaderLayout | None = None

    def read_layout(self, z: zipfile.ZipFile) -> HeaderLayout:
        """Find the header row: the first row holding text (error cells count as blank),
        unless it holds one cell above a wider row within `_TITLE_ROWS`: a title."""
        where = self.ctx.where
        seen = False
        first: tuple[int, list[str]] | None = None
        with _open_part(z, self.book.path, self.entry, where) as f:
            for block in _guarded(SheetReader(f, self.ctx).rows(), where):
                for number, cells, errors in _dense(block):
                    seen = seen or bool(cells)
                    texts = ["" if i in errors else text_of(c) for i, c in enumerate(cells)]
                    filled = sum(1 for t in texts if t.strip())
                    if not filled:
                        continue
                    if first is not None and number - first[0] > _TITLE_ROWS:
                        break
                    if first is None or filled > 1:
                        first = (number, texts)
                    if filled > 1:
                        break
                else:
                    continue
                break
        if first is not None:
            self.layout = build_layout(first[1], row=first[0], where=where)
            return self.layout
        if not seen:
            raise SheetError(
                f"{where}: no header row (the sheet is empty).",
                hint="Put the column headers in row 1 and one record per row below them.",
            )
        raise SheetError(  # only error cells in the sheet
            f"{where}: no header row (every cell is blank or an error).",
            hint="Put the column headers in row 1 and one record per row below them.",
        )

    def rows(self) -> Iterator[RawRow]:
        return self._rows()

    def _rows(self) -> Iterator[RawRow]:
        layout = self.layout
        assert layout is not None
        with (
            open_package(self.book.path) as z,
            _open_part(z, self.book.path, self.entry, self.ctx.where) as f,
            SheetReader(f, self.ctx, inflate_ahead=True) as reader,
        ):
            where = self.ctx.where
            try:
                for block in _guarded(reader.rows(), where):
                    if block.numbers[-1] > layout.row:
                        yield from self._block_rows(layout, block)
            except SheetError:
                # A value under no header may be a merged cell's doing: say so first.
                try:
                    merges = reader.merges()
                except (SheetError, *ZIP_ERRORS):
                    merges = []  # the error already raised says enough
                _refuse_merged(merges, layout, where)
                raise
            try:
                merges = reader.merges()
            except ZIP_ERRORS as exc:  # the part's checksum is checked at its very end
                raise _damaged(where, exc) from exc
            _refuse_merged(merges, layout, where)

    def _block_rows(self, layout: HeaderLayout, block: Rows) -> Iterator[RawRow]:
        where = self.ctx.where
        if block.numbers[0] <= layout.row:
            block = _rows_after(block, layout.row)
        fast = _named_values(layout, block)
        if fast is not None:
            yield from map(
                RawRow,
                block.numbers,
                map(dict, map(zip, repeat(layout.headers), zip(*fast, strict=False))),
            )
            return
        for number, cells, _ in _dense(block):
            row = layout.make_row(number, cells, where)
            if row is not None:
                yield row


def _rows_after(block: Rows, header: int) -> Rows:
    """The rows of a block below the header row."""
    skip = next(i for i, n in enumerate(block.numbers) if n > header)
    return Rows(
        block.numbers[skip:],
        block.columns,
        [list(islice(v, skip, None)) for v in block.values],
        block.errors,
    )


def _named_values(
    layout: HeaderLayout, block: Rows
) -> list[Sequence[CellValue] | repeat[str]] | None:
    """Each header's values for a block's rows, when `make_row` would only zip them.

    That is: every column of the block is a named one, no row is blank (some column
    holds a date or non-blank text all along) and no text is too long for a cell.
    None sends the block through `make_row`, which says what is wrong.
    """
    first, end = layout.positions[0], layout.positions[-1] + 1
    if not block.columns or any(c < first or c >= end for c in block.columns):
        return None
    never_blank = False
    for values in block.values:
        kinds = set(map(type, values))
        if kinds == {str}:
            if max(map(len, values)) > MAX_CELL_CHARS:  # type: ignore[arg-type]
                return None
            never_blank = never_blank or all(map(str.strip, values))  # type: ignore[arg-type]
        elif str in kinds:
            if max((len(v) for v in values if isinstance(v, str)), default=0) > MAX_CELL_CHARS:
                return None
        else:
            never_blank = True
    if not never_blank:
        return None
    by_column = dict(zip(block.columns, block.values, strict=True))
    return [by_column.get(c, repeat("")) for c in range(first, end)]


def _refuse_merged(merges: list[Merge], layout: HeaderLayout, where: str) -> None:
    """Refuse merged cells in the header row or under it, within the table's columns."""
    first = layout.col_offset + layout.positions[0]
    last = layout.col_offset + layout.positions[-1]
    for (r0, c0), (r1, c1) in merges:
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
