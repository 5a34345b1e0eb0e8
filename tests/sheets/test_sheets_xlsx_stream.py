"""Reading XLSX as a stream: what each producer writes, rows of many shapes, memory."""

from __future__ import annotations

import threading
import tracemalloc
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sheets_support import build_book, build_xlsx, inline

from rowpush.errors import SheetError
from rowpush.model import RawRow
from rowpush.sheets import open_sheet, xlsx_rows

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Cell styles: 0 General, 1 a custom date, 2 a custom duration, 3 text in quotes (not a
# date although it holds "d"), 4 built-in 14 redefined as a number, 5 built-in 22, 6 "@".
STYLES = (
    f'<styleSheet xmlns="{NS}"><numFmts count="4">'
    '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm"/>'
    '<numFmt numFmtId="166" formatCode="0.00&quot;d&quot;"/>'
    '<numFmt numFmtId="14" formatCode="0.0"/></numFmts><cellXfs count="7">'
    '<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/>'
    '<xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="49"/></cellXfs></styleSheet>'
)
HEADER = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
SHARED = ["<si><t>id</t></si>", "<si><t>name</t></si>"]


def read(path: Path) -> list[tuple[int, dict[str, object]]]:
    return [(r.row, dict(r.values)) for r in open_sheet(path).rows()]


def numbers(path: Path, styles: str, values: list[str], *, date1904: bool = False) -> list[object]:
    """What column A reads for each stored value, one row each, with style n on row n."""
    rows = HEADER + "".join(
        f'<row r="{i + 2}"><c r="A{i + 2}" s="{s}"><v>{v}</v></c></row>'
        for i, (s, v) in enumerate(zip(styles, values, strict=True))
    )
    book = build_book(path, rows, shared=SHARED, styles=STYLES, date1904=date1904)
    return [values["id"] for _, values in read(book)]


def test_number_formats_decide_dates_durations_and_numbers(tmp_path: Path) -> None:
    got = numbers(
        tmp_path / "formats.xlsx",
        "0123456",
        ["45000.5", "45000", "1.25", "45000", "45000", "45000.75", "007"],
    )
    assert got == [
        "45000.5",  # General
        date(2023, 3, 15),  # yyyy-mm-dd, a whole serial
        "30:00:00",  # [h]:mm, a duration past 24 hours
        "45000",  # "d" in quotes is text, not a day
        "45000",  # a workbook may redefine built-in format 14: its own code wins
        datetime(2023, 3, 15, 18, 0),  # built-in 22, m/d/yy h:mm
        "7",  # "@" formats the cell as text, but the number stored is a number
    ]


def test_the_1904_date_system_is_honoured(tmp_path: Path) -> None:
    got = numbers(tmp_path / "mac.xlsx", "15", ["0", "43538.5"], date1904=True)
    assert got == ["00:00:00", datetime(2023, 3, 15, 12, 0)]


def test_shared_strings_rich_text_phonetics_whitespace_and_escapes(tmp_path: Path) -> None:
    shared = [
        *SHARED,
        "<si><r><t>Ac</t></r><r><rPr><b/></rPr><t>me</t></r>"
        "<rPh sb='0' eb='1'><t>ア</t></rPh></si>",
        '<si><t xml:space="preserve">  kept  </t></si>',
        "<si><t>  trimmed\n</t></si>",
        "<si><t>a_x000D_b and _x005F_x000D_</t></si>",
        "<si><t>x &amp; y &#233;</t></si>",
        "<si/>",
    ]
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s"><v>{n}</v></c></row>'
        for n in range(2, 8)
    )
    book = build_book(tmp_path / "shared.xlsx", rows, shared=shared, styles=STYLES)
    assert [v["name"] for _, v in read(book)] == [
        "Acme",
        "  kept  ",
        "trimmed",  # without xml:space="preserve", Excel and calamine trim
        "a\rb and _x000D_",
        "x & y é",
        "",
    ]


