"""Read a CSV file: detect its encoding and delimiter, then stream its rows with pandas.

Every cell stays text (`dtype=str`, no NA guessing), so leading zeros and blanks
survive until the target's model types them.

- Encoding: a BOM says UTF-8 or UTF-16; otherwise the file is UTF-8 if it all
  decodes as UTF-8, else Windows-1252 (what Excel writes for "CSV" on Western
  Windows). Deciding needs one pass over the bytes (fast, constant memory).
- Delimiter: `,`, `;` or tab, whichever occurs most often, outside quotes, in the
  header line (ties go to `,`, then `;`).
- A row with more cells than the header row is a `SheetError` naming the row:
  pandas' fast parser cannot keep reading past it, and ignoring the extra
  cells could drop data silently.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rowpush.errors import SheetError
from rowpush.model import RawRow, column_letter
from rowpush.sheets.reader import HeaderLayout, Sheet, build_layout

__all__ = ["CHUNK_ROWS", "detect_delimiter", "detect_encoding", "open_csv"]

#: Rows pandas parses at a time.
CHUNK_ROWS = 10_000
DELIMITERS = (",", ";", "\t")
_BLOCK = 1 << 20
_TOO_MANY = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def open_csv(path: Path) -> Sheet:
    """Open a CSV file and read its header row (see the module docstring)."""
    encoding = detect_encoding(path)
    delimiter, header_row, header_cells = _read_header(path, encoding)
    layout = build_layout(header_cells, row=header_row, where=str(path))
    source = CsvRows(path, encoding=encoding, delimiter=delimiter, layout=layout)
    return Sheet(path, name=None, layout=layout, target=None, source=source)


def detect_encoding(path: Path) -> str:
    """The codec name to read `path` with: utf-8-sig, utf-16, utf-8 or cp1252."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif _decodes(path, "utf-8"):
        return "utf-8"
    else:
        encoding = "cp1252"
    if not _decodes(path, encoding):
        raise SheetError(
            f"{path}: the text is neither valid UTF-8 nor Windows-1252 (its characters "
            f"cannot be decoded).",
            hint="Open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'.",
        )
    return encoding


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
        first_line = ""
        for line in f:
            if line.strip(' \r\n",;\t'):
                first_line = line
                break
    if not first_line:
        raise SheetError(
            f"{path}: no header row (the file holds only blank lines).",
            hint="Put the column headers in row 1 and one record per row below them.",
        )
    delimiter = detect_delimiter(first_line)
    with path.open(encoding=encoding, newline="") as f:
        for number, record in enumerate(csv.reader(f, delimiter=delimiter), start=1):
            if any(cell.strip() for cell in record):
                return delimiter, number, record
    raise AssertionError("unreachable: a non-blank line was seen")  # pragma: no cover


class CsvRows:
    """The data rows of one CSV file, read in chunks by pandas."""

    def __init__(self, path: Path, *, encoding: str, delimiter: str, layout: HeaderLayout) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.layout = layout

    def rows(self) -> Iterator[RawRow]:
        where = str(self.path)
        layout = self.layout
        number = 0
        try:
            with pd.read_csv(
                self.path,
                sep=self.delimiter,
                header=None,
                names=list(range(layout.width)),
                index_col=False,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                quotechar='"',
                doublequote=True,
                encoding=self.encoding,
                engine="c",
                chunksize=CHUNK_ROWS,
            ) as chunks:
                for chunk in chunks:
                    for cells in chunk.itertuples(index=False, name=None):
                        number += 1
                        if number <= layout.row:
                            continue
                        row = layout.make_row(number, cells, where)
                        if row is not None:
                            yield row
        except pd.errors.ParserError as exc:
            raise self._parser_error(exc) from exc

    def _parser_error(self, exc: pd.errors.ParserError) -> SheetError:
        match = _TOO_MANY.search(str(exc))
        if match is None:
            return SheetError(
                f"{self.path}: cannot be read as CSV ({str(exc).strip()}).",
                hint="Open it in Excel and save it again as 'CSV UTF-8 (Comma delimited)'.",
            )
        expected, line, saw = match.groups()
        letter = column_letter(self.layout.col_offset + int(expected))
        return SheetError(
            f"{self.path}: row {line} has {saw} cells but the header row has {expected} "
            f"(column {letter} has no header).",
            hint=(
                "Add a header for the extra column, or remove the stray "
                f"{_delimiter_name(self.delimiter)} (or quote the value that contains one)."
            ),
        )


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
