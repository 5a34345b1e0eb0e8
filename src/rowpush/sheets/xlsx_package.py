"""The XLSX package (a zip of XML parts), checked before calamine reads it.

calamine trusts what it reads. It inflates a part to whatever size the zip
declares, and it holds a sheet as one dense grid spanning every cell in use: a
zip bomb (a small file that inflates to gigabytes) exhausts memory, and a single
value in cell XFD1048576 asks for a grid of 17 billion cells, which aborts the
process from Rust, with no exception to catch. So, before calamine sees a file:

- `open_package` reads the zip's directory only (nothing is inflated): a file
  that is not a zip or is cut short, two parts with one name, a total inflated
  size over `MAX_UNPACKED_BYTES`, or a part inflating more than `MAX_RATIO`
  times are refused;
- `scan_sheet` streams the one sheet part about to be read and bounds the grid
  calamine would build (`MAX_GRID_CELLS`). It runs regular expressions over
  1 MiB blocks rather than parsing XML: for 1,000,000 rows by 10 columns, 3.8 s
  of CPU against calamine's 10.4 s (1.3 s of it was spent before anyway, looking
  for error cells). Only a sheet whose cells lack their `r="A1"` reference
  (rare: Excel, LibreOffice and openpyxl always write it) or whose formatted
  empty cells reach far is parsed as XML. The same pass
  notes whether the sheet holds error cells (`t="e"`), which calamine reads as
  blanks, and refuses a formula that was never calculated (written by a program,
  never saved by Excel): it has no value to read, and a blank would leave the
  field unchanged, or, in a key column, create a record.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from rowpush.errors import SheetError
from rowpush.model import column_letter

__all__ = [
    "MAX_GRID_CELLS",
    "MAX_RATIO",
    "MAX_UNPACKED_BYTES",
    "SheetScan",
    "open_package",
    "scan_sheet",
    "sheet_part",
    "unreadable",
]

#: Total inflated size of a workbook's parts. A sheet of 1,000,000 rows by 10 columns is
#: about 350 MB of XML, which calamine reads in ~10 s holding ~730 MB; 1 GiB is three
#: times that. Bigger data reads better as CSV, which rowpush streams in chunks.
MAX_UNPACKED_BYTES = 1 << 30
#: Inflated ÷ compressed size refused for a big part. Spreadsheet XML compresses 5-20:1
#: (1,000,000 empty formatted rows: 13:1); deflate tops out near 1,030:1.
MAX_RATIO = 200
#: Parts smaller than this may compress as they like: inflating them cannot hurt.
RATIO_MIN_BYTES = 16 << 20
#: Cells in the grid calamine builds for a sheet, about 32 bytes each (so ~1 GiB):
#: every row Excel allows (1,048,576) times 32 columns.
MAX_GRID_CELLS = 1 << 25
#: workbook.xml and its relationships are parsed whole; a real one is a few kB.
MAX_INDEX_PART_BYTES = 16 << 20

# What zipfile raises, besides BadZipFile, on a damaged directory or header.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,  # includes UnicodeDecodeError on a mangled part name
    struct.error,
    zlib.error,
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # an encrypted part
    KeyError,
    IndexError,
    OverflowError,
)
_BLOCK = 1 << 20
# An unfinished tag carried to the next block is cut here: its start is all we need.
_CARRY_LIMIT = 4096
# Growth of the bounds between two rebuilds of the search pattern (see _GridBound):
# 1/32, so about 220 rebuilds (~0.5 ms each) for 1,000,000 rows.
_GROWTH = 32
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
# Starts with a literal so the scan runs at memory speed; a false hit (`xt="e"`)
# only costs a full parse later, which then finds nothing.
_ERROR_MARK = re.compile(rb"""t\s*=\s*["']e["']""")
_REF = re.compile(rb'([A-Za-z]+)(\d+)"')
_TEXT_REF = re.compile(r"([A-Za-z]+)(\d+)", re.ASCII)
# The rest of a start tag after an attribute value: more attributes, then `>` or `/>`.
_TAG_REST = re.compile(rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(/?)>""")
# A formula followed by no cached value: a missing or empty <v>. An empty <v> is the
# value "" only in a cell marked t="str" (what Excel saves for a formula giving "").
_UNCALCULATED = re.compile(rb"<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:(<v\s*/>|<v>\s*</v>)|</c>)")
_STR_TYPE = re.compile(rb"""\bt\s*=\s*["']str["']""")
_R_ATTR = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}\d{1,7})["']""")
# A cell tag with a namespace prefix (`<x:c r="A1">`): parsed as XML, to be safe.
_PREFIXED_CELL = re.compile(rb":c[\s/>]")


@dataclass(frozen=True, slots=True)
class SheetScan:
    """What `scan_sheet` learned about one sheet part."""

    part: str | None
    """The zip member holding the sheet (None when the workbook does not say)."""
    has_error_cells: bool
    """True when the sheet may hold error cells (#N/A, #DIV/0!, …)."""


def unreadable(path: Path, exc: BaseException | None = None) -> SheetError:
    """The error for a file that is not a readable XLSX package."""
    detail = f" ({exc})" if exc is not None and str(exc) else ""
    return SheetError(
        f"{path}: the workbook cannot be read; it may be damaged or cut short, or saved in "
        f"another format under an .xlsx name: it is not a readable XLSX (zip) file{detail}.",
        hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)', or export the "
        "sheet as 'CSV UTF-8'; if it was downloaded or mailed, fetch it again.",
    )


