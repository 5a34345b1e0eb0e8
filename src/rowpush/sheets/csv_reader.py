"""Read a CSV file: detect its encoding and delimiter, then stream its rows (csv module).

Every cell stays text (`dtype=str`, no NA guessing), so leading zeros and blanks
survive until the target's model types them.

- Encoding: a BOM says UTF-8 or UTF-16; otherwise the file is UTF-8 if it all
  decodes as UTF-8, else Windows-1252 (what Excel writes for "CSV" on Western
  Windows). Deciding needs one pass over the bytes (fast, constant memory).
  Refused, naming the line: a NUL byte (a text CSV never holds one: it means
  UTF-16 without a BOM, or a binary file), a byte neither encoding reads, and a
  file that mixes UTF-8 with Windows-1252 (reading it as either would garble the
  other; decoding each line its own way would guess). A zip or Office file named
  .csv is refused as what it is.
- Delimiter: `,`, `;` or tab, whichever occurs most often, outside quotes, in the
  header line (ties go to `,`, then `;`).
- A row with more cells than the header row is a `SheetError` naming the row:
  ignoring the extra cells could drop data silently.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO

from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, column_letter
from rowpush.sheets.cells import MAX_CELL_CHARS, csv_unescape
from rowpush.sheets.table import HeaderLayout, RowBlock, Sheet, build_layout

__all__ = ["MAX_HEADER_CHARS", "detect_delimiter", "detect_encoding", "open_csv"]

#: Characters read at most for one line before the header row is found: room for
#: 16,384 columns (Excel's most) of 256 characters each.
MAX_HEADER_CHARS = 1 << 22
DELIMITERS = (",", ";", "\t")
_BLOCK = 1 << 20
_ROWS_BLOCK = 64
"""Rows read ahead by `rows()` (a block at a time underneath)."""
_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# With errors="surrogateescape", a byte the codec cannot read becomes U+DC80..U+DCFF.
_ESCAPED = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_SAVE_AS_UTF8 = "Open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'."
# A line holding only these is blank, before the header row.
_BLANK = ' \r\n",;\t'

# A decoder that returns what it decoded and how many bytes that used (it keeps an
# unfinished character for the next block unless final).
Decode = Callable[[bytes, str, bool], tuple[str, int]]


def _cp1252(data: bytes, errors: str, final: bool) -> tuple[str, int]:
    return codecs.decode(data, "cp1252", errors), len(data)


_DECODERS: dict[str, Decode] = {
    "utf-8": codecs.utf_8_decode,
    "utf-16-le": codecs.utf_16_le_decode,
    "utf-16-be": codecs.utf_16_be_decode,
    "cp1252": _cp1252,
}


def open_csv(path: Path) -> Sheet:
    """Open a CSV file and read its header row (see the module docstring)."""
    encoding = detect_encoding(path)
    delimiter, header_row, header_cells = _read_header(path, encoding)
    layout = build_layout(header_cells, row=header_row, where=str(path))
    source = CsvRows(path, encoding=encoding, delimiter=delimiter, layout=layout)
    return Sheet(path, name=None, layout=layout, target=None, source=source)


def detect_encoding(path: Path) -> str:
    """The codec name to read `path` with: utf-8-sig, utf-16, utf-8 or cp1252.

    Raises `SheetError` for a file that is not text in one of them (see the module
    docstring).
    """
    with path.open("rb") as f:
        head = f.read(8)
    _refuse_binary(path, head)
    if head.startswith(codecs.BOM_UTF8):
        scan = _scan_text(path, "utf-8", skip=3)
        _refuse_bad_text(path, scan, "UTF-8, as its first bytes say")
        return "utf-8-sig"
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            scan = _scan_text(path, codec, skip=2)
            _refuse_bad_text(path, scan, "UTF-16, as its first bytes say")
            return "utf-16"
    scan = _scan_text(path, "utf-8")
    if scan.nul is not None:
        raise SheetError(
            f"{path}: line {scan.nul} holds a NUL byte (character 0), which a text CSV never "
            f"does: the file is probably UTF-16 text without a byte-order mark, or not a text "
            f"file at all.",
            hint=_SAVE_AS_UTF8,
        )
    if scan.bad is None:
        return "utf-8"
    line, byte = scan.bad
    if scan.non_ascii is not None:
        utf8_line, char = scan.non_ascii
        raise SheetError(
            f"{path}: the file mixes two text encodings: line {utf8_line} holds UTF-8 text "
            f"({char!r}) but line {line} holds byte 0x{byte:02X}, which is not UTF-8 (most "
            f"likely Windows-1252, from an older program). Read either way, one of them "
            f"would be garbled.",
            hint=f"Retype the accented characters of line {line} (and any later such line) "
            f"in an editor that saves UTF-8, or export the data again as 'CSV UTF-8'.",
        )
    _refuse_bad_text(path, _scan_text(path, "cp1252"), "UTF-8 or Windows-1252")
    return "cp1252"


def _refuse_binary(path: Path, head: bytes) -> None:
    if head.startswith(_ZIP_MAGIC):
        raise SheetError(
            f"{path}: this is an Excel workbook (or another zip file) with a .csv name.",
            hint="Rename it to .xlsx, or open it in Excel and save it as "
            "'CSV UTF-8 (Comma delimited)'.",
        )
    if head.startswith(_CFB_MAGIC):
        raise SheetError(
            f"{path}: this is an old Excel (.xls) or password-protected workbook with a .csv name.",
            hint=_SAVE_AS_UTF8,
        )


def _refuse_bad_text(path: Path, scan: _TextScan, expected: str) -> None:
    if scan.bad is not None:
        line, byte = scan.bad
        raise SheetError(
            f"{path}: line {line} holds byte 0x{byte:02X}, which is not text in {expected} "
            f"(its characters cannot be decoded).",
            hint=_SAVE_AS_UTF8,
        )
    if scan.nul is not None:
        raise SheetError(
            f"{path}: line {scan.nul} holds a NUL character (character 0), which no "
            f"spreadsheet cell holds: the file is damaged or not a CSV export.",
            hint=_SAVE_AS_UTF8,
        )


@dataclass
class _TextScan:
    """What one pass over a file's bytes found first, by line (1-based)."""

    bad: tuple[int, int] | None = None
    """Line and value of the first byte the codec cannot decode."""
    nul: int | None = None
    """Line of the first NUL character."""
    non_ascii: tuple[int, str] | None = None
    """Line and text of the first character beyond ASCII that did decode."""

    @property
    def complete(self) -> bool:
        return None not in (self.bad, self.nul, self.non_ascii)