def test_inline_strings_as_xlsxwriter_writes_them_in_constant_memory(tmp_path: Path) -> None:
    rows = (
        '<row r="1" spans="1:2"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
        + "".join(
            f'<row r="{n}" spans="1:2"><c r="A{n}" t="inlineStr"><is><t>00{n}</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t xml:space="preserve"> x&amp;{n} </t></is></c></row>'
            for n in range(2, 5)
        )
        + '<row r="5"><c r="A5" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c></row>'
    )
    book = build_book(tmp_path / "inline.xlsx", rows)
    assert read(book) == [
        (2, {"id": "002", "name": " x&2 "}),
        (3, {"id": "003", "name": " x&3 "}),
        (4, {"id": "004", "name": " x&4 "}),
        (5, {"id": "rich", "name": ""}),
    ]


def test_a_workbook_laid_out_as_libreoffice_saves_it(tmp_path: Path) -> None:
    def row(n: int, cells: str) -> str:
        return (
            f'<row r="{n}" s="1" customFormat="false" ht="12.8" hidden="false" '
            f'customHeight="false" outlineLevel="0" collapsed="false">{cells}</row>'
        )

    rows = row(1, '<c r="A1" s="0" t="s"><v>0</v></c><c r="B1" s="0" t="s"><v>1</v></c>') + "".join(
        row(n, f'<c r="A{n}" s="0" t="n"><v>{n}</v></c><c r="B{n}" s="1" t="n"><v>45000</v></c>')
        for n in range(2, 40)
    )
    book = build_book(tmp_path / "calc.xlsx", rows, shared=SHARED, styles=STYLES)
    got = read(book)
    assert len(got) == 38
    assert got[0] == (2, {"id": "2", "name": date(2023, 3, 15)})
    assert got[-1] == (39, {"id": "39", "name": date(2023, 3, 15)})


def test_a_pretty_printed_sheet_with_prefixed_attributes(tmp_path: Path) -> None:
    rows = (
        "\n  " + HEADER + '\n  <row r="2" spans="1:2" x14ac:dyDescent="0.25">\n'
        '    <c r="A2"><v>5</v></c>\n    <c r="B2" t="s"><v>1</v></c>\n  </row>\n'
    )
    ac = ' xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"'
    book = build_book(tmp_path / "pretty.xlsx", rows, shared=SHARED, root_attrs=ac)
    assert read(book) == [(2, {"id": "5", "name": "name"})]


def test_rows_of_many_shapes_read_in_order(tmp_path: Path) -> None:
    # Excel leaves empty cells out, so a sparse table has rows of several shapes.
    def cells(n: int) -> str:
        a = f'<c r="A{n}"><v>{n}</v></c>' if n % 3 else ""
        b = f'<c r="B{n}" t="s"><v>{n % 2}</v></c>' if n % 4 else ""
        c = f'<c r="B{n}" t="b"><v>1</v></c>' if n % 4 == 0 and n % 5 == 0 else ""
        return a + b + c

    rows = HEADER + "".join(f'<row r="{n}">{cells(n)}</row>' for n in range(2, 5000))
    book = build_book(tmp_path / "sparse.xlsx", rows, shared=SHARED)
    expected = []
    for n in range(2, 5000):
        name = ["id", "name"][n % 2] if n % 4 else ("TRUE" if n % 5 == 0 else "")
        value = {"id": str(n) if n % 3 else "", "name": name}
        if any(value.values()):
            expected.append((n, value))
    assert read(book) == expected


def test_a_row_the_fast_path_cannot_read_is_named(tmp_path: Path) -> None:
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s">'
        f"<v>{9 if n == 3000 else 1}</v></c></row>"
        for n in range(2, 5000)
    )
    book = build_book(tmp_path / "index.xlsx", rows, shared=SHARED)
    with pytest.raises(SheetError) as err:
        list(open_sheet(book).rows())
    assert "index.xlsx (sheet 'Data'): the sheet cannot be read; the workbook may be damaged" in (
        str(err.value)
    )
    assert "cell B3000 points at shared text '9', which the workbook lacks" in str(err.value)


def test_a_formula_never_calculated_is_found_among_many_rows(tmp_path: Path) -> None:
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}"><f>1+1</f><v>{"" if n == 4321 else 2}</v></c></row>'
        for n in range(2, 5000)
    )
    book = build_book(tmp_path / "f.xlsx", rows, shared=SHARED)
    with pytest.raises(SheetError, match="cell A4321 holds a formula that was never calculated"):
        list(open_sheet(book).rows())