def open_package(path: Path) -> zipfile.ZipFile:
    """Open the workbook's zip and check its directory; raise `SheetError` if unsafe."""
    try:
        z = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise unreadable(path, exc) from exc
    try:
        _check_directory(path, z.infolist())
    except BaseException:
        z.close()
        raise
    return z


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    names: set[str] = set()
    for info in infos:
        if info.filename in names:
            # Readers disagree on which of the two they use: the one checked might not be read.
            raise SheetError(
                f"{path}: the workbook holds two parts named {info.filename!r}, so it is "
                f"damaged or was tampered with.",
                hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)', or ask "
                "for the data again.",
            )
        names.add(info.filename)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise SheetError(
            f"{path}: the workbook would unpack to {_size(total)} of XML, more than rowpush "
            f"reads ({_size(MAX_UNPACKED_BYTES)}): it is either a very large workbook or a "
            f"'zip bomb'.",
            hint="Save the sheet as 'CSV UTF-8' (rowpush streams CSV of any length) or split "
            "it into smaller workbooks; if you did not expect a file this big, do not open it.",
        )
    for info in infos:
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * packed:
            raise SheetError(
                f"{path}: its part {info.filename!r} would unpack {_size(packed)} into "
                f"{_size(info.file_size)} ({info.file_size // packed:,} to 1), far beyond "
                f"what a spreadsheet compresses to: the file is a 'zip bomb' or damaged.",
                hint="Do not open it in other programs either; ask for the data again, saved "
                "from Excel as .xlsx or as 'CSV UTF-8'.",
            )


def sheet_part(z: zipfile.ZipFile, path: Path, sheet: str) -> str | None:
    """The zip member holding `sheet`, as workbook.xml and its relationships name it."""
    book = _parse_index_part(z, path, _WORKBOOK)
    if book is None:
        return None
    rid = None
    for el in book.iter():
        if _local(el.tag) == "sheet" and el.get("name") == sheet:
            rid = el.get(f"{{{_NS_REL}}}id")
            break
    rels = _parse_index_part(z, path, _WORKBOOK_RELS)
    if rid is None or rels is None:
        return None
    for el in rels.iter():
        if _local(el.tag) == "Relationship" and el.get("Id") == rid:
            target = el.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _parse_index_part(z: zipfile.ZipFile, path: Path, name: str) -> ElementTree.Element | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None  # calamine says what is missing
    if info.file_size > MAX_INDEX_PART_BYTES:
        raise SheetError(
            f"{path}: its part {name!r} is {_size(info.file_size)}, where a workbook's is a "
            f"few kB: the file is damaged or was not made by a spreadsheet program.",
            hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)'.",
        )
    try:
        return ElementTree.fromstring(z.read(info))
    except (*_ZIP_ERRORS, ElementTree.ParseError) as exc:
        raise unreadable(path, exc) from exc