def _scan_text(path: Path, codec: str, *, skip: int = 0) -> _TextScan:
    """Decode `path` block by block (constant memory); stop once everything is found."""
    decode = _DECODERS[codec]
    ascii_safe = codec in ("utf-8", "cp1252")  # an ASCII byte is that character
    scan = _TextScan()
    line = 1
    carry = b""
    with path.open("rb") as f:
        f.seek(skip)
        while not scan.complete:
            block = f.read(_BLOCK)
            data = carry + block
            if ascii_safe and data.isascii():
                # The usual block, at memory speed: only a NUL can be wrong in it.
                if scan.nul is None and (at := data.find(b"\0")) >= 0:
                    scan.nul = line + data.count(b"\n", 0, at)
                line += data.count(b"\n")
                carry = b""
            else:
                escaped = False
                try:
                    text, used = decode(data, "strict", not block)
                except UnicodeDecodeError:
                    try:
                        text, used = decode(data, "surrogateescape", not block)
                        escaped = True
                    except UnicodeDecodeError as exc:
                        # UTF-16 escapes no byte below 0x80: note the place, and stop there.
                        good, _ = decode(data[: exc.start], "strict", True)
                        scan.bad = (line + good.count("\n"), data[exc.start])
                        _note(scan, good, line, escaped=False)
                        break
                _note(scan, text, line, escaped=escaped)
                line += text.count("\n")
                carry = data[used:]
            if not block:
                break
    return scan


