"""A streaming XLSX writer for plain tables: the results workbook of a million rows.

openpyxl builds a Python cell object per value (about 20 µs a cell); a results
workbook of a million rows would take minutes. This writer turns each row into its
XML text directly and deflates the sheet as it goes, so time is a few µs a row and
memory stays flat. It writes what a plain table needs and nothing more: a bold,
frozen header row with an autofilter, fitted column widths, real number, boolean
and date cells, text that never becomes a formula (cells are typed; no `<f>` is
ever written), further pages past Excel's row limit, extra plain sheets and the
hidden `_rowpush` meta sheet. Notes and dropdowns (templates, exports) stay with
openpyxl in `xlsx_writer`.

Repeated strings (a status, a message) go to the shared-string table, up to a bound,
so the file stays small; the rest are inline strings.

Speed: a cell's XML is made with a placeholder (`_ROW`) for its row number, so a repeated
value's XML is made once per column and reused (a dict look-up per cell, in C); a row is
its cells joined, the placeholder replaced by the row's number. Cells keep their `r=`
attribute: rowpush's own reader takes its fast path on such rows only.

Rows given as `CellBlocks` (cell_blocks.py) are written a block at a time, column by
column, with no Python step per row: a column's cells are looked up in one map (a typed
column by its text as read, so a repeated "17" is typed and made once), a value the
block's rows share is made once, and the new values of a column are made together
(numbers, inline text) where that is exact. A block that would add a string to the
shared table goes row by row instead, so strings are numbered in the order rows give
them: the sheet's XML is the same either way.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, compress, islice, repeat, zip_longest
from operator import is_
from pathlib import Path
from typing import IO, cast

from rowpush.model import column_letter
from rowpush.sheets.cell_blocks import (
    CellBlock,
    CellBlocks,
    Same,
    TypedCache,
    Typer,
    block_rows,
)
from rowpush.sheets.cells import (
    EXACT_INT_LIMIT,
    TITLE_LIMIT,
    fit_widths,
    page_title,
    text_of,
    xlsx_safe_text,
)
from rowpush.sheets.formats import ColumnKind
from rowpush.sheets.table import META_SHEET

__all__ = ["write_plain_xlsx"]

#: Distinct strings kept in the shared-string table; later new strings go inline.
SHARED_LIMIT = 50_000
_SHARED_MAX_LEN = 255
#: Rows turned into XML text before one write to the deflater.
_FLUSH_ROWS = 1024
#: Distinct values whose cell XML one column keeps, to reuse for the next such value.
_COLUMN_CACHE = 4096
_BLANK: dict[object, str] = {"": "", None: ""}  # no cell at all
#: Stands for the row number in a cell's XML until the row is written: a control
#: character, which no written text holds (`xlsx_safe_text` replaces them).
_ROW = "\0"
_ROW_OPEN = f'<row r="{_ROW}">'
#: How a reference to the shared table reads in the sheet's XML, to count them: text
#: cannot hold it (its `<` is escaped).
_SHARED_USE = ' t="s"><v>'
_EPOCH = datetime(1899, 12, 30)
_FIRST_SAFE_DAY = datetime(1900, 3, 1)  # before it, Excel's 1900 leap-year bug shifts days

# Cell styles (cellXfs indices in styles.xml below).
_BOLD, _DATETIME, _DATE, _TIME, _DURATION, _TEXT, _INTEGER = 1, 2, 3, 4, 5, 6, 7
#: A column's style by its kind (sheets/formats.py): text stays text when retyped in
#: Excel (leading zeros), an id shows as a whole number.
_KIND_STYLE = {ColumnKind.TEXT: _TEXT, ColumnKind.INTEGER: _INTEGER}

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_STYLES = (
    _HEAD + f"<styleSheet {_NS}>"
    '<numFmts count="3">'
    '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="166" formatCode="[h]:mm:ss"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:  # seldom: the check is cheaper
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class _Strings:
    """The shared-string table: repeated strings cost an index, not their text."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.uses = 0
        """References to the table: counted in the XML as it is made (`_SHARED_USE`)."""

    def cell(self, ref: str, value: str, share: bool = True, style: str = "") -> str:
        text = xlsx_safe_text(value) if value.isprintable() is False else value
        found = self.index.get(text)
        if (
            found is None
            and share
            and len(self.index) < SHARED_LIMIT
            and len(text) <= _SHARED_MAX_LEN
        ):
            found = self.index[text] = len(self.index)
        if found is not None:
            return f'<c r="{ref}"{style} t="s"><v>{found}</v></c>'
        if len(text) > _SHARED_MAX_LEN:
            text = xlsx_safe_text(text)  # the length cap
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'

    def xml(self) -> str:
        items = []
        for text in self.index:
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            items.append(f"<si><t{space}>{_escape(text)}</t></si>")
        return (
            f'{_HEAD}<sst {_NS} count="{self.uses}" uniqueCount="{len(self.index)}">'
            f"{''.join(items)}</sst>"
        )


