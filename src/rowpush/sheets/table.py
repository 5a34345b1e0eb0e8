"""The nouns the sheet readers and writers share: what a table is and how its header reads.

- `Sheet`: one table read from a file (headers, target, data rows on demand);
- `HeaderLayout` / `build_layout`: a checked header row, and the `RawRow` each data
  row becomes;
- `ColumnSpec`: one column of a table to write;
- the file suffixes read, and the name of the hidden `_rowpush` sheet.

Light on purpose (no third-party library), like `cells`: every reader and writer
imports it, and it imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Protocol, cast

from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, column_letter
from rowpush.sheets.cells import MAX_CELL_CHARS
from rowpush.sheets.formats import ColumnKind

__all__ = [
    "CSV_SUFFIXES",
    "META_SHEET",
    "XLSX_SUFFIXES",
    "ColumnSpec",
    "HeaderLayout",
    "RowBlock",
    "RowSource",
    "Sheet",
    "build_layout",
    "normalize_header",
    "text_preview",
]

CSV_SUFFIXES = (".csv", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
#: Name of the hidden sheet holding rowpush's key/value metadata (see `rowpush.sheets.meta`).
META_SHEET = "_rowpush"


class RowSource(Protocol):
    """What a format module hands to `Sheet`: a way to read the data rows again. A source
    may also read them a block at a time (`blocks(size)`, see `Sheet.blocks`)."""

    def rows(self) -> Iterator[RawRow]: ...


@dataclass(slots=True)
class RowBlock:
    """Data rows a block at a time, with no object per row: each row's number, and its
    cells in header order (`Sheet.headers`), as `RawRow.values` holds them."""

    numbers: list[int]
    cells: list[Sequence[CellValue]]

    def raw(self, i: int, headers: Sequence[str]) -> RawRow:
        """Row `i` of the block as a `RawRow`."""
        return RawRow(self.numbers[i], dict(zip(headers, self.cells[i], strict=True)))


class Sheet:
    """One table read from a file: its headers, and its data rows on demand.

    `rows()` streams the data rows from the start each time it is called; it may
    raise `SheetError` part-way through (a value under no header, a CSV row with
    more cells than the header).
    """

    def __init__(
        self,
        path: Path,
        *,
        name: str | None,
        layout: HeaderLayout,
        target: str | None,
        source: RowSource,
        rows_hint: int | None = None,
    ) -> None:
        self.path = path
        self.name = name
        """The XLSX sheet read; None for CSV."""
        self.headers = list(layout.headers)
        """Header cells as written, trimmed, in column order (blank ones left out)."""
        self.target = target
        """Target name recorded in the hidden `_rowpush` sheet, if any."""
        self.letters = dict(zip(layout.headers, layout.letters, strict=True))
        """Header → column letter ("C"), for messages that point at a column."""
        self.header_row = layout.row
        """Row number of the header row (1 unless blank rows precede it)."""
        self.rows_hint = rows_hint
        """About how many data rows follow the header (for progress), if the reader knows."""
        self._source = source

    def rows(self) -> Iterator[RawRow]:
        """The data rows, streamed from the start of the file."""
        return self._source.rows()

    def blocks(self, size: int) -> Iterator[RowBlock]:
        """The data rows `size` at a time (the last block may be smaller), from the start
        of the file: what `rows` gives, without a `RawRow` per row where the reader can
        spare it (a million-row CSV)."""
        own = getattr(self._source, "blocks", None)
        if own is not None:
            blocks: Iterator[RowBlock] = own(size)
            return blocks
        return _blocks_of(self._source.rows(), self.headers, size)

    def __repr__(self) -> str:
        where = f"{self.path}" if self.name is None else f"{self.path} [{self.name}]"
        return f"<Sheet {where}: {len(self.headers)} columns>"


def _blocks_of(rows: Iterator[RawRow], headers: list[str], size: int) -> Iterator[RowBlock]:
    while chunk := list(islice(rows, size)):
        cells: list[Sequence[CellValue]] = [[r.values.get(h, "") for h in headers] for r in chunk]
        yield RowBlock([r.row for r in chunk], cells)


def normalize_header(text: str) -> str:
    """A header as compared when matching: trimmed, inner whitespace collapsed, casefolded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Where the named columns are: the header row and each header's cell index."""

    row: int
    """1-based row number of the header row."""
    headers: tuple[str, ...]
    positions: tuple[int, ...]
    """Index of each header's cell within a row as the format module reads it."""
    letters: tuple[str, ...]
    width: int
    """Number of cells the header row spans (named or not)."""
    col_offset: int = 0
    """Column index (0-based) of a row's first cell: cell i is in column col_offset + i."""

    def make_row(self, row: int, cells: Sequence[CellValue], where: str) -> RawRow | None:
        """The `RawRow` for one data row's cells, or None when the row is blank.

        Raises `SheetError` for a value in a column that has no header, or a cell
        longer than Excel's `MAX_CELL_CHARS`.
        """
        # Hot path: runs once per row. Named columns are contiguous (build_layout
        # refuses a gap), so cells outside [first, end) are the headerless ones.
        for cell in cells:
            if not isinstance(cell, str) or cell.strip():
                break
        else:
            return None
        first, end = self.positions[0], self.positions[-1] + 1
        for i in chain(range(min(first, len(cells))), range(end, len(cells))):
            cell = cells[i]
            if not isinstance(cell, str) or cell.strip():
                letter = column_letter(self.col_offset + i)
                raise SheetError(
                    f"{where}: row {row}, column {letter} holds {text_preview(cell)} "
                    f"but that column has no header.",
                    hint=f"Add a header in {letter}{self.row}, or clear the column.",
                )
        named = list(cells[first:end])
        try:
            # C speed for the usual all-text row
            longest = max(map(len, cast("list[str]", named)), default=0)
        except TypeError:  # a date cell (XLSX)
            longest = max((len(c) for c in named if isinstance(c, str)), default=0)
        if longest > MAX_CELL_CHARS:
            raise self._too_long(row, named, where)
        if len(named) < len(self.headers):
            named.extend([""] * (len(self.headers) - len(named)))
        return RawRow(row=row, values=dict(zip(self.headers, named, strict=True)))

    def _too_long(self, row: int, named: Sequence[CellValue], where: str) -> SheetError:
        sizes = [len(c) if isinstance(c, str) else 0 for c in named]
        i = next(i for i, size in enumerate(sizes) if size > MAX_CELL_CHARS)
        size = sizes[i]
        letter, header = self.letters[i], self.headers[i]
        return SheetError(
            f"{where}: row {row}, column {letter} ({text_preview(header)}) holds {size:,} "
            f"characters, more than a cell can (Excel's limit: {MAX_CELL_CHARS:,}), so it "
            f"would be cut short in Excel and in the results workbook.",
            hint=f"Shorten the value in {letter}{row}, or split it across columns.",
        )


