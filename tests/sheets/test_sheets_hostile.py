"""Hostile files: each is refused with a SheetError naming the file, the place and the fix,
or read correctly; memory and time stay bounded. Every fixture is made at test time."""

from __future__ import annotations

import codecs
import csv
import struct
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest

from rowpush.errors import SheetError
from rowpush.model import RawRow
from rowpush.sheets import open_sheet, read_meta
from rowpush.sheets.cells import MAX_CELL_CHARS
from rowpush.sheets.csv_reader import MAX_HEADER_CHARS

# -- a workbook built from its XML parts (openpyxl cannot write most of these files) ------

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>'
)
_OVERRIDE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" Target="worksheets/sheet{n}.xml" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)
_WORKSHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_WORKSHEET_TAIL = b"</sheetData>{after}</worksheet>"


def text(ref: str, value: str) -> str:
    """XML of a text cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


HEADER = row(1, text("A1", "id"), text("B1", "name"))
FIRST = row(2, text("A2", "12"), text("B2", "Acme"))


def package(
    path: Path,
    sheets: Sequence[tuple[str, str, bytes | str]],
    *,
    after: str = "",
) -> Path:
    """An XLSX package: (name, state, <sheetData> XML) per sheet; `after` follows sheetData."""
    entries, rels, overrides = [], [], []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n, (name, state, rows) in enumerate(sheets, start=1):
            body = rows.encode() if isinstance(rows, str) else rows
            tail = _WORKSHEET_TAIL.replace(b"{after}", after.encode())
            z.writestr(f"xl/worksheets/sheet{n}.xml", _WORKSHEET_HEAD + body + tail)
            hidden = "" if state == "visible" else f' state="{state}"'
            entries.append(f'<sheet name="{name}" sheetId="{n}"{hidden} r:id="rId{n}"/>')
            rels.append(_SHEET_REL.format(n=n))
            overrides.append(_OVERRIDE.format(n=n))
        z.writestr("[Content_Types].xml", _TYPES.format(overrides="".join(overrides)))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(entries)))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels="".join(rels)))
    return path


def one_sheet(path: Path, rows: bytes | str, *, after: str = "") -> Path:
    return package(path, [("Data", "visible", rows)], after=after)


def error_for(path: Path) -> str:
    with pytest.raises(SheetError) as err:
        list(open_sheet(path).rows())
    assert err.value.exit_code == 2
    message = str(err.value)
    assert path.name in message
    assert "Traceback" not in message
    return message


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip directory claim that `member` inflates to `size` bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, size)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        central = data.find(b"PK\x01\x02", central + 46)
    path.write_bytes(bytes(data))


# -- the zip package --------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_anything_is_inflated(tmp_path: Path) -> None:
    path = one_sheet(tmp_path / "bomb.xlsx", HEADER + FIRST)
    declare_size(path, "xl/worksheets/sheet1.xml", 2 << 30)  # claims 2 GiB of XML
    message = error_for(path)
    assert "bomb.xlsx: the workbook would unpack to 2.0 GiB of XML" in message
    assert "more than rowpush reads (1.0 GiB)" in message
    assert "zip bomb" in message
    assert "'CSV UTF-8'" in message


def test_a_part_that_inflates_absurdly_is_refused_as_a_bomb(tmp_path: Path) -> None:
    # 64 MiB of blanks deflate to ~64 kB: over 200 to 1, which no spreadsheet reaches.
    path = tmp_path / "ratio.xlsx"
    one_sheet(path, HEADER + FIRST)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/pad.xml", "w") as f:
        for _ in range(64):
            f.write(b" " * (1 << 20))
    started = time.process_time()
    message = error_for(path)
    assert time.process_time() - started < 1  # the directory alone tells
    assert "ratio.xlsx: its part 'xl/pad.xml' would unpack" in message
    assert "to 1), far beyond what a spreadsheet compresses to" in message
    assert "Do not open it in other programs either" in message


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -1])
def test_a_truncated_workbook_is_not_a_readable_xlsx(tmp_path: Path, keep: float) -> None:
    path = one_sheet(tmp_path / "cut.xlsx", HEADER + FIRST)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:-1])
    message = error_for(path)
    assert "cut.xlsx: the workbook cannot be read; it may be damaged" in message
    assert "save it again as 'Excel Workbook (.xlsx)'" in message


def test_a_zip_holding_two_parts_of_one_name_is_refused(tmp_path: Path) -> None:
    path = one_sheet(tmp_path / "twins.xlsx", HEADER + FIRST)
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as z,
    ):
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    message = error_for(path)
    assert "twins.xlsx: the workbook holds two parts named 'xl/worksheets/sheet1.xml'" in message


def test_a_damaged_sheet_part_is_a_sheet_error(tmp_path: Path) -> None:
    path = one_sheet(tmp_path / "crc.xlsx", HEADER + FIRST)
    data = bytearray(path.read_bytes())
    # Flip a byte of the sheet part's CRC in the central directory.
    at = data.find(b"PK\x01\x02")
    data[at + 16] ^= 0xFF
    path.write_bytes(bytes(data))
    message = error_for(path)
    assert "crc.xlsx" in message
    assert "damaged" in message


# -- far cells: no grid is built, so a far cell is only a value in the wrong place ------


@pytest.mark.parametrize(
    ("far", "shown"),
    [(text("XFD1048576", "x"), "'x'"), ('<c r="XFD1048576"><f>1+1</f><v>2</v></c>', "'2'")],
)
def test_a_stray_value_in_the_last_cell_is_a_value_under_no_header(
    tmp_path: Path, far: str, shown: str
) -> None:
    path = one_sheet(tmp_path / "far.xlsx", HEADER + FIRST + f'<row r="1048576">{far}</row>')
    message = error_for(path)
    assert f"far.xlsx (sheet 'Data'): row 1048576, column XFD holds {shown} but that column" in (
        message
    )
    assert "Add a header in XFD1, or clear the column" in message


def test_an_empty_string_in_the_last_cell_is_harmless(tmp_path: Path) -> None:
    path = one_sheet(
        tmp_path / "far.xlsx", HEADER + FIRST + f'<row r="1048576">{text("XFD1048576", "")}</row>'
    )
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Acme"})]


def test_rows_out_of_order_are_refused(tmp_path: Path) -> None:
    # Excel writes rows in order; a sheet read as a stream cannot sort them.
    rows = HEADER + row(1048576, text("A1048576", "late")) + row(3, text("A3", "early"))
    message = error_for(one_sheet(tmp_path / "order.xlsx", rows))
    assert "order.xlsx (sheet 'Data'): row 3 comes after row 1,048,576 in the file" in message
    assert "Open it in Excel (or LibreOffice) and save it" in message


def test_a_reference_beyond_excel_is_refused(tmp_path: Path) -> None:
    path = one_sheet(tmp_path / "huge.xlsx", HEADER + row(2, text("A99999999999", "x")))
    message = error_for(path)
    assert "huge.xlsx (sheet 'Data'): cell A99999999999 lies beyond Excel's last row" in message
    assert "(1,048,576) or column (XFD)" in message


def test_far_cells_without_references_are_placed(tmp_path: Path) -> None:
    # No r="…": cells follow one another, so the third of them is in column C.
    far = '<row r="1048576">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 40 + "</row>"
    message = error_for(one_sheet(tmp_path / "implicit.xlsx", HEADER + far))
    assert "row 1048576, column C holds 'x' but that column has no header" in message


def test_a_formatted_empty_cell_far_away_is_harmless(tmp_path: Path) -> None:
    # calamine skips formatted empty cells, so nothing far is built.
    far = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    path = one_sheet(tmp_path / "styled.xlsx", HEADER + FIRST + far)
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Acme"})]


@pytest.mark.slow
def test_a_million_empty_formatted_rows_read_quickly(tmp_path: Path) -> None:
    rows = b"".join(
        b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>' % (n, n, n)
        for n in range(3, 1_000_003)
    )
    path = one_sheet(tmp_path / "formatted.xlsx", HEADER.encode() + FIRST.encode() + rows)
    started = time.process_time()  # CPU time: a busy machine does not make it flaky
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Acme"})]
    # Measured: about 3 s of CPU and 50 MB; a generous bound, for slow machines.
    assert time.process_time() - started < 15


def test_references_in_lower_case_or_with_leading_zeros_read_as_calamine_reads_them(
    tmp_path: Path,
) -> None:
    rows = HEADER + row(2, text("a2", "12"), text("B02", "Acme"))
    path = one_sheet(tmp_path / "odd.xlsx", rows)
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Acme"})]


def test_prefixed_tags_are_read(tmp_path: Path) -> None:
    rows = (
        '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1">'
        '<x:c r="A1" t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c></x:row>'
        '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="2">'
        '<x:c r="A2" t="inlineStr"><x:is><x:t>12</x:t></x:is></x:c></x:row>'
        '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>'
    )
    sheet = open_sheet(one_sheet(tmp_path / "prefixed.xlsx", rows))
    rows_read = sheet.rows()
    assert next(rows_read) == RawRow(2, {"id": "12"})
    with pytest.raises(SheetError, match="row 1048576, column XFD holds 'x'"):
        next(rows_read)


def test_a_far_cell_in_the_meta_sheet_is_harmless(tmp_path: Path) -> None:
    far = row(1, text("A1", "target"), text("B1", "x.y")) + row(1048576, text("XFD1048576", "x"))
    path = package(
        tmp_path / "meta.xlsx",
        [("Data", "visible", HEADER + FIRST), ("_rowpush", "hidden", far)],
    )
    assert read_meta(path) == {"target": "x.y"}


def test_a_hidden_sheet_is_neither_read_nor_checked(tmp_path: Path) -> None:
    junk = row(1, text("A1", "junk")) + row(1048576, text("XFD1048576", "x"))
    path = package(
        tmp_path / "hidden.xlsx",
        [("Junk", "hidden", junk), ("Data", "visible", HEADER + FIRST)],
    )
    sheet = open_sheet(path)
    assert sheet.name == "Data"
    assert list(sheet.rows()) == [RawRow(2, {"id": "12", "name": "Acme"})]


# -- cells: formulas, merges, errors, sizes ---------------------------------------------


def test_formulas_give_their_cached_values(tmp_path: Path) -> None:
    rows = HEADER + row(
        2,
        '<c r="A2"><f>10+2</f><v>12</v></c>',
        '<c r="B2" t="str"><f>IF(A2&gt;0,"","x")</f><v></v></c>',  # a formula giving ""
    )
    path = one_sheet(tmp_path / "cached.xlsx", rows)
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": ""})]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2"><f>10+2</f><v></v></c>',  # what openpyxl writes
        '<c r="A2"><f>10+2</f></c>',
        '<c r="A2"><f t="shared" si="0"/><v/></c>',
    ],
)
def test_a_formula_never_calculated_is_refused_naming_its_cell(tmp_path: Path, cell: str) -> None:
    # Its blank would leave the field unchanged, or in a key column create a record.
    path = one_sheet(tmp_path / "uncalculated.xlsx", HEADER + row(2, cell, text("B2", "Acme")))
    message = error_for(path)
    assert "uncalculated.xlsx (sheet 'Data'): cell A2 holds a formula that was never calc" in (
        message
    )
    assert "Open the file in Excel (or LibreOffice) and save it" in message


def test_an_openpyxl_workbook_with_formulas_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name"])
    sheet.append(["=10+2", "Acme"])
    book.save(tmp_path / "generated.xlsx")
    assert "cell A2 holds a formula that was never calculated" in error_for(
        tmp_path / "generated.xlsx"
    )


def test_merged_header_cells_are_refused(tmp_path: Path) -> None:
    rows = row(1, text("A1", "id"), text("B1", "name")) + FIRST
    path = one_sheet(
        tmp_path / "merged.xlsx",
        rows,
        after='<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>',
    )
    message = error_for(path)
    assert "merged.xlsx (sheet 'Data'): cells A1:B1 are merged in the header row" in message
    assert "Unmerge A1:B1" in message


def test_merged_data_cells_are_refused_naming_the_range(tmp_path: Path) -> None:
    rows = HEADER + FIRST + row(3, text("A3", "14"))
    after = '<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>'
    message = error_for(one_sheet(tmp_path / "merged.xlsx", rows, after=after))
    assert "cells B2:B3 are merged. A merged value belongs to its first cell only (B2)" in message
    assert "fill each cell that needs the value" in message


def test_a_merged_title_above_the_table_is_harmless(tmp_path: Path) -> None:
    rows = (
        row(1, text("A1", "Clients"))
        + row(3, text("A3", "id"), text("B3", "name"))
        + row(4, text("A4", "12"), text("B4", "Acme"))
    )
    after = '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'
    path = one_sheet(tmp_path / "title.xlsx", rows, after=after)
    # A lone cell above a wider row is a title: the header row is the wider one below
    sheet = open_sheet(path)
    assert (sheet.header_row, sheet.headers) == (3, ["id", "name"])
    assert [r.values for r in sheet.rows()] == [{"id": "12", "name": "Acme"}]
    after = '<mergeCells count="1"><mergeCell ref="D1:E2"/></mergeCells>'  # beside the table
    path = one_sheet(tmp_path / "beside.xlsx", rows.replace("Clients", ""), after=after)
    assert [r.values for r in open_sheet(path).rows()] == [{"id": "12", "name": "Acme"}]


def test_a_cell_out_of_python_range_is_a_sheet_error_naming_the_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name"])
    sheet.append([12, 1e300])
    sheet["B2"].number_format = "[h]:mm:ss"  # a duration of 1e300 days
    book.save(tmp_path / "duration.xlsx")
    message = error_for(tmp_path / "duration.xlsx")
    assert "duration.xlsx (sheet 'Sheet'): row 2 holds a cell that cannot be read" in message


def test_an_xlsx_cell_over_excels_limit_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    rows = HEADER + row(2, text("A2", "12"), text("B2", "x" * (MAX_CELL_CHARS + 1)))
    message = error_for(one_sheet(tmp_path / "long.xlsx", rows))
    assert "long.xlsx (sheet 'Data'): row 2, column B ('name') holds 32,768 characters" in message
    assert "Shorten the value in B2" in message


def test_a_cell_of_excels_limit_exactly_is_read(tmp_path: Path) -> None:
    path = tmp_path / "limit.csv"
    path.write_text("id,name\n12," + "x" * MAX_CELL_CHARS + "\n")
    (raw,) = open_sheet(path).rows()
    assert len(raw.values["name"]) == MAX_CELL_CHARS


def test_a_megabyte_csv_cell_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,name,notes\n12,Acme,ok\n14,Beta," + "y" * (1 << 20) + "\n")
    message = error_for(path)
    assert "big.csv: row 3, column C ('notes') holds 1,048,576 characters" in message
    assert "more than a cell can (Excel's limit: 32,767)" in message
    assert csv.field_size_limit() == 131_072  # lifted for that one read only


def test_a_csv_cell_over_excels_limit_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,name,notes\n12,Acme,ok\n14,Beta," + "y" * 40_000 + "\n")
    message = error_for(path)
    assert "long.csv: row 3, column C ('notes') holds 40,000 characters" in message


def test_a_header_over_excels_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id," + "h" * 40_000 + "\n1,2\n")
    message = error_for(path)
    assert "header.csv: the header of column B" in message
    assert "holds 40,000 characters" in message


def test_a_header_cell_beyond_the_csv_modules_limit_is_a_sheet_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id," + "h" * 200_000 + "\n1,2\n")
    assert "a cell holds more than 131,072 characters" in error_for(path)


def test_a_first_line_longer_than_any_header_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "oneline.csv"
    path.write_text("x" * (MAX_HEADER_CHARS + 10))
    assert f"line 1 is longer than {MAX_HEADER_CHARS:,} characters" in error_for(path)


def test_an_unclosed_quote_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id,name\n12,Acme\n14,"Beta\n16,Gamma\n')
    message = error_for(path)
    assert 'quote.csv: row 3 opens a quote (") that is never closed' in message


# -- wide sheets and duplicate headers --------------------------------------------------


def test_ten_thousand_columns_read(tmp_path: Path) -> None:
    headers = [f"c{i}" for i in range(10_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(headers) + "\n" + ",".join("v" for _ in headers) + "\n")
    sheet = open_sheet(path)
    assert len(sheet.headers) == 10_000
    assert sheet.letters["c9999"] == "NTP"
    (raw,) = sheet.rows()
    assert raw.values["c9999"] == "v"


def test_duplicate_headers_far_apart_name_both_letters(tmp_path: Path) -> None:
    headers = [f"c{i}" for i in range(10_000)]
    headers[-1] = " C0 "
    path = tmp_path / "dups.csv"
    path.write_text(",".join(headers) + "\n")
    message = error_for(path)
    assert "dups.csv: columns A ('c0') and NTP ('C0') have the same header" in message
    assert "each header must be unique" in message


# -- CSV text: NUL bytes and encodings ---------------------------------------------------


def test_a_nul_byte_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,name\n12,Acme\n14,Be\x00ta\n")
    message = error_for(path)
    assert "nul.csv: line 3 holds a NUL byte (character 0)" in message
    assert "UTF-16 text without a byte-order mark" in message
    assert "'CSV UTF-8 (Comma delimited)'" in message


def test_utf16_without_a_bom_is_refused_as_such(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("id,name\n12,Acmé\n".encode("utf-16-le"))
    assert "utf16.csv: line 1 holds a NUL byte" in error_for(path)


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_utf16_with_a_bom_is_decoded(tmp_path: Path, bom: bytes) -> None:
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    path = tmp_path / "utf16.csv"
    path.write_bytes(bom + "id,name\r\n12,Acmé €\r\n".encode(codec))
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Acmé €"})]


def test_a_nul_character_in_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "id,name\n12,A\x00\n".encode("utf-16-le"))
    assert "utf16.csv: line 2 holds a NUL character" in error_for(path)


def test_broken_utf16_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    # A lone high surrogate on line 2.
    path.write_bytes(codecs.BOM_UTF16_LE + "id,name\n12,".encode("utf-16-le") + b"\x00\xd8,\x00")
    assert "utf16.csv: line 2 holds byte 0x00, which is not text in UTF-16" in error_for(path)


def test_mixed_utf8_and_windows_1252_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"id,name\n12,Caf\xc3\xa9\n" + b"14,Zo\xebl\n"  # UTF-8 "é", then cp1252 "ë"
    )
    message = error_for(path)
    assert "mixed.csv: the file mixes two text encodings" in message
    assert "line 2 holds UTF-8 text ('é') but line 3 holds byte 0xEB" in message
    assert "Retype the accented characters of line 3" in message


def test_windows_1252_alone_is_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("id,name\n12,Zoël €\n".encode("cp1252"))
    assert list(open_sheet(path).rows()) == [RawRow(2, {"id": "12", "name": "Zoël €"})]


def test_a_byte_neither_encoding_reads_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"id,name\n12,Acme\n14,\x81\n")
    message = error_for(path)
    assert "broken.csv: line 3 holds byte 0x81, which is not text in UTF-8 or Windows-1252" in (
        message
    )


def test_a_utf8_bom_file_with_bad_bytes_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"id,name\n12,\xe9\n")
    assert "bom.csv: line 2 holds byte 0xE9, which is not text in UTF-8" in error_for(path)


def test_a_workbook_named_csv_is_called_what_it_is(tmp_path: Path) -> None:
    path = one_sheet(tmp_path / "book.xlsx", HEADER + FIRST).rename(tmp_path / "book.csv")
    message = error_for(path)
    assert "book.csv: this is an Excel workbook (or another zip file) with a .csv name" in message
    assert "Rename it to .xlsx" in message


def test_broken_row_xml_is_refused_as_damaged(tmp_path: Path) -> None:
    # Found by the property-based tests (calamine read past it): a row whose XML is broken.
    broken = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="">t="e"'
        '<is><t><row r="inlineStr"><is><t>name</t></is></c></row>'
    )
    message = error_for(one_sheet(tmp_path / "broken.xlsx", broken + FIRST))
    assert "broken.xlsx (sheet 'Data'): the sheet cannot be read; the workbook may be damaged" in (
        message
    )