def scan_sheet(path: Path, sheet: str) -> SheetScan:
    """Check the sheet part calamine is about to read (see the module docstring).

    Raises `SheetError` when the grid calamine would build exceeds `MAX_GRID_CELLS`,
    or when the package cannot be read.
    """
    where = f"{path} (sheet {sheet!r})"
    with open_package(path) as z:
        part = sheet_part(z, path, sheet)
        if part is not None and part in z.namelist():
            parts = [part]
        else:
            # The workbook does not lead to the part plainly: check every XML part
            # rather than guess which one calamine will read.
            parts = [n for n in z.namelist() if n.lower().endswith(".xml")]
        marked = False
        for name in parts:
            marked = _scan_part(z, name, where) or marked
    return SheetScan(part=part, has_error_cells=marked)


def _scan_part(z: zipfile.ZipFile, part: str, where: str) -> bool:
    """Bound the part's grid; True when it may hold error cells."""
    try:
        with z.open(part) as f:
            result = _scan_fast(f, where)
        if result is None:
            with z.open(part) as f:
                result = _scan_exact(f, where)
    except (*_ZIP_ERRORS, ElementTree.ParseError) as exc:
        raise SheetError(
            f"{where}: the sheet cannot be read; the workbook may be damaged ({exc}).",
            hint="Open it in Excel, check it, and save it again as 'Excel Workbook (.xlsx)'.",
        ) from exc
    return result