def _serial(moment: datetime) -> float:
    return (moment - _EPOCH) / timedelta(days=1)


def _cell(ref: str, value: object, strings: _Strings, share: bool = True, style: str = "") -> str:
    """One cell's XML ("" for a blank); `share`: a string may join the shared table;
    `style`: the column's style attribute (a date cell has its own)."""
    kind = type(value)
    if kind is str:
        return strings.cell(ref, value, share, style) if value else ""  # type: ignore[arg-type]
    if value is None:
        return ""
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'  # type: ignore[call-overload]
    if kind is int:
        if abs(value) < EXACT_INT_LIMIT:  # type: ignore[arg-type]
            return f'<c r="{ref}"{style}><v>{value}</v></c>'
        return strings.cell(ref, str(value))  # Excel keeps 15 digits: a long id stays text
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
        return strings.cell(ref, text_of(value))
    if isinstance(value, Decimal):
        if value.is_finite():
            return f'<c r="{ref}"><v>{format(value, "f")}</v></c>'
        return strings.cell(ref, text_of(value))
    if isinstance(value, datetime):
        # Excel has no time zones: an aware datetime stays exact, as ISO 8601 text
        if value.tzinfo is not None or value < _FIRST_SAFE_DAY:
            return strings.cell(ref, value.isoformat())
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)!r}</v></c>'
    if isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
        if moment < _FIRST_SAFE_DAY:
            return strings.cell(ref, value.isoformat())
        return f'<c r="{ref}" s="{_DATE}"><v>{int(_serial(moment))}</v></c>'
    if isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return f'<c r="{ref}" s="{_TIME}"><v>{seconds / 86400!r}</v></c>'
    if isinstance(value, timedelta):
        return f'<c r="{ref}" s="{_DURATION}"><v>{value / timedelta(days=1)!r}</v></c>'
    return strings.cell(ref, str(value))


class _Column(dict[object, str]):
    """One column's cells so far: a value → its cell's XML, with `_ROW` for the row.

    Kept: a blank, a shared string and a moment without a zone, whose equals (a dict's
    key) are written alike. Not a number (True == 1 == 1.0, 0.0 == -0.0: a number
    cell is quick to make anyway), a zoned moment (one instant in two zones is equal
    but written apart) nor text written inline (a uid: it would not repeat). Past
    `_COLUMN_CACHE` values it starts afresh.
    """

    __slots__ = ("inline", "number", "ref", "share", "strings", "style")

    def __init__(self, strings: _Strings, ref: str, share: bool, style: str) -> None:
        super().__init__(_BLANK)
        self.strings = strings
        self.ref = ref
        """The column's letter, then `_ROW`."""
        self.share = share
        self.style = style
        self.number = f'<c r="{ref}"{style}><v>'
        """The opening of the column's number cells."""
        self.inline = f'<c r="{ref}"{style} t="inlineStr"><is><t>'
        """The opening of the column's inline text cells (`_Strings.cell`'s)."""

    def cell(self, value: object) -> str:
        """The XML of a cell holding `value`, whatever it is (a list: its text)."""
        try:
            return self[value]
        except TypeError:  # unhashable: no key, but a cell all the same
            return self.__missing__(value)

    def __missing__(self, value: object) -> str:
        kind = type(value)
        if kind is int and -EXACT_INT_LIMIT < value < EXACT_INT_LIMIT:  # type: ignore[operator]
            return self.number + str(value) + "</v></c>"  # a row number, a count
        if kind is str:
            xml = self.strings.cell(self.ref, cast("str", value), self.share, self.style)
            keep = _SHARED_USE in xml
        else:
            xml = _cell(self.ref, value, self.strings, self.share, self.style)
            keep = kind is datetime and cast("datetime", value).tzinfo is None
        if keep:
            if len(self) >= _COLUMN_CACHE:  # start afresh: a sheet's values drift (time)
                self.clear()
                self.update(_BLANK)
            self[value] = xml
        return xml