def _note(scan: _TextScan, text: str, line: int, *, escaped: bool) -> None:
    """Record in `scan` what `text` (starting on `line`) holds, unless already found.

    `escaped`: the text was decoded with errors="surrogateescape" (some bytes were bad).
    """
    if escaped and scan.bad is None and (m := _ESCAPED.search(text)):
        scan.bad = (line + text.count("\n", 0, m.start()), ord(m.group()) - 0xDC00)
    if scan.nul is None and (at := text.find("\0")) >= 0:
        scan.nul = line + text.count("\n", 0, at)
    if scan.non_ascii is None and not text.isascii() and (m := _NON_ASCII.search(text)):
        scan.non_ascii = (line + text.count("\n", 0, m.start()), m.group())


def detect_delimiter(line: str) -> str:
    """`,`, `;` or tab: whichever occurs most often in `line` outside double quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(DELIMITERS, key=lambda d: counts[d])


def _read_header(path: Path, encoding: str) -> tuple[str, int, list[str]]:
    """The delimiter, the header's row number and its cells (the first non-blank row)."""
    with path.open(encoding=encoding, newline="") as f:
        first_line = next((line for line in _bounded_lines(f, path) if line.strip(_BLANK)), "")
    if not first_line:
        raise _no_header(path)
    delimiter = detect_delimiter(first_line)
    try:
        with path.open(encoding=encoding, newline="") as f:
            records = csv.reader(_bounded_lines(f, path), delimiter=delimiter)
            for number, record in enumerate(records, start=1):
                if any(cell.strip() for cell in record):
                    return delimiter, number, record
    except csv.Error as exc:
        problem = str(exc)
        if "field limit" in problem:  # the csv module stops at 131,072 characters a cell
            problem = f"a cell holds more than {csv.field_size_limit():,} characters"
        raise SheetError(
            f"{path}: the header row cannot be read as CSV ({problem}).",
            hint="Check the first rows in a text editor: a quote opened and never closed "
            "makes the rest of the file one cell.",
        ) from exc
    raise _no_header(path)


def _no_header(path: Path) -> SheetError:
    return SheetError(
        f"{path}: no header row (the file holds only blank lines).",
        hint="Put the column headers in row 1 and one record per row below them.",
    )


def _bounded_lines(f: IO[str], path: Path) -> Iterator[str]:
    """The lines of `f`, refusing one longer than `MAX_HEADER_CHARS` (no header is)."""
    number = 0
    while line := f.readline(MAX_HEADER_CHARS + 1):
        number += 1
        if len(line) > MAX_HEADER_CHARS:
            raise SheetError(
                f"{path}: line {number} is longer than {MAX_HEADER_CHARS:,} characters, far "
                f"too long for a header row: this does not look like a CSV file.",
                hint="Check the file in a text editor. " + _SAVE_AS_UTF8,
            )
        yield line


