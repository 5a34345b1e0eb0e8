"""Stream the rows of one worksheet part, block by block, with memory flat in its length.

The part's XML is inflated 1 MiB at a time and cut after its last complete row. Rows are
read two ways, with the same result:

- **by shape** (the fast path): consecutive rows written alike — the same cells with
  the same types and styles, which is how Excel, LibreOffice, openpyxl and xlsxwriter
  write a table — match one regular expression made from the first such row (its
  "shape"), so that a whole block is split by one `findall` and each column converted
  at C speed (`map` over a lookup table);
- **as XML** (any other row): the row alone is parsed by ElementTree, which places cells
  without an `r` reference, reads rich text, namespace prefixes, entities; its shape is
  then learnt for the rows that follow.

While one block is parsed, a thread inflates the next (`SheetReader(inflate_ahead=True)`):
zlib lets go of the GIL, so on two cores that costs the parse no time.

Values are read as calamine read them (see `xlsx_formats`): text as written (shared or
inline), numbers as text, dates by their style, booleans "TRUE"/"FALSE", an error cell
as its text ("#N/A"), a formula as its cached value. A formula never calculated (no
cached value: written by a program, never saved by Excel) is refused, naming its cell.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from operator import itemgetter, lt
from typing import IO
from xml.etree import ElementTree

from rowpush.errors import SheetError
from rowpush.model import CellValue, column_letter
from rowpush.sheets.cells import text_of
from rowpush.sheets.xlsx_formats import NumberKind, number_text, serial_value

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Merge",
    "ReadContext",
    "Rows",
    "SheetReader",
    "string_item",
]

#: Excel's grid: a reference beyond it is refused (Excel itself would not open the file).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
_BLOCK = 1 << 20
# Bytes read looking for <sheetData> before giving up: what precedes it is a few kB.
_MAX_HEAD = 16 << 20
# Shapes kept at once, tried in turn on a row the current one does not fit.
_SHAPES = 8
# Converted values remembered per column kind before the table is cleared.
_MEMO = 1 << 14
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>")
_ROOT = re.compile(rb"<(?:[\w.-]+:)?(worksheet|chartsheet|dialogsheet)\b([^>]*)>")
_XMLNS = re.compile(rb"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_ROW_END = re.compile(rb"</(?:[\w.-]+:)?row\s*>|<(?:[\w.-]+:)?row\b[^>]*/>")
_SPACE = re.compile(rb"\s*")
_EMPTY_ROW = re.compile(rb"""\s*<(?:[\w.-]+:)?row\b(?:[^>]*?\sr\s*=\s*["'](\d+)["'])?[^>]*/>""")
_ROW = re.compile(rb"\s*<(?:[\w.-]+:)?row\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?row\s*>)", re.DOTALL)
_COMMENT = re.compile(rb"\s*(?:<!--.*?-->|<\?.*?\?>)", re.DOTALL)
# A row as the usual writers lay it out: the grammar a shape is learnt from.
_PLAIN_ROW = re.compile(rb'<row r="(\d+)"(?: [\w:.-]+="[^"]*")*>')
_PLAIN_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"((?: [\w:.-]+="[^"]*")*)(?:/>|>'
    rb"(<f[^>]*/>|<f[^>]*>[^<]*</f>)?"
    rb'(<v>[^<]*</v>|<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>)'
)
_ATTR_T = re.compile(rb'(?:^| )t="([^"]*)"')
_ATTR_S = re.compile(rb'(?:^| )s="([^"]*)"')
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)", re.ASCII)
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_EXCEL_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")