#: Types whose cell never holds a string (whatever their value).
_NO_STRING = frozenset({type(None), bool, time, timedelta})


def _shared_text(value: object, *, share: bool) -> str:
    """The text `_cell` would look up in (or add to) the shared table for `value` in a
    column that shares (`share`) or not; "" when its cell holds no shared text."""
    kind = type(value)
    if kind is str:
        return cast("str", value) if share else ""
    if kind in _NO_STRING:
        return ""
    if kind is int:
        number = cast("int", value)
        return "" if -EXACT_INT_LIMIT < number < EXACT_INT_LIMIT else str(number)
    if kind is float:
        return "" if math.isfinite(cast("float", value)) else text_of(value)
    if isinstance(value, Decimal):
        return "" if value.is_finite() else text_of(value)
    if isinstance(value, datetime):
        safe = value.tzinfo is None and value >= _FIRST_SAFE_DAY
        return "" if safe else value.isoformat()
    if isinstance(value, date):
        early = datetime(value.year, value.month, value.day) < _FIRST_SAFE_DAY
        return value.isoformat() if early else ""
    return str(value)  # anything else: its text, shared


class _Typed(dict[object, str]):
    """A typed column of `CellBlocks` (its values as read): a value → its cell's XML,
    typed (`typed`) and made once. Kept: text whose cell reads the same whatever comes
    later (not inline text: a later row may share it), up to `_COLUMN_CACHE` values."""

    __slots__ = ("typed",)

    def __init__(self, typer: Typer) -> None:
        super().__init__()
        self.typed = TypedCache(typer)

    def keep(self, values: Sequence[object], xmls: Sequence[str]) -> None:
        """Remember the cells made for `values` (text as read only: "1" is not 1)."""
        for value, xml in zip(values, xmls, strict=True):
            if type(value) is str and ' t="inlineStr"' not in xml:
                if len(self) >= _COLUMN_CACHE:  # start afresh: a sheet's values drift
                    self.clear()
                self[value] = xml


class _SharedUses(dict[str, int]):
    """A cell's XML → the references to the shared table it makes (0 or 1), to count a
    block's without reading its text again; up to `_COLUMN_CACHE` * 16 cells."""

    __slots__ = ()

    def __missing__(self, xml: str) -> int:
        found = xml.count(_SHARED_USE)
        if len(self) >= _COLUMN_CACHE * 16:  # start afresh: a sheet's values drift
            self.clear()
        self[xml] = found
        return found