class CsvRows:
    """The data rows of one CSV file, streamed by the csv module (C speed, no pandas:
    importing pandas alone took longer than reading 5,000 rows)."""

    def __init__(self, path: Path, *, encoding: str, delimiter: str, layout: HeaderLayout) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.layout = layout

    def rows(self) -> Iterator[RawRow]:
        headers = self.layout.headers
        for block in self.blocks(_ROWS_BLOCK):
            for number, cells in zip(block.numbers, block.cells, strict=True):
                yield RawRow(number, dict(zip(headers, cells, strict=True)))

    def blocks(self, size: int) -> Iterator[RowBlock]:
        """The data rows at most `size` at a time, each the csv module's own list of
        cells. A block of usual rows (as many cells as headers, headed from column A on,
        none long, escaped or all blank) is told so a block at a time, in C; any other
        block row by row."""
        layout = self.layout
        plain = layout.positions == tuple(range(len(layout.headers)))
        number = 0
        with self.path.open(encoding=self.encoding, newline="") as f:
            # strict: a quote left open is an error at the end of the file, not one cell
            # swallowing every row after it
            reader = csv.reader(f, delimiter=self.delimiter, quotechar='"', strict=True)
            more = True
            while more:
                records: list[list[str]] = []
                error: csv.Error | None = None
                try:  # extend keeps the records read before an error
                    records.extend(islice(reader, size))
                except csv.Error as exc:
                    error = exc
                more = error is None and len(records) == size
                if number < layout.row:  # the header row and any above it
                    skip = min(len(records), layout.row - number)
                    number += skip
                    del records[:skip]
                first = number + 1
                number += len(records)
                if records and plain and self._usual(records):
                    yield RowBlock(list(range(first, number + 1)), list(records))
                elif records:
                    yield from self._checked(records, first)
                if error is not None:
                    if "field limit" in str(error):
                        self._raise_too_long(number + 1)
                    raise self._unreadable(number + 1, error) from error

    def _usual(self, records: list[list[str]]) -> bool:
        """Whether every record is a usual row (see `blocks`), told in C."""
        if set(map(len, records)) != {len(self.layout.headers)}:
            return False
        texts = list(map("".join, records))
        return (
            max(map(len, texts)) <= MAX_CELL_CHARS
            and all(map(str.strip, texts))
            and "'" not in "".join(texts)  # csv_safe's escape, or an apostrophe: row by row
        )

    def _checked(self, records: list[list[str]], first: int) -> Iterator[RowBlock]:
        """A block of records read row by row: a blank row left out, a row escaped by
        csv_safe unescaped, each checked by the layout (`make_row`). On a bad row, the
        rows before it come first, as they would one by one, then the error."""
        where = str(self.path)
        layout = self.layout
        width = layout.width
        numbers: list[int] = []
        rows: list[Sequence[CellValue]] = []
        try:
            for number, cells in enumerate(records, start=first):
                if len(cells) > width:
                    raise self._too_many(number, len(cells))
                if any(c[:1] == "'" for c in cells):  # csv_safe's escape
                    cells = [csv_unescape(c) for c in cells]
                row = layout.make_row(number, cells, where)
                if row is not None:
                    numbers.append(number)
                    rows.append(list(row.values.values()))
        except SheetError:
            if rows:
                yield RowBlock(numbers, rows)
            raise
        if rows:
            yield RowBlock(numbers, rows)

    def _raise_too_long(self, row: int) -> None:
        """A cell past the csv module's limit (131,072 characters) on `row`: read that row
        again with the limit lifted, so the error names its column (`make_row`'s)."""
        limit = csv.field_size_limit()
        csv.field_size_limit(1 << 30)  # this one read only: the limit is process-wide
        try:
            with self.path.open(encoding=self.encoding, newline="") as f:
                reader = csv.reader(f, delimiter=self.delimiter, quotechar='"', strict=True)
                for number, cells in enumerate(reader, start=1):
                    if number == row:
                        self.layout.make_row(row, cells[: self.layout.width], str(self.path))
                        return
        except csv.Error:
            return
        finally:
            csv.field_size_limit(limit)

    def _unreadable(self, row: int, exc: csv.Error) -> SheetError:
        if "field limit" in str(exc):  # the csv module stops at 131,072 characters a cell
            return SheetError(
                f"{self.path}: row {row} holds a cell of more than "
                f"{csv.field_size_limit():,} characters, more than a cell can (Excel's "
                f"limit: {MAX_CELL_CHARS:,}).",
                hint=f"Shorten the long value on row {row}, or split it across columns.",
            )
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            return SheetError(
                f'{self.path}: row {row} opens a quote (") that is never closed, so the rest '
                f"of the file would be one cell.",
                hint=f"Close or remove the quote on row {row}; a quote inside a value is "
                f'written twice ("").',
            )
        return SheetError(
            f"{self.path}: row {row} cannot be read as CSV ({exc}).",
            hint="Open it in Excel and save it again as 'CSV UTF-8 (Comma delimited)'.",
        )

    def _too_many(self, row: int, saw: int) -> SheetError:
        expected = self.layout.width
        letter = column_letter(self.layout.col_offset + expected)
        return SheetError(
            f"{self.path}: row {row} has {saw} cells but the header row has {expected} "
            f"(column {letter} has no header).",
            hint=(
                "Add a header for the extra column, or remove the stray "
                f"{_delimiter_name(self.delimiter)} (or quote the value that contains one)."
            ),
        )


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
