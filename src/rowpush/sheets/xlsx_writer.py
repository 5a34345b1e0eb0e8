"""The XLSX half of `rowpush.sheets.writer` (openpyxl, write-only mode).

Kept apart so that importing the writer does not load openpyxl. Each data sheet has an
autofilter on its header row; each column with a kind (`ColumnSpec.kind`) has that
kind's number format on its data cells and as the column's style, so that a cell
typed later in Excel gets it too (text keeps its leading zeros, see `formats`).
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from rowpush.model import column_letter
from rowpush.sheets.cells import (
    EXACT_INT_LIMIT,
    fit_widths,
    needs_text_cell,
    page_title,
    text_of,
    xlsx_safe_text,
)
from rowpush.sheets.formats import ColumnKind, autofilter_ref, cell_value, number_format
from rowpush.sheets.table import META_SHEET, ColumnSpec

__all__ = ["LISTS_SHEET", "write_xlsx"]

#: Hidden sheet holding dropdown choices too long (or too odd) for an inline list.
LISTS_SHEET = "_rowpush_lists"
# Excel limits an inline list ("a,b,c") to 255 characters.
_INLINE_LIST_LIMIT = 255
_BOLD = Font(bold=True)

CellInput = Cell | str | int | float | Decimal | bool | date | time | timedelta | None


def write_xlsx(
    path: Path,
    specs: Sequence[ColumnSpec],
    rows: Iterable[Sequence[object]],
    *,
    sheet_title: str,
    meta: Mapping[str, str],
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
    max_rows: int,
    sample_rows: int,
    widths: tuple[int, int],
) -> int:
    """Write the workbook described in `rowpush.sheets.writer`; return data rows written."""
    book = Workbook(write_only=True)
    try:
        written = _fill(
            book, specs, rows, sheet_title, meta, extra_sheets, max_rows, sample_rows, widths
        )
        book.save(path)
    except BaseException:
        # Only saving closes write-only sheets and removes openpyxl's temporary files.
        with contextlib.suppress(Exception):
            book.save(io.BytesIO())
        raise
    return written


def _fill(
    book: Workbook,
    specs: Sequence[ColumnSpec],
    rows: Iterable[Sequence[object]],
    sheet_title: str,
    meta: Mapping[str, str],
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
    max_rows: int,
    sample_rows: int,
    widths: tuple[int, int],
) -> int:
    it = iter(rows)
    sample = list(islice(it, sample_rows))
    fitted = fit_widths([s.header for s in specs], sample, widths, header=True)
    lists = [list(s.choices) for s in specs if s.choices]
    formulas = _list_formulas(specs)

    kinds = [s.kind for s in specs]
    written = 0
    page = 1
    sheet = _data_sheet(book, sheet_title, page, specs, fitted, formulas, max_rows)
    styles = _column_styles(sheet, kinds)
    used = 1
    for row in chain(sample, it):
        if used >= max_rows:
            _filter(sheet, autofilter_ref(len(specs), used))
            page += 1
            sheet = _data_sheet(book, sheet_title, page, specs, fitted, formulas, max_rows)
            used = 1
        sheet.append([_typed_cell(sheet, v, kinds, styles, i) for i, v in enumerate(row)])
        used += 1
        written += 1
    _filter(sheet, autofilter_ref(len(specs), used))

    for title, extra_rows in extra_sheets:
        _plain_sheet(book, title, extra_rows, widths)
    if any(f and not f.startswith('"') for f in formulas):
        _lists_sheet(book, lists)
    if meta:
        meta_sheet = book.create_sheet(META_SHEET)
        meta_sheet.sheet_state = "hidden"
        for key, value in meta.items():
            meta_sheet.append([_text_cell(meta_sheet, key), _text_cell(meta_sheet, value)])
    return written


def _data_sheet(
    book: Workbook,
    title: str,
    page: int,
    specs: Sequence[ColumnSpec],
    fitted: Sequence[float],
    formulas: Sequence[str],
    max_rows: int,
) -> WriteOnlyWorksheet:
    """A new data sheet with its header row, frozen, fitted, with notes and dropdowns."""
    sheet: WriteOnlyWorksheet = book.create_sheet(page_title(title, page))
    sheet.freeze_panes = "A2"
    _set_widths(sheet, fitted, [s.kind for s in specs])
    header: list[Cell] = []
    for index, spec in enumerate(specs):
        cell = _text_cell(sheet, spec.header)
        cell.font = _BOLD
        note = spec.note()
        if note:
            cell.comment = _comment(note)
        header.append(cell)
        if formulas[index]:
            letter = column_letter(index)
            check = DataValidation(
                type="list",
                formula1=formulas[index],
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle=xlsx_safe_text(spec.header)[:32],
                error="This value is not in the list. Keep it anyway?",
            )
            check.add(f"{letter}2:{letter}{max_rows}")
            # Set at runtime by WriteOnlyWorksheet, missing from its type stubs.
            sheet.data_validations.append(check)  # type: ignore[attr-defined]
    sheet.append(header)
    return sheet


def _comment(note: str) -> Comment:
    lines = note.splitlines()
    longest = max(len(line) for line in lines)
    comment = Comment(xlsx_safe_text(note), "rowpush")
    # Size in points: roughly 6pt a character, 15pt a line, wrapping beyond 50 characters.
    wrapped = sum(max(1, math.ceil(len(line) / 50)) for line in lines)
    comment.width = int(min(max(longest, 20), 50) * 6 + 20)
    comment.height = int(wrapped * 15 + 20)
    return comment


def _list_formulas(specs: Sequence[ColumnSpec]) -> list[str]:
    """Each column's dropdown source: an inline list, a range on the lists sheet, or ""."""
    formulas: list[str] = []
    list_column = 0
    for spec in specs:
        choices = [xlsx_safe_text(str(c)) for c in spec.choices or ()]
        if not choices:
            formulas.append("")
            continue
        inline = '"' + ",".join(choices) + '"'
        if len(inline) <= _INLINE_LIST_LIMIT and not any(
            "," in c or '"' in c or needs_text_cell(c) for c in choices
        ):
            formulas.append(inline)
        else:
            letter = column_letter(list_column)
            formulas.append(f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}")
        list_column += 1
    return formulas