class _SheetWriter:
    """One worksheet part, written to the zip as rows come."""

    def __init__(
        self,
        out: IO[bytes],
        headers: Sequence[str],
        widths: Sequence[float],
        strings: _Strings,
        *,
        frozen: bool,
        bold_header: bool,
        shared: Sequence[bool] = (),
        styles: Sequence[int | None] = (),
    ) -> None:
        self.out = out
        self.letters = [column_letter(i) for i in range(max(len(headers), len(widths)))]
        width = len(self.letters)
        # one of each per column, however many were given
        self.shared = [*shared, *[True] * width][:width]
        self.styles = [*(f' s="{s}"' if s else "" for s in styles), *[""] * width][:width]
        self.refs = [letter + _ROW for letter in self.letters]
        # Per column: a value → its cell's XML (a blank is no cell); see `_Column`
        self.known = [
            _Column(strings, ref, share, style)
            for ref, share, style in zip(self.refs, self.shared, self.styles, strict=True)
        ]
        self.strings = strings
        self.rows = 0
        self.frozen = frozen
        parts = [_HEAD, f"<worksheet {_NS} {_REL_NS}>"]
        if frozen:
            parts.append(
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            )
        if any(widths):
            parts.append("<cols>")
            parts.extend(
                f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"{style}/>'
                for i, (w, s) in enumerate(zip_longest(widths, styles or ()))
                if w
                for style in [f' style="{s}"' if s else ""]
            )
            parts.append("</cols>")
        parts.append("<sheetData>")
        out.write("".join(parts).encode())
        self.buffer: list[str] = []
        self.buffered = 0
        """Rows in `buffer`."""
        self.uses_of = _SharedUses()
        if headers:
            style = f' s="{_BOLD}"' if bold_header else ""
            cells = "".join(
                strings.cell(f"{letter}1", h).replace("<c ", f"<c{style} ", 1)
                for letter, h in zip(self.letters, headers, strict=True)
                if h
            )
            strings.uses += cells.count(_SHARED_USE)
            self.buffer.append(f'<row r="1">{cells}</row>')
            self.rows = 1

    def append(self, row: Sequence[object]) -> None:
        self.rows += 1
        try:  # a dict look-up per cell, in C; a value new to its column: `_Column`
            cells = list(map(_Column.__getitem__, self.known, row))
        except TypeError:  # an unhashable value (written as its text)
            cells = [column.cell(value) for column, value in zip(self.known, row, strict=False)]
        cells.append("</row>")
        xml = _ROW_OPEN + "".join(cells)
        self.strings.uses += xml.count(_SHARED_USE)
        self.buffer.append(xml.replace(_ROW, str(self.rows)))
        self.buffered += 1
        if self.buffered >= _FLUSH_ROWS:
            self.flush()

    def append_block(self, block: CellBlock, typed: Sequence[_Typed | None]) -> None:
        """Write a block's rows (see the module's docstring); `typed`: each column's typer
        with its caches (None: values written as they are)."""
        size = block.size
        if not size:
            return
        made = self._block_cells(block, typed)
        if made is None:  # a new shared string: row by row, in the rows' order
            caches = [None if t is None else t.typed for t in typed]
            for row in block_rows(block, caches):
                self.append(row)
            return
        parts, uses = made
        self.strings.uses += uses
        first = self.rows + 1
        self.rows += size
        cells = (repeat(p, size) if type(p) is str else p for p in parts)
        rows = map("".join, zip(*cells, strict=True))
        numbers = map(str, range(first, first + size))
        self.buffer.append("".join(map(str.replace, rows, repeat(_ROW), numbers)))
        self.buffered += size
        if self.buffered >= _FLUSH_ROWS:
            self.flush()

    def _block_cells(
        self, block: CellBlock, typed: Sequence[_Typed | None]
    ) -> tuple[list[str | list[str]], int] | None:
        """Per column, its cells' XML (one text: every row's), between the rows' opening
        and closing, and the references to the shared table they make; None when a cell
        would add a string to the table."""
        parts: list[str | list[str]] = [_ROW_OPEN]
        uses = 0
        for column, known, typing in zip(block.columns, self.known, typed, strict=False):
            if isinstance(column, Same):
                value = column.value if typing is None else typing.typed.typed(column.value)
                if self._adds(known, value):
                    return None
                xml = known.cell(value)  # once for the block
                uses += xml.count(_SHARED_USE) * block.size
                _put(parts, xml)
                continue
            lookup = known if typing is None else typing
            try:
                cells: list[str | None] = list(map(lookup.get, column))
            except TypeError:  # an unhashable value: row by row
                return None
            if typing is None and cells.count(None) == len(cells):
                # all new (row numbers, ids): each cell's text between one opening and
                # closing, joined with the row's other cells
                span = self._span(known, list(column))
                if span is not None:
                    _put(parts, span[0])
                    parts.append(span[1])
                    _put(parts, span[2])
                    continue
            if None in cells and not self._fill(known, typing, column, cells):
                return None
            uses += sum(map(self.uses_of.__getitem__, cast("list[str]", cells)))
            parts.append(cast("list[str]", cells))
        _put(parts, "</row>")
        return parts, uses

    def _fill(
        self,
        known: _Column,
        typing: _Typed | None,
        column: Sequence[object],
        cells: list[str | None],
    ) -> bool:
        """Make the cells missing (None) in `cells` from `column`'s values; False when one
        would add a string to the shared table (then none that would was made)."""
        if typing is not None:
            # text as read repeats (a minute shared by 50 rows): each new one made once,
            # kept, then the column looked up again (in C)
            texts = list(dict.fromkeys(compress(column, map(is_, cells, repeat(None)))))
            if set(map(type, texts)) == {str}:
                xmls = self._made(known, list(map(typing.typed.typed, texts)))
                if xmls is None:
                    return False
                typing.keep(texts, xmls)
                cells[:] = map(typing.get, column)
                if None in cells:  # not kept (inline text, a cache started afresh)
                    made = dict(zip(texts, xmls, strict=True))
                    cells[:] = [
                        x
                        if x is not None
                        else made[v]
                        if v in made
                        else known.cell(typing.typed.typed(v))  # made before: no new string
                        for v, x in zip(column, cells, strict=True)
                    ]
                return True
        size = len(cells)
        if cells.count(None) == size:
            spots: Sequence[int] = range(size)
            values = list(column)
        else:
            spots = [i for i, xml in enumerate(cells) if xml is None]
            values = [column[i] for i in spots]
        made_values = values if typing is None else list(map(typing.typed.typed, values))
        xmls = self._made(known, made_values)
        if xmls is None:
            return False
        if typing is not None:
            typing.keep(values, xmls)
        if len(spots) == size:
            cells[:] = xmls
        else:
            for i, xml in zip(spots, xmls, strict=True):
                cells[i] = xml
        return True

    def _made(self, known: _Column, values: list[object]) -> list[str] | None:
        """The cells of `values` in column `known`; None when one would add a string to
        the shared table (then none that would was made)."""
        xmls = self._together(known, values)
        if xmls is None:
            xmls = []
            for value in values:
                if self._adds(known, value):
                    return None
                xmls.append(known.cell(value))
        return xmls

    def _together(self, known: _Column, values: list[object]) -> list[str] | None:
        """The cells of `values` made in one pass (see `_span`); None otherwise."""
        span = self._span(known, values)
        if span is None:
            return None
        opening, texts, closing = span
        return list(map(opening.__add__, map(str.__add__, texts, repeat(closing))))

    def _span(self, known: _Column, values: list[object]) -> tuple[str, list[str], str] | None:
        """The cells of `values` as one opening, each value's text and one closing, when
        they are all whole numbers, or all plain text written inline (not to be shared,
        not in the table): what `_Column.__missing__` makes of each. None otherwise."""
        kinds = set(map(type, values))
        if kinds == {int}:
            numbers = cast("list[int]", values)
            if min(numbers) > -EXACT_INT_LIMIT and max(numbers) < EXACT_INT_LIMIT:
                return known.number, list(map(str, numbers)), "</v></c>"
            return None
        if kinds != {str} or known.share:
            return None
        texts = cast("list[str]", values)
        joined = "".join(texts)
        plain = (
            min(map(len, texts)) > 0
            and max(map(len, texts)) <= _SHARED_MAX_LEN
            and joined.isprintable()
            and "&" not in joined
            and "<" not in joined
            and ">" not in joined
            and list(map(str.strip, texts)) == texts
            and not any(map(self.strings.index.__contains__, texts))
        )
        return (known.inline, texts, "</t></is></c>") if plain else None

    def _adds(self, known: _Column, value: object) -> bool:
        """Whether `value`'s cell in column `known` may add a string to the shared table."""
        text = _shared_text(value, share=known.share)
        return (
            bool(text)
            and len(self.strings.index) < SHARED_LIMIT
            and (
                not text.isprintable()  # made safe first (`xlsx_safe_text`): may be new
                or (len(text) <= _SHARED_MAX_LEN and text not in self.strings.index)
            )
        )

    def flush(self) -> None:
        if self.buffer:
            text = "".join(self.buffer)
            self.out.write(text.encode("utf-8", "replace"))  # a lone surrogate: "?"
            self.buffer = []
            self.buffered = 0

    def close(self, *, autofilter: bool) -> str | None:
        """End the sheet; returns the autofilter's range, if any."""
        self.flush()
        tail = "</sheetData>"
        ref = None
        if autofilter and self.letters:
            ref = f"A1:{self.letters[-1]}{max(self.rows, 1)}"
            tail += f'<autoFilter ref="{ref}"/>'
        self.out.write(f"{tail}</worksheet>".encode())
        self.out.close()
        return ref