#: A merged range: its first and last cell as 0-based (row, column).
Merge = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What every cell of a workbook is read with."""

    shared: Sequence[str]
    """The shared strings table."""
    kinds: Sequence[NumberKind]
    """Per cell style (the `s` attribute): how its numbers read."""
    date1904: bool
    where: str
    """The sheet, as messages name it: "book.xlsx (sheet 'Data')"."""


@dataclass(frozen=True, slots=True)
class Rows:
    """Consecutive rows that hold values in the same columns (often a single row)."""

    numbers: list[int]
    """1-based row numbers, ascending."""
    columns: tuple[int, ...]
    """0-based column of each list in `values`."""
    values: list[Sequence[CellValue]]
    """Per column, one value per row; a column missing from a row is absent, not ""."""
    errors: frozenset[int]
    """Columns holding error values (#N/A…), which header detection takes for blanks."""


class SheetReader:
    """Reads one worksheet part: `rows()` streams its rows in blocks, then `merges()`
    lists its merged ranges. A damaged part raises `SheetError`.

    With `inflate_ahead`, a thread inflates the next blocks while this one is parsed
    (zlib lets go of the GIL): use it as a context manager, which stops the thread.
    """

    def __init__(self, f: IO[bytes], ctx: ReadContext, *, inflate_ahead: bool = False) -> None:
        self._ahead = _Ahead(f) if inflate_ahead else None
        self._scanner = _Scanner(self._ahead or f, ctx)

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ahead is not None:
            self._ahead.close()

    def rows(self) -> Iterator[Rows]:
        return self._scanner.rows()

    def merges(self) -> list[Merge]:
        return self._scanner.merges()


class _Ahead:
    """Reads a file's blocks in a thread, a few ahead of the reader."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.blocks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="xlsx-inflate", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                block = self.f.read(_BLOCK)
                self._put(block)
                if not block:
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self.stop.is_set():
            try:
                self.blocks.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def read(self, size: int = -1) -> bytes:
        item = self.blocks.get()
        if isinstance(item, BaseException) or not item:
            self.blocks.put(item)  # the thread is done: the end (or error) stays for later reads
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def string_item(el: ElementTree.Element) -> str:
    """The text of an `<si>` or `<is>` element: its runs joined, phonetic runs left out."""
    parts: list[str] = []
    for child in el:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(_t_text(child))
        elif tag == "r":
            parts.extend(_t_text(g) for g in child if _local(g.tag) == "t")
    return "".join(parts)


def _t_text(el: ElementTree.Element) -> str:
    text = el.text or ""
    if el.get(_XML_SPACE) != "preserve":
        text = text.strip(" \t\r\n")
    return _excel_unescape(text)


def _excel_unescape(text: str) -> str:
    # Excel writes a control character as _x000D_ (and a literal "_x000D_" as _x005F_x000D_).
    if "_x00" not in text:
        return text
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _xml_text(raw: bytes) -> str:
    """Character data as an XML parser gives it: line ends normalised, entities replaced."""
    text = raw.decode()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _ENTITIES[name]


class _Memo(dict[bytes, CellValue]):
    """Converted values by stored text: most columns repeat their values."""

    def __init__(self, convert: Callable[[bytes], CellValue]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: bytes) -> CellValue:
        value = self.convert(key) if key else ""
        self[key] = value
        return value


class _Converters:
    """One memo per way a stored value converts, shared by every column using it."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.memos: dict[tuple[object, ...], _Memo] = {}

    def memo(self, kind: NumberKind, strict: bool) -> _Memo:
        key = (kind, strict)
        memo = self.memos.get(key)
        if memo is None:
            memo = self.memos[key] = _Memo(self._number(kind, strict))
        return memo

    def _number(self, kind: NumberKind, strict: bool) -> Callable[[bytes], CellValue]:
        date1904 = self.ctx.date1904

        def convert(raw: bytes) -> CellValue:
            try:
                number = float(raw)
            except ValueError:
                if strict:
                    raise
                return raw.decode()  # no type given: calamine keeps such a value as text
            if kind is NumberKind.PLAIN:
                return number_text(number)
            return serial_value(number, kind, date1904)

        return convert

    def trim(self) -> None:
        for memo in self.memos.values():
            if len(memo) > _MEMO:
                memo.clear()


def _style_kind(ctx: ReadContext, style: str | bytes | None) -> NumberKind:
    """How the numbers of a cell with this `s` attribute read."""
    if style is None:
        return NumberKind.PLAIN
    try:
        index = int(style)
    except ValueError:
        index = 0  # as calamine: an unreadable style is the first one
    if 0 <= index < len(ctx.kinds):
        return ctx.kinds[index]
    return NumberKind.PLAIN


@dataclass(frozen=True, slots=True)
class _CellShape:
    column: int
    letters: str
    type: str | None
    style: bytes | None
    formula: bool
    value: str
    """"v", "is" (inline text: two groups, xml:space then the text) or "" (no value)."""


class _Shape:
    """A row's layout as a regular expression: rows alike match it in one pass."""

    def __init__(self, pattern: bytes, cells: list[_CellShape]) -> None:
        self.key = pattern
        # The `(<)` alternative catches whatever is not such a row: findall then tells.
        self.block = re.compile(b"(?:" + pattern + b")|(<)", re.DOTALL)
        self.row = re.compile(pattern)
        self.cells = cells
        self.groups = 1 + sum({"v": 1, "is": 2, "": 0}[c.value] for c in cells)

    @staticmethod
    def pattern_of(row: bytes) -> tuple[bytes, list[_CellShape]] | None:
        """The pattern of a plainly written row and its cells; None for any other row
        (rows like it are then parsed as XML)."""
        m = _PLAIN_ROW.match(row)
        if m is None:
            return None
        parts = [rb'\s*<row r="(\d+)"(?: [\w:.-]+="[^"]*")*>']
        cells: list[_CellShape] = []
        seen: set[int] = set()
        pos = m.end()
        while cell := _PLAIN_CELL.match(row, pos):
            letters, digits, attrs, formula, value = cell.groups()
            if digits != m.group(1):
                return None
            column = _column_index(letters.decode())
            if column in seen or column >= MAX_COLUMNS:
                return None
            seen.add(column)
            t = _ATTR_T.search(attrs)
            s = _ATTR_S.search(attrs)
            kind = "" if value is None else ("v" if value.startswith(b"<v>") else "is")
            if formula and kind != "v":
                return None  # a formula without a value: the XML path refuses it
            part = b'<c r="' + letters + rb'\1"' + re.escape(attrs)
            if cell.group(0).endswith(b"/>"):
                part += b"/>"
            else:
                part += b">"
                if formula:
                    part += rb"(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)"
                if kind == "v":
                    part += rb"<v>([^<]*)</v>"
                elif kind == "is":
                    part += rb'<is><t( xml:space="preserve")?>([^<]*)</t></is>'
                part += b"</c>"
            parts.append(part)
            cells.append(
                _CellShape(
                    column,
                    letters.decode(),
                    t.group(1).decode() if t else None,
                    s.group(1) if s else None,
                    bool(formula),
                    kind,
                )
            )
            pos = cell.end()
        if row[pos:] != b"</row>":
            return None
        parts.append(b"</row>")
        return b"".join(parts), cells


class _Scanner:
    """Reads one worksheet part: the XML path keeps the state that implicit cells need."""

    def __init__(self, f: IO[bytes] | _Ahead, ctx: ReadContext) -> None:
        self.f = f
        self.ctx = ctx
        self.where = ctx.where
        self.convert = _Converters(ctx)
        self.shapes: list[_Shape] = []
        self.known: dict[bytes, _Shape] = {}
        # Shapes are learnt while they pay: a sheet whose rows all differ is read as XML.
        self.learnt = 0
        self.matched = 0
        self.wrap_open = b"<sheetData>"
        self.wrap_close = b"</sheetData>"
        self.last_row = 0  # the last row number read (1-based)
        self.rest = b""  # what is read of the part and not yet scanned

    def rows(self) -> Iterator[Rows]:
        data = self._head()
        if data is None:
            return
        done = False
        while not done:
            block = self.f.read(_BLOCK)
            data = data + block if data else block
            end = _sheet_data_end(data)
            if end is not None:
                segment, done, self.rest = data[: end.start()], True, data[end.end() :]
            elif not block:
                raise self._damaged("the sheet's XML ends before its last row")
            else:
                cut = _cut(data)
                segment, data = data[:cut], data[cut:]
                self.rest = data
            if segment:
                yield from self._segment(segment)
                self.convert.trim()

    def merges(self) -> list[Merge]:
        """The merged ranges the part lists (after its rows): reads the rest of the part."""
        found: list[Merge] = []
        data = self.rest
        while True:
            block = self.f.read(_BLOCK)
            lt = data.rfind(b"<") if block else -1
            whole = data[:lt] if lt > data.rfind(b">") else data
            for m in _MERGE.finditer(whole):
                merge = _merge(m.group(1).decode("ascii", "replace"))
                if merge is not None:
                    found.append(merge)
            if not block:
                return found
            data = data[len(whole) :] + block

    def _head(self) -> bytes | None:
        """Read up to <sheetData>; what follows it, or None when it is empty (<sheetData/>)."""
        data = b""
        while True:
            block = self.f.read(_BLOCK)
            data += block
            start = _SHEET_DATA.search(data)
            if start is not None:
                break
            if not block or len(data) > _MAX_HEAD:
                root = _ROOT.search(data)
                if root is not None and root.group(1) != b"worksheet":
                    raise SheetError(
                        f"{self.where}: this is a {root.group(1).decode()[:-5]} sheet, not a "
                        f"worksheet: it holds no cells to read.",
                        hint="Choose the worksheet that holds the table.",
                    )
                raise self._damaged("the sheet's XML has no <sheetData>")
        root = _ROOT.search(data, 0, start.start())
        if root is not None:
            decls = b"".join(_XMLNS.findall(root.group(2)))
            self.wrap_open = b"<sheetData" + decls + b">"
        self.rest = data[start.end() :]
        if start.group(1):
            return None
        return self.rest

    def _segment(self, seg: bytes) -> Iterator[Rows]:
        shape = self.shapes[0] if self.shapes else None
        if shape is not None:
            found = shape.block.findall(seg)
            if found and not any(map(itemgetter(-1), found)):
                try:
                    rows = self._shaped(shape, found)
                except (ValueError, IndexError, OverflowError):
                    pass  # a value the fast path cannot convert: the row by row path says why
                else:
                    self.matched += len(found)
                    yield rows
                    return
        yield from self._row_by_row(seg)

    def _row_by_row(self, seg: bytes) -> Iterator[Rows]:
        pos, end = 0, len(seg)
        pending: list[tuple[bytes, ...]] = []
        spans: list[tuple[int, int]] = []  # where each pending row is, for the XML path
        pending_shape: _Shape | None = None
        while True:
            pos = _SPACE.match(seg, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                break
            m = None
            for shape in self.shapes:
                m = shape.row.match(seg, pos)
                if m is not None:
                    break
            if m is not None:
                if shape is not pending_shape and pending:
                    yield from self._flush(pending_shape, pending, seg, spans)
                    pending, spans = [], []
                pending_shape = shape
                self.matched += 1
                pending.append(m.groups())
                spans.append((pos, m.end()))
                pos = m.end()
                continue
            if pending:
                yield from self._flush(pending_shape, pending, seg, spans)
                pending, spans = [], []
            if empty := _EMPTY_ROW.match(seg, pos):
                if empty.group(1):
                    self._advance(int(empty.group(1)))
                else:
                    self._advance(self.last_row + 1)
                pos = empty.end()
                continue
            if comment := _COMMENT.match(seg, pos):
                pos = comment.end()
                continue
            row = _ROW.match(seg, pos)
            if row is None:
                raise self._damaged("the sheet's XML holds something other than rows")
            text = row.group(0).strip()
            parsed = self._parse_row(text)
            if parsed is not None:
                yield parsed
            if self.learnt <= _SHAPES + self.matched // 32:
                self._learn(text)
            pos = row.end()
        if pending:
            yield from self._flush(pending_shape, pending, seg, spans)

    def _flush(
        self,
        shape: _Shape | None,
        found: list[tuple[bytes, ...]],
        seg: bytes,
        spans: list[tuple[int, int]],
    ) -> Iterator[Rows]:
        assert shape is not None
        try:
            yield self._shaped(shape, found)
            return
        except (ValueError, IndexError, OverflowError):
            pass
        for start, end in spans:  # a row here needs the XML path: it reads it, or says why
            parsed = self._parse_row(seg[start:end].strip())
            if parsed is not None:
                yield parsed

    def _learn(self, row: bytes) -> None:
        """Put the shape of this row first among the shapes tried."""
        found = _Shape.pattern_of(row)
        if found is None:
            return
        key, cells = found
        shape = self.known.get(key)
        if shape is None:
            if len(self.known) > 16 * _SHAPES:
                self.known.clear()
            shape = self.known[key] = _Shape(key, cells)
            self.learnt += 1
        if shape in self.shapes:
            self.shapes.remove(shape)
        self.shapes.insert(0, shape)
        del self.shapes[_SHAPES:]

    def _advance(self, number: int) -> None:
        if number <= self.last_row:
            raise self._out_of_order(number)
        if number > MAX_ROWS:
            raise self._beyond(f"row {number:,}")
        self.last_row = number

    # -- rows of one shape -------------------------------------------------------------

    def _shaped(self, shape: _Shape, found: list[tuple[bytes, ...]]) -> Rows:
        """Convert rows matched by `shape`, column by column.

        Raises ValueError (or IndexError, OverflowError) on rows out of order or a value
        the XML path should read (an empty shared string index, a number too far out for a
        date): nothing of the block was yielded yet, and the XML path reads it or says why.
        """
        cols = list(zip(*found, strict=True))
        numbers = list(map(int, cols[0]))
        if numbers[0] <= self.last_row or not all(map(lt, numbers, numbers[1:])):
            raise ValueError("rows out of order")
        if numbers[-1] > MAX_ROWS:
            raise self._beyond(f"row {numbers[-1]:,}")
        columns: list[int] = []
        values: list[Sequence[CellValue]] = []
        errors: set[int] = set()
        group = 1
        for cell in shape.cells:
            if cell.value == "":
                continue
            if cell.value == "is":
                raw_preserve, raw = cols[group], cols[group + 1]
                group += 2
                converted: Sequence[CellValue] = list(map(_inline_text, raw, raw_preserve))
            else:
                raw = cols[group]
                group += 1
                converted = self._column(cell, raw, numbers)
                if cell.type == "e":
                    errors.add(cell.column)
            columns.append(cell.column)
            values.append(converted)
        self.last_row = numbers[-1]
        return Rows(numbers, tuple(columns), values, frozenset(errors))

    def _column(
        self, cell: _CellShape, raw: Sequence[bytes], numbers: list[int]
    ) -> Sequence[CellValue]:
        t = cell.type
        if cell.formula and t != "str" and not all(raw):
            row = numbers[list(map(bool, raw)).index(False)]
            raise _uncalculated(self.where, f"{cell.letters}{row}")
        if t is None or t == "n":
            memo = self.convert.memo(_style_kind(self.ctx, cell.style), strict=t == "n")
            return list(map(memo.__getitem__, raw))
        if t == "s":
            indexes = list(map(int, raw))  # an empty or unreadable index: the XML path says so
            if min(indexes) < 0:
                raise IndexError(min(indexes))
            return list(map(self.ctx.shared.__getitem__, indexes))
        if t == "str":
            return [_xml_text(v) for v in raw]
        if t == "b":
            return [("FALSE" if v == b"0" else "TRUE") if v else "" for v in raw]
        if t == "e":
            return [_xml_text(v) for v in raw]
        if t in ("inlineStr", "is"):
            return [""] * len(raw)  # its <v> is ignored: the text is in <is>
        if t == "d":
            return [_iso_value(_xml_text(v)) for v in raw]
        raise ValueError(f"unknown cell type t={t!r}")

    # -- one row as XML ----------------------------------------------------------------

    def _parse_row(self, text: bytes) -> Rows | None:
        try:
            root = ElementTree.fromstring(self.wrap_open + text + self.wrap_close)
        except ElementTree.ParseError as exc:
            raise self._damaged(f"a row's XML is broken: {exc}") from exc
        if not len(root):
            return None
        el = root[0]
        r = el.get("r", "").strip()
        number = int(r) if r.isascii() and r.isdigit() and int(r) > 0 else self.last_row + 1
        found: dict[int, CellValue] = {}
        errors: set[int] = set()
        col = -1
        for c in el:
            if _local(c.tag) != "c":
                continue
            ref = c.get("r")
            if ref is not None and (m := _REF.fullmatch(ref.strip())):
                col = _column_index(m.group(1).upper())
                at = int(m.group(2))
                if at > MAX_ROWS or col >= MAX_COLUMNS:
                    raise self._beyond(f"cell {ref.strip()}")
                if at != number:
                    if r:
                        raise self._damaged(f"cell {ref} lies in the XML of row {number}")
                    number = at
            else:
                col += 1
            if col >= MAX_COLUMNS:
                raise self._beyond(f"cell {column_letter(col)}{number}")
            value, is_error = self._cell_value(c, f"{column_letter(col)}{number}", number)
            if value != "":
                found[col] = value
                if is_error:
                    errors.add(col)
            else:
                found.pop(col, None)
                errors.discard(col)
        self._advance(number)
        if not found:
            return None
        columns = tuple(found)
        return Rows([number], columns, [[found[c]] for c in columns], frozenset(errors))

    def _cell_value(self, c: ElementTree.Element, ref: str, row: int) -> tuple[CellValue, bool]:
        t = c.get("t")
        v = f = inline = None
        for child in c:
            tag = _local(child.tag)
            if tag == "v":
                v = child
            elif tag == "f":
                f = child
            elif tag == "is":
                inline = child
        if f is not None and (v is None or (not v.text and t != "str")):
            raise _uncalculated(self.where, ref)
        if inline is not None:
            return string_item(inline), False
        if v is None or t in ("inlineStr", "is"):
            return "", False
        raw = v.text or ""
        if not raw:
            return "", False
        try:
            if t is None or t == "n":
                kind = _style_kind(self.ctx, c.get("s"))
                return self.convert.memo(kind, strict=t == "n")[raw.encode()], False
            if t == "s":
                return self.ctx.shared[_index(raw)], False
            if t == "str":
                return raw, False
            if t == "b":
                return ("FALSE" if raw == "0" else "TRUE"), False
            if t == "e":
                return raw, True
            if t == "d":
                return _iso_value(raw), False
        except (ValueError, IndexError, OverflowError) as exc:
            raise self._cell_error_at(ref, row, t, raw, exc) from exc
        raise self._damaged(f"cell {ref} has an unknown type t={t!r}")

    # -- errors ------------------------------------------------------------------------

    def _cell_error_at(
        self, ref: str, row: int, t: str | None, raw: str | None, exc: BaseException
    ) -> SheetError:
        if isinstance(exc, OverflowError):
            return SheetError(
                f"{self.where}: row {row} holds a cell that cannot be read ({ref}: {exc}).",
                hint="Check that row's date, time and duration cells in Excel: a number "
                "formatted as a date or duration may be far out of range.",
            )
        if t == "s":
            what = f"cell {ref} points at shared text {raw!r}, which the workbook lacks"
        else:
            what = f"cell {ref} holds {raw!r}, which is not a number" if raw else f"cell {ref}"
        return self._damaged(what)

    def _damaged(self, what: str) -> SheetError:
        return SheetError(
            f"{self.where}: the sheet cannot be read; the workbook may be damaged ({what}).",
            hint="Open it in Excel, check it, and save it again as 'Excel Workbook (.xlsx)'.",
        )

    def _out_of_order(self, number: int) -> SheetError:
        return SheetError(
            f"{self.where}: row {number:,} comes after row {self.last_row:,} in the file: the "
            f"rows are out of order, which Excel never writes (the file was made by another "
            f"program).",
            hint="Open it in Excel (or LibreOffice) and save it, which puts the rows in order.",
        )

    def _beyond(self, place: str) -> SheetError:
        return SheetError(
            f"{self.where}: {place} lies beyond Excel's last row ({MAX_ROWS:,}) or column "
            f"({column_letter(MAX_COLUMNS - 1)}): the file was not saved by Excel and may be "
            f"damaged.",
            hint="Open it in Excel, check it, and save it again as 'Excel Workbook (.xlsx)'.",
        )


def _merge(ref: str) -> Merge | None:
    """ "B2:C3" → ((1, 1), (2, 2)): first and last cell, 0-based (row, column)."""
    corners = []
    for part in ref.split(":"):
        m = _REF.fullmatch(part.strip().replace("$", ""))
        if m is None:
            return None
        corners.append((int(m.group(2)) - 1, _column_index(m.group(1).upper())))
    if len(corners) == 1:
        corners.append(corners[0])
    if len(corners) != 2:
        return None
    return corners[0], corners[1]


def _uncalculated(where: str, ref: str) -> SheetError:
    return SheetError(
        f"{where}: cell {ref} holds a formula that was never calculated, so it has no value to "
        f"read: the file was written by a program and never saved by Excel.",
        hint="Open the file in Excel (or LibreOffice) and save it, which calculates the "
        "formulas; or write plain values instead of formulas.",
    )


def _inline_text(raw: bytes, preserve: bytes) -> str:
    text = _xml_text(raw)
    if not preserve:
        text = text.strip(" \t\r\n")
    return _excel_unescape(text)


def _index(raw: str | bytes) -> int:
    index = int(raw)
    if index < 0:
        raise IndexError(index)
    return index


def _iso_value(text: str) -> CellValue:
    """A `t="d"` cell (an ISO 8601 date written as text), as calamine reads it."""
    try:
        if "T" in text:
            return datetime.fromisoformat(text)
        if ":" in text:
            return text_of(time.fromisoformat(text))
        moment = datetime.fromisoformat(text)
        return moment.date()
    except ValueError:
        return text


def _cut(data: bytes) -> int:
    """Where the last complete row of `data` ends (0 when none does)."""
    end = data.rfind(b"</row>")
    last = 0 if end < 0 else end + len(b"</row>")
    # Empty rows (<row r="9"/>) and prefixed tags may follow: rare, and short to scan.
    for m in _ROW_END.finditer(data, last):
        last = m.end()
    return last


def _sheet_data_end(data: bytes) -> re.Match[bytes] | None:
    """The closing </sheetData> tag, looked for cheaply: the literal first."""
    at = data.find(b"sheetData")
    if at < 0:
        return None
    return _SHEET_DATA_END.search(data, max(at - 64, 0))


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