def test_iso_date_cells(tmp_path: Path) -> None:
    rows = (
        HEADER + '<row r="2"><c r="A2" t="d"><v>2024-01-02T03:04:05</v></c>'
        '<c r="B2" t="d"><v>2024-01-02</v></c></row>'
    )
    assert read(build_book(tmp_path / "iso.xlsx", rows, shared=SHARED)) == [
        (2, {"id": datetime(2024, 1, 2, 3, 4, 5), "name": date(2024, 1, 2)})
    ]


def test_rows_without_references_follow_the_row_before(tmp_path: Path) -> None:
    rows = (
        '<row><c t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>name</t></is></c>'
        '</row><row r="4"><c><v>1</v></c><c><v>2</v></c></row><row><c r="B5"><v>3</v></c></row>'
        "<row><c><v>4</v></c></row>"
    )
    path = build_xlsx(tmp_path / "norefs.xlsx", [("Data", "visible", rows)])
    assert read(path) == [
        (4, {"id": "1", "name": "2"}),
        (5, {"id": "", "name": "3"}),
        (6, {"id": "4", "name": ""}),
    ]


def test_a_chart_sheet_chosen_by_name_is_refused(tmp_path: Path) -> None:
    built = build_xlsx(tmp_path / "built.xlsx", [("Chart", "visible", "")])
    path = tmp_path / "chart.xlsx"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():  # its relationship made a chart sheet's
            data = src.read(name).replace(b"relationships/worksheet", b"relationships/chartsheet")
            dst.writestr(name, data)
    with pytest.raises(SheetError, match=r"chart\.xlsx \(sheet 'Chart'\): this is a chart sheet"):
        open_sheet(path, "Chart")


def test_reading_stops_cleanly_part_way(tmp_path: Path) -> None:
    rows = f'<row r="1">{inline("A1", "id")}</row>' + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 200_000)
    )
    path = build_xlsx(tmp_path / "long.xlsx", [("Data", "visible", rows)])
    stream = open_sheet(path).rows()
    assert next(stream) == RawRow(2, {"id": "2"})
    stream.close()  # the thread inflating blocks ahead stops with it
    assert not [t for t in threading.enumerate() if t.name == "xlsx-inflate"]


def _peak_bytes(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in open_sheet(path).rows())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_sheet_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small blocks and memos reach the reader's fixed bound early, on sheets a test can afford.
    monkeypatch.setattr(xlsx_rows, "_BLOCK", 1 << 15)
    monkeypatch.setattr(xlsx_rows, "_MEMO", 1 << 10)

    def book(name: str, rows: int) -> Path:
        body = HEADER + "".join(
            f'<row r="{n}"><c r="A{n}" s="1"><v>{45000 + n / 1440}</v></c>'
            f'<c r="B{n}" t="s"><v>{n % 2}</v></c></row>'
            for n in range(2, rows + 2)
        )
        return build_book(tmp_path / name, body, shared=SHARED, styles=STYLES)

    small, small_peak = _peak_bytes(book("small.xlsx", 6_000))
    large, large_peak = _peak_bytes(book("large.xlsx", 30_000))
    assert (small, large) == (6_000, 30_000)
    # Five times the rows, not five times the memory (holding them all: about 9 MB).
    assert large_peak < 1.2 * small_peak
    assert large_peak < 2 << 20


def test_a_bad_checksum_found_at_the_end_of_a_long_sheet_is_a_sheet_error(tmp_path: Path) -> None:
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s"><v>1</v></c></row>'
        for n in range(2, 40_000)
    )
    path = build_book(tmp_path / "crc.xlsx", rows, shared=SHARED)
    data = bytearray(path.read_bytes())
    # Flip a byte of the sheet part's CRC in the central directory (zipfile checks it
    # when the part's last byte is read, long after the first rows were read).
    at = data.find(b"xl/worksheets/sheet1.xml", data.find(b"PK\x01\x02")) - 46
    data[at + 16] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SheetError) as err:
        list(open_sheet(path).rows())
    assert "crc.xlsx (sheet 'Data'): the sheet cannot be read; the workbook may be damaged" in (
        str(err.value)
    )