def write_plain_xlsx(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]] | CellBlocks,
    *,
    kinds: Sequence[ColumnKind] = (),
    sheet_title: str,
    meta: Mapping[str, str],
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
    max_rows: int,
    sample_rows: int,
    widths: tuple[int, int],
) -> int:
    """Write a plain table (see the module's docstring); return the data rows written.
    `kinds` gives each column's style: a text column is in the Text format, an integer
    one shows whole numbers (values are written as they come: type them beforehand, or
    give `CellBlocks` with their typers)."""
    strings = _Strings()
    sheets: list[tuple[str, bool, str | None]] = []  # title, hidden, autofilter range
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:

        def new_sheet(title: str, heads: Sequence[str], fitted: Sequence[float]) -> _SheetWriter:
            part = book.open(f"xl/worksheets/sheet{len(sheets) + 1}.xml", "w", force_zip64=True)
            sheets.append((title, False, None))
            return _SheetWriter(
                part,
                heads,
                fitted,
                strings,
                frozen=True,
                bold_header=True,
                shared=shared,
                styles=[_KIND_STYLE.get(k) for k in kinds],
            )

        blocks: Iterator[CellBlock] = iter(())
        typed: list[_Typed | None] = []
        if isinstance(rows, CellBlocks):
            typed = [None if t is None else _Typed(t) for t in rows.typers]
            typed_sample, blocks = _sampled(rows.blocks, typed, sample_rows)
            sample: list[Sequence[object]] = list(typed_sample)
            it: Iterator[Sequence[object]] = iter(())
        else:
            it = iter(rows)
            sample = list(islice(it, sample_rows))
        fitted = fit_widths(headers, sample, widths, header=True)
        shared = _repeating(len(headers), sample)
        written = 0
        page = 1
        sheet = new_sheet(page_title(sheet_title, page)[:TITLE_LIMIT], headers, fitted)

        def with_room(sheet: _SheetWriter) -> _SheetWriter:
            """`sheet`, or the next page once `sheet` holds `max_rows` rows."""
            nonlocal page
            if sheet.rows < max_rows:
                return sheet
            sheets[-1] = (sheets[-1][0], False, sheet.close(autofilter=True))
            page += 1
            return new_sheet(page_title(sheet_title, page), headers, fitted)

        for row in chain(sample, it):
            sheet = with_room(sheet)
            sheet.append(row)
            written += 1
        for whole in blocks:
            block = whole
            while block.size:
                sheet = with_room(sheet)
                room = max_rows - sheet.rows
                piece = block if block.size <= room else block.part(0, room)
                sheet.append_block(piece, typed)
                written += piece.size
                block = block.part(piece.size, block.size) if piece is not block else _EMPTY
        sheets[-1] = (sheets[-1][0], False, sheet.close(autofilter=True))

        for title, extra in extra_sheets:
            width = max((len(r) for r in extra), default=0)
            fitted_extra = fit_widths([""] * width, extra[:sample_rows], widths, header=False)
            part = book.open(f"xl/worksheets/sheet{len(sheets) + 1}.xml", "w")
            sheets.append((title[:TITLE_LIMIT], False, None))
            plain = _SheetWriter(part, (), fitted_extra, strings, frozen=False, bold_header=False)
            for extra_row in extra:
                plain.append(extra_row)
            plain.close(autofilter=False)
        if meta:
            part = book.open(f"xl/worksheets/sheet{len(sheets) + 1}.xml", "w")
            sheets.append((META_SHEET, True, None))
            hidden = _SheetWriter(part, (), (0, 0), strings, frozen=False, bold_header=False)
            for key, value in meta.items():
                hidden.append([key, value])  # both strings: text cells
            hidden.close(autofilter=False)

        _write_package(book.writestr, sheets, strings)
    return written