def _lists_sheet(book: Workbook, lists: Sequence[Sequence[str]]) -> None:
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    depth = max(len(values) for values in lists)
    for i in range(depth):
        sheet.append(
            [_text_cell(sheet, str(values[i])) if i < len(values) else None for values in lists]
        )


def _plain_sheet(
    book: Workbook,
    title: str,
    rows: Sequence[Sequence[object]],
    widths: tuple[int, int],
) -> None:
    sheet = book.create_sheet(title)
    width = max((len(r) for r in rows), default=0)
    fitted = fit_widths(["" for _ in range(width)], rows[:200], widths, header=False)
    _set_widths(sheet, fitted, ())
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])


def _set_widths(
    sheet: WriteOnlyWorksheet, widths: Sequence[float], kinds: Sequence[ColumnKind]
) -> None:
    """Column widths, and each kind's number format as its column's style."""
    # Must happen before the first append: write-only mode writes <cols> then.
    # column_dimensions is set at runtime by WriteOnlyWorksheet, missing from its stubs.
    dims = sheet.column_dimensions  # type: ignore[attr-defined]
    for index, width in enumerate(widths):
        dim = dims[column_letter(index)]
        dim.width = width
        fmt = number_format(kinds[index]) if index < len(kinds) else None
        if fmt:
            dim.number_format = fmt


def _column_styles(
    sheet: WriteOnlyWorksheet, kinds: Sequence[ColumnKind]
) -> list[StyleArray | None]:
    """One style per column with a number format, shared by all its cells (one lookup)."""
    styles: list[StyleArray | None] = []
    for kind in kinds:
        fmt = number_format(kind)
        if fmt is None:
            styles.append(None)
            continue
        probe = WriteOnlyCell(sheet)
        probe.number_format = fmt
        styles.append(probe._style)  # type: ignore[attr-defined]  # missing from the stubs
    return styles


def _filter(sheet: WriteOnlyWorksheet, ref: str) -> None:
    """The autofilter of a data sheet; write-only mode writes it when the sheet closes."""
    # auto_filter is set at runtime by WriteOnlyWorksheet, missing from its type stubs.
    sheet.auto_filter.ref = ref  # type: ignore[attr-defined]


def _typed_cell(
    sheet: WriteOnlyWorksheet,
    value: object,
    kinds: Sequence[ColumnKind],
    styles: Sequence[StyleArray | None],
    index: int,
) -> CellInput:
    """One data cell: `value` typed for its column, in its column's number format."""
    style = styles[index]
    if style is None:
        return _cell(sheet, value)
    content = _cell(sheet, cell_value(kinds[index], value))
    if content is None:
        return None
    if isinstance(content, Cell):
        cell = content
    else:
        cell = WriteOnlyCell(sheet)
        cell.value = content
    # A shared StyleArray: write-only cells are serialised at once, never changed after.
    cell._style = style  # type: ignore[attr-defined]  # missing from the stubs
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    """A cell that holds `text` as text, whatever it looks like."""
    text = xlsx_safe_text(str(text))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: object) -> CellInput:
    """What to append for one value (see `write_table` for the accepted types)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = xlsx_safe_text(str(value))
        return _text_cell(sheet, text) if needs_text_cell(text) else text
    if isinstance(value, int):
        return value if abs(value) < EXACT_INT_LIMIT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else text_of(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else text_of(value)
    if isinstance(value, datetime):
        # Excel has no time zones: keep an aware datetime exact, as ISO 8601 text.
        return value if value.tzinfo is None else value.isoformat()
    if isinstance(value, date | time | timedelta):
        return value
    return _cell(sheet, str(value))