class _GridBound:
    """The far corner of the cells holding something, refused past `MAX_GRID_CELLS`.

    The fast scan searches only for cells outside the search bounds (`cols` by
    `rows`, at first A to Z and 1,024 rows); each one found, empty or not, moves
    the bounds out by at least 1/32, so that a sheet read top to bottom rebuilds
    its pattern a few hundred times, not once per row. Every cell holding
    something therefore lies within the bounds; when only the bounds, not the
    cells seen, exceed the limit (the slack of growth, or formatted empty cells
    far away, which calamine skips), `settled` says the scan cannot tell and the
    exact scan decides.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        # Cells within A1:Z1024 are never looked at: together they cannot matter.
        self.cols = 26
        self.rows = 1024
        self.far_col = (0, "")
        self.far_row = (0, "")
        self._pattern: re.Pattern[bytes] | None = None

    def see(self, col: int, row: int, ref: str, *, empty: bool = False) -> None:
        if not empty:
            if col >= self.far_col[0] and row >= self.far_row[0]:
                self.far_col, self.far_row = (col, ref), (row, ref)  # one cell is the corner
            elif col > self.far_col[0]:
                self.far_col = (col, ref)
            elif row > self.far_row[0]:
                self.far_row = (row, ref)
            if self.far_col[0] * self.far_row[0] > MAX_GRID_CELLS:
                raise self._too_big()
        if col > self.cols:
            self.cols = max(col, self.cols + self.cols // _GROWTH)
            self._pattern = None
        if row > self.rows:
            self.rows = max(row, self.rows + self.rows // _GROWTH)
            self._pattern = None

    @property
    def settled(self) -> bool:
        """True when the bounds prove the grid small enough (1/32 each way of slack)."""
        slack = (_GROWTH + 1) ** 2 / _GROWTH**2
        return self.cols * self.rows <= MAX_GRID_CELLS * slack

    @property
    def pattern(self) -> re.Pattern[bytes]:
        """A cell tag whose first attribute is not r="…" (the exact scan takes over), or
        whose reference is not a plain one within the bounds."""
        if self._pattern is None:
            within = _letters_up_to(column_letter(self.cols - 1)) + _digits_up_to(self.rows)
            # The common case first: r="…" opens the tag, and its reference is within.
            self._pattern = re.compile(rb'<c(?: r="(?!' + within + rb')|(?! r=")[\s/>])')
        return self._pattern

    def _too_big(self) -> SheetError:
        (cols, col_ref), (rows, row_ref) = self.far_col, self.far_row
        cells = f"cell {col_ref}" if col_ref == row_ref else f"cells {col_ref} and {row_ref}"
        return SheetError(
            f"{self.where}: the sheet's cells reach column {column_letter(cols - 1)} and row "
            f"{rows:,} ({cells}): a grid of {cols * rows:,} cells, more than rowpush reads "
            f"({MAX_GRID_CELLS:,}). Usually a stray value or formula far from the table.",
            hint="Delete the rows below and the columns right of your table (Ctrl+End shows "
            "the last cell Excel counts), then save; or save the sheet as 'CSV UTF-8'.",
        )


def _scan_fast(f: IO[bytes], where: str) -> bool | None:
    """The regular-expression scan; None when the exact scan must decide."""
    bound = _GridBound(where)
    marked = False
    for seg in _segments(f):
        if _PREFIXED_CELL.search(seg):
            return None
        if not marked:
            marked = _ERROR_MARK.search(seg) is not None
        _refuse_uncalculated(seg, where)
        pos = 0
        while m := bound.pattern.search(seg, pos):
            if seg[m.end() - 1 : m.end()] != b'"':
                return None  # a cell without r="…" first: positions are implicit
            pos = m.end()
            ref = _REF.match(seg, pos)
            if ref is None:
                continue  # not a reference at all: calamine refuses it itself
            pos = ref.end()
            # <c r="…" s="1"/> is a formatted empty cell, which calamine skips.
            rest = _TAG_REST.match(seg, pos)
            empty = rest is not None and rest.group(1) == b"/"
            letters, digits = ref.group(1).upper(), ref.group(2)
            ref_text = (letters + digits).decode()
            bound.see(_column_number(letters), int(digits), ref_text, empty=empty)
    return marked if bound.settled else None


def _refuse_uncalculated(seg: bytes, where: str) -> None:
    for m in _UNCALCULATED.finditer(seg):
        start = seg.rfind(b"<c", 0, m.start())
        tag = seg[start : seg.find(b">", start) + 1] if start >= 0 else b""
        if m.group(1) and _STR_TYPE.search(tag):
            continue  # a formula that gave ""
        ref = _R_ATTR.search(tag)
        raise _uncalculated(where, ref.group(1).decode().upper() if ref else None)


def _uncalculated(where: str, ref: str | None) -> SheetError:
    cell = f"cell {ref}" if ref else "a cell"
    return SheetError(
        f"{where}: {cell} holds a formula that was never calculated, so it has no value to "
        f"read: the file was written by a program and never saved by Excel.",
        hint="Open the file in Excel (or LibreOffice) and save it, which calculates the "
        "formulas; or write plain values instead of formulas.",
    )


def _segments(f: IO[bytes]) -> Iterator[bytes]:
    """The part in blocks cut between tags, so that no tag is split (nor counted twice)."""
    carry = b""
    while block := f.read(_BLOCK):
        data = carry + block if carry else block
        lt = data.rfind(b"<")
        if lt > data.rfind(b">"):
            yield data[:lt]
            carry = data[lt : lt + _CARRY_LIMIT]
        else:
            yield data
            carry = b""
    if carry:
        yield carry


def _scan_exact(f: IO[bytes], where: str) -> bool:
    """Parse the part as XML, placing cells without a reference as calamine does."""
    cells = _CellPlacer(where)
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        events=("start", "end")
    )
    while block := f.read(_BLOCK):
        parser.feed(block)
        cells.take(parser.read_events())
    parser.close()
    cells.take(parser.read_events())
    return cells.marked


class _CellPlacer:
    """Follows XML events: where each cell sits, whether any is an error cell."""

    def __init__(self, where: str) -> None:
        self.bound = _GridBound(where)
        self.marked = False
        self.row = 0  # 1-based; 0 before the first
        self.col = 0
        self.parent: ElementTree.Element | None = None

    def take(self, events: Iterator[tuple[object, ...]]) -> None:
        for item in events:
            event, el = item[0], item[-1]
            if not isinstance(el, ElementTree.Element):
                continue
            if event == "start":
                self._start(_local(el.tag), el)
            else:
                self._end(_local(el.tag), el)

    def _start(self, tag: str, el: ElementTree.Element) -> None:
        if tag == "sheetData":
            self.parent = el
        elif tag == "row":
            r = el.get("r", "")
            self.row = int(r) if r.isascii() and r.isdigit() else self.row + 1
            self.col = 0
        elif tag == "c":
            ref = _TEXT_REF.fullmatch(el.get("r", ""))
            if ref:
                self.col, self.row = _column_number(ref.group(1).upper()), int(ref.group(2))
            else:
                self.col += 1

    def _end(self, tag: str, el: ElementTree.Element) -> None:
        if tag == "c":
            self.marked = self.marked or el.get("t") == "e"
            kids = {_local(k.tag): k for k in el}
            if "f" in kids:
                v = kids.get("v")
                if v is None or (not v.text and el.get("t") != "str"):
                    ref = f"{column_letter(max(self.col, 1) - 1)}{self.row}"
                    raise _uncalculated(self.bound.where, ref)
            if len(el) or (el.text or "").strip():
                col, row = self.col, self.row
                self.bound.see(col, row, f"{column_letter(max(col, 1) - 1)}{row}")
        elif tag == "row" and self.parent is not None:
            self.parent.clear()  # keep memory flat: rows already seen are not needed


def _letters_up_to(last: str) -> bytes:
    """Regex for column letters from A up to `last` (upper case, no more letters)."""
    n = len(last)
    # Fewer letters; or as many, smaller at some place. Possessive: no backtracking.
    alts = [b"[A-Z]{1,%d}+" % (n - 1)] if n > 1 else []
    for i, ch in enumerate(last):
        top = ch if i == n - 1 else chr(ord(ch) - 1)
        if top >= "A":
            rest = b"[A-Z]{%d}" % (n - i - 1) if i < n - 1 else b""
            alts.append(last[:i].encode() + b"[A-%s]" % top.encode() + rest)
    return b"(?:" + b"|".join(alts) + b")"


def _digits_up_to(last: int) -> bytes:
    """Regex for a row number from 1 up to `last` (no leading zero), then the closing quote."""
    s = str(last)
    n = len(s)
    alts = [rb'[1-9]\d{0,%d}+"' % (n - 2)] if n > 1 else []
    for i, ch in enumerate(s):
        low = "1" if i == 0 else "0"
        top = ch if i == n - 1 else chr(ord(ch) - 1)
        if top >= low:
            rest = rb"\d{%d}" % (n - i - 1) if i < n - 1 else b""
            alts.append(s[:i].encode() + b"[%s-%s]" % (low.encode(), top.encode()) + rest + b'"')
    return b"(?:" + b"|".join(alts) + b")"


def _column_number(letters: bytes | str) -> int:
    """Column letters → 1-based number (A → 1, AA → 27); letters are upper case."""
    text = letters.decode() if isinstance(letters, bytes) else letters
    n = 0
    for ch in text:
        n = n * 26 + ord(ch) - 64
    return n


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