def _write_package(
    put: Callable[[str, str], None],
    sheets: Sequence[tuple[str, bool, str | None]],
    strings: _Strings,
) -> None:
    put("xl/sharedStrings.xml", strings.xml())
    put("xl/styles.xml", _STYLES)
    entries, rels, names = [], [], []
    for index, (title, hidden, filtered) in enumerate(sheets, start=1):
        state = ' state="hidden"' if hidden else ""
        entries.append(
            f'<sheet name="{_escape(title)}" sheetId="{index}"{state} r:id="rId{index}"/>'
        )
        rels.append(
            f'<Relationship Id="rId{index}" Type="{_DOC_REL}/worksheet" '
            f'Target="worksheets/sheet{index}.xml"/>'
        )
        if filtered:
            quoted = "'" + title.replace("'", "''") + "'"
            first, last = filtered.split(":")
            absolute = "$" + first[:1] + "$" + first[1:], _absolute(last)
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index - 1}" '
                f'hidden="1">{_escape(quoted)}!{absolute[0]}:{absolute[1]}</definedName>'
            )
    count = len(sheets)
    rels.append(f'<Relationship Id="rId{count + 1}" Type="{_DOC_REL}/styles" Target="styles.xml"/>')
    rels.append(
        f'<Relationship Id="rId{count + 2}" Type="{_DOC_REL}/sharedStrings" '
        'Target="sharedStrings.xml"/>'
    )
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    put(
        "xl/workbook.xml",
        f"{_HEAD}<workbook {_NS} {_REL_NS}><bookViews><workbookView/></bookViews>"
        f"<sheets>{''.join(entries)}</sheets>{defined}</workbook>",
    )
    put(
        "xl/_rels/workbook.xml.rels",
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>',
    )
    put(
        "_rels/.rels",
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    )
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
        for i in range(1, count + 1)
    )
    put(
        "[Content_Types].xml",
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
        f"{overrides}</Types>",
    )