def build_layout(
    cells: Sequence[str], *, row: int, where: str, col_offset: int = 0
) -> HeaderLayout:
    """Check a header row and describe it.

    `cells` are the header row's cells as text; `col_offset` is the column index
    of `cells[0]` (an XLSX table may start right of column A).
    """
    trimmed = [c.strip().lstrip("\ufeff").strip() for c in cells]
    named = [i for i, c in enumerate(trimmed) if c]
    for i in named:
        if len(trimmed[i]) > MAX_CELL_CHARS:
            letter = column_letter(col_offset + i)
            raise SheetError(
                f"{where}: the header of column {letter} ({text_preview(trimmed[i])}) holds "
                f"{len(trimmed[i]):,} characters, more than a cell can (Excel's limit: "
                f"{MAX_CELL_CHARS:,}).",
                hint=f"Type a short header in {letter}{row}; is row {row} really the header row?",
            )
    if not named:
        raise SheetError(
            f"{where}: no header row (every cell of row {row} is blank).",
            hint="Put the column headers in row 1.",
        )
    first, last = named[0], named[-1]
    for i in range(first, last + 1):
        if not trimmed[i]:
            letter = column_letter(col_offset + i)
            raise SheetError(
                f"{where}: column {letter} has no header (cell {letter}{row} is blank) "
                f"but columns on both sides do.",
                hint=f"Type a header in {letter}{row}, or delete column {letter}.",
            )
    seen: dict[str, int] = {}
    for i in named:
        key = normalize_header(trimmed[i])
        if key in seen:
            j = seen[key]
            a, b = column_letter(col_offset + j), column_letter(col_offset + i)
            raise SheetError(
                f"{where}: columns {a} ({text_preview(trimmed[j])}) and {b} "
                f"({text_preview(trimmed[i])}) have the same header.",
                hint="Rename or delete one of them: each header must be unique.",
            )
        seen[key] = i
    return HeaderLayout(
        row=row,
        headers=tuple(trimmed[i] for i in named),
        positions=tuple(named),
        letters=tuple(column_letter(col_offset + i) for i in named),
        width=len(cells),
        col_offset=col_offset,
    )


def text_preview(value: CellValue, limit: int = 40) -> str:
    """A short quoted rendering of a cell value for a message."""
    text = value if isinstance(value, str) else value.isoformat()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a written table and what its header cell tells the user."""

    header: str
    description: str = ""
    """Becomes the header cell's note."""
    choices: Sequence[str] | None = None
    """Allowed values: a dropdown on the column's data cells (XLSX)."""
    example: str | None = None
    """Appended to the note as "Example: …"."""
    required: bool = False
    """The note starts with "Required"."""
    kind: ColumnKind = ColumnKind.GENERAL
    """What the column holds: its cells' number format and type (`rowpush.sheets.formats`)."""

    def note(self) -> str:
        """The text of the header cell's note ("" when there is nothing to say)."""
        lines: list[str] = []
        if self.required:
            lines.append("Required")
        if self.description:
            lines.append(self.description)
        if self.example:
            lines.append(f"Example: {self.example}")
        return "\n".join(lines)