_EMPTY = CellBlock(0, [])


def _put(parts: list[str | list[str]], text: str) -> None:
    """Add text every row of a block has to its parts: beside other such text, one text."""
    if type(parts[-1]) is str:
        parts[-1] += text
    else:
        parts.append(text)


def _sampled(
    blocks: Iterable[CellBlock], typed: Sequence[_Typed | None], count: int
) -> tuple[list[list[object]], Iterator[CellBlock]]:
    """The first `count` rows of `blocks`, typed (to fit widths and find the repeating
    columns), and the blocks after them."""
    caches = [None if t is None else t.typed for t in typed]
    sample: list[list[object]] = []
    it = iter(blocks)
    for block in it:
        need = count - len(sample)
        if block.size >= need:
            sample.extend(block_rows(block.part(0, need), caches))
            rest = block.part(need, block.size)
            return sample, chain([rest], it)
        sample.extend(block_rows(block, caches))
    return sample, it


def _repeating(width: int, sample: Sequence[Sequence[object]]) -> list[bool]:
    """Columns whose values repeat (a status, a message, a meter): their strings go to the
    shared table. A column of distinct values (a uid) stays inline, not to fill the table
    with strings used once."""
    if len(sample) < 10:
        return [True] * width
    distinct: list[set[object]] = [set() for _ in range(width)]
    for row in sample:
        for index, value in enumerate(row[:width]):
            try:
                distinct[index].add(value)
            except TypeError:  # unhashable (a list): written as its text
                distinct[index].add(str(value))
    return [len(seen) * 2 <= len(sample) for seen in distinct]


def _absolute(ref: str) -> str:
    letters = ref.rstrip("0123456789")
    return f"${letters}${ref[len(letters) :]}"
