"""Hostile files through `rowpush validate`: exit 2 with one clear message naming the file,
the place and the fix (or exit 0 when the file is fine), never a traceback, bounded time.

Fixtures are written at test time; property-based tests throw malformed CSV and mutated
XLSX bytes at the CLI."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VALIDATE = ("validate", "-t", "halopsa.clients")
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # validate needs no connection: no sandbox, no rowpush.toml.
    monkeypatch.chdir(tmp_path)


def validate(rowpush: Any, path: Path) -> Any:
    result = rowpush(VALIDATE[0], str(path), *VALIDATE[1:])
    assert "Traceback" not in result.out + result.err
    return result


def refused(rowpush: Any, path: Path) -> str:
    """The error text of a file `validate` refuses (exit 2, naming the file)."""
    result = validate(rowpush, path)
    assert result.code == 2, result.out + result.err
    assert path.name in result.err
    return str(result.err)


def workbook(path: Path, rows: list[list[object]], **cells: object) -> Path:
    """An XLSX written by openpyxl: `rows` from A1, then `cells` by reference."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Clients"
    for values in rows:
        sheet.append(values)
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path


def edit_sheet(path: Path, edit: Callable[[str], str]) -> Path:
    """Rewrite the first sheet's XML of a workbook (what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info) for info in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info, data in parts.items():
            if info.filename == SHEET:
                data = edit(data.decode()).encode()
            z.writestr(info.filename, data)
    return path


CLIENTS = [["id", "name"], [12, "Acme"], [14, "Beta"]]


# -- XLSX ----------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_the_zip_directory(rowpush: Any, tmp_path: Path) -> None:
    path = workbook(tmp_path / "bomb.xlsx", CLIENTS)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # first entry of the central directory
    struct.pack_into("<I", data, at + 24, 3 << 30)  # it now claims 3 GiB of XML
    path.write_bytes(bytes(data))
    started = time.process_time()
    err = refused(rowpush, path)
    assert time.process_time() - started < 1
    assert "the workbook would unpack to 3.0 GiB of XML, more than rowpush reads (1.0 GiB)" in err
    assert "'zip bomb'" in err


def test_truncated_xlsx_says_it_is_not_a_readable_xlsx(rowpush: Any, tmp_path: Path) -> None:
    path = workbook(tmp_path / "cut.xlsx", CLIENTS)
    path.write_bytes(path.read_bytes()[:-200])
    err = refused(rowpush, path)
    assert "cut.xlsx: the workbook cannot be read; it may be damaged or cut short" in err
    assert "it is not a readable XLSX (zip) file" in err
    assert "save it again as 'Excel Workbook (.xlsx)', or export the sheet as 'CSV UTF-8'" in err


def test_a_stray_value_in_the_last_cell_is_refused_not_a_crash(
    rowpush: Any, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "stray.xlsx", CLIENTS, XFD1048576="oops")
    err = refused(rowpush, path)
    assert (
        "stray.xlsx (sheet 'Clients'): row 1048576, column XFD holds 'oops' but that column "
        "has no header"
    ) in err
    assert "Add a header in XFD1, or clear the column" in err


@pytest.mark.slow
def test_a_million_empty_formatted_rows_cost_seconds_not_minutes(
    rowpush: Any, tmp_path: Path
) -> None:
    # What Excel writes for rows formatted down to row 1,000,003 (the sheets tests add cells).
    empty = "".join(f'<row r="{n}" s="0" customFormat="1"/>' for n in range(4, 1_000_004))
    path = workbook(tmp_path / "formatted.xlsx", CLIENTS)
    edit_sheet(path, lambda xml: xml.replace("</sheetData>", empty + "</sheetData>"))
    started = time.process_time()
    result = validate(rowpush, path)
    assert result.code == 0, result.err
    assert "formatted.xlsx: 2 row(s) valid for halopsa.clients." in result.out
    assert time.process_time() - started < 15  # measured: about 3 s of CPU


def test_formulas_are_read_by_their_cached_values(rowpush: Any, tmp_path: Path) -> None:
    path = workbook(tmp_path / "cached.xlsx", [["id", "name"], ["=10+2", "Acme"]])
    edit_sheet(path, lambda xml: xml.replace("<f>10+2</f><v></v>", "<f>10+2</f><v>12</v>"))
    result = validate(rowpush, path)
    assert result.code == 0, result.err
    assert "cached.xlsx: 1 row(s) valid" in result.out


def test_formulas_never_calculated_are_refused(rowpush: Any, tmp_path: Path) -> None:
    # A blank id would plan a create: better to say the value is not there.
    path = workbook(tmp_path / "generated.xlsx", [["id", "name"], ["=10+2", "Acme"]])
    err = refused(rowpush, path)
    assert "generated.xlsx (sheet 'Clients'): cell A2 holds a formula that was never calc" in err
    assert "Open the file in Excel (or LibreOffice) and save it" in err


def test_merged_cells_are_refused_naming_the_range(rowpush: Any, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in [["id", "name"], [12, "Acme"], [14, None]]:
        sheet.append(values)
    sheet.merge_cells("B2:B3")
    book.save(tmp_path / "merged.xlsx")
    err = refused(rowpush, tmp_path / "merged.xlsx")
    assert "cells B2:B3 are merged. A merged value belongs to its first cell only (B2)" in err
    assert "Unmerge B2:B3" in err


def test_the_first_visible_sheet_is_read_past_hidden_ones(rowpush: Any, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    junk = book.active
    assert junk is not None
    junk.title = "Lookup"
    junk.append(["code", "label"])
    junk["XFD1048576"] = "never read"
    junk.sheet_state = "hidden"
    clients = book.create_sheet("Clients")
    for values in CLIENTS:
        clients.append(values)
    book.save(tmp_path / "hidden.xlsx")
    result = validate(rowpush, tmp_path / "hidden.xlsx")
    assert result.code == 0, result.err
    assert "hidden.xlsx: 2 row(s) valid for halopsa.clients." in result.out


def test_duplicate_headers_name_both_letters(rowpush: Any, tmp_path: Path) -> None:
    path = workbook(tmp_path / "dups.xlsx", [["id", "name", "notes", " Name "], [12, "A", "", ""]])
    err = refused(rowpush, path)
    assert (
        "dups.xlsx (sheet 'Clients'): columns B ('name') and D ('Name') have the same header"
        in (err)
    )
    assert "Rename or delete one of them" in err


# -- CSV -----------------------------------------------------------------------------------


def test_ten_thousand_columns_give_one_warning_not_ten_thousand(
    rowpush: Any, tmp_path: Path
) -> None:
    headers = ["id", "name"] + [f"extra{i}" for i in range(9_998)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(headers) + "\n" + ",".join(["12", "Acme"] + ["x"] * 9_998) + "\n")
    result = validate(rowpush, path)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: wide.csv: 9,998 columns are not columns of halopsa.clients and are ignored: "
        "C ('extra0'), D ('extra1'), E ('extra2'), … NTP ('extra9997'). Is this sheet for "
        "halopsa.clients? See `rowpush template halopsa.clients` for its columns."
    ]


def test_a_megabyte_cell_is_refused_naming_row_and_column(rowpush: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,name,notes\n12,Acme,ok\n14,Beta," + "y" * (1 << 20) + "\n")
    err = refused(rowpush, path)
    assert "big.csv: row 3, column C ('notes') holds 1,048,576 characters" in err
    assert "Shorten the value in C3" in err


def test_nul_bytes_are_refused_naming_the_line(rowpush: Any, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,name\n12,Acme\n14,Be\x00ta\n")
    err = refused(rowpush, path)
    assert "nul.csv: line 3 holds a NUL byte (character 0), which a text CSV never does" in err
    assert "save it as 'CSV UTF-8 (Comma delimited)'" in err


def test_utf16_with_a_bom_is_decoded(rowpush: Any, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("id,name\r\n12,Acmé\r\n".encode("utf-16"))
    result = validate(rowpush, path)
    assert result.code == 0, result.err


def test_mixed_encodings_are_refused_naming_both_lines(rowpush: Any, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,name\n12,Caf\xc3\xa9\n14,Zo\xebl\n")
    err = refused(rowpush, path)
    assert "mixed.csv: the file mixes two text encodings" in err
    assert "line 2 holds UTF-8 text ('é') but line 3 holds byte 0xEB" in err


# -- property-based: malformed bytes never crash validate ----------------------------------

_CSV_HEADS = [b"id,name\n", b"\xef\xbb\xbfid;name\r\n", b"\xff\xfei\x00d\x00,\x00", b"id\tname\n"]
_CSV_TOKENS = [
    b",",
    b";",
    b"\t",
    b'"',
    b'""',
    b"\n",
    b"\r\n",
    b"\r",
    b"12",
    b"Acme",
    b"\x00",
    b"\xe9",
    b"\xc3\xa9",
    b"\x81",
    b"\xef\xbb\xbf",
    b" ",
    b"=1+1",
    b"id",
    b"name",
]
csv_bytes = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda head, body: head + b"".join(body),
        st.sampled_from(_CSV_HEADS),
        st.lists(st.sampled_from(_CSV_TOKENS), max_size=60),
    ),
)


def check_never_crashes(rowpush: Any, path: Path) -> None:
    result = rowpush(VALIDATE[0], str(path), *VALIDATE[1:])
    text = result.out + result.err
    assert "Traceback" not in text
    assert result.code in (0, 2), text
    if result.code == 2:
        assert path.name in result.err, text


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=csv_bytes)
def test_malformed_csv_never_crashes_validate(rowpush: Any, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    check_never_crashes(rowpush, path)


@cache
def _template() -> tuple[bytes, str]:
    """A valid small workbook, and its sheet XML (mutated by the tests below)."""
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in [*CLIENTS, [16, "Gamma"]]:
        sheet.append(values)
    book.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return buffer.getvalue(), z.read(SHEET).decode()


def _rezip(sheet_xml: str) -> bytes:
    """The template with its sheet part replaced."""
    template, _ = _template()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = sheet_xml.encode() if info.filename == SHEET else src.read(info)
            dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


_XML_TOKENS = [
    '<c r="',
    "XFD",
    "A",
    "ZZZZ",
    "1048576",
    "99999999999",
    '">',
    '"/>',
    "<v>",
    "</v>",
    "<f>",
    "</f>",
    "</c>",
    '<row r="',
    "</row>",
    't="e"',
    't="s"',
    't="str"',
    "<is><t>",
    "</t></is>",
    "&amp;",
    "<",
    ">",
    '"',
    " ",
    "0",
    "-1",
    '<mergeCell ref="A1:B2"/>',
]


@st.composite
def mutated_xlsx(draw: st.DrawFn) -> bytes:
    template, xml = _template()
    kind = draw(st.sampled_from(["truncate", "flip", "xml"]))
    if kind == "truncate":
        return template[: draw(st.integers(0, len(template)))]
    if kind == "flip":
        data = bytearray(template)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    # Splice XML-ish tokens into the sheet part, then zip it properly: this reaches the
    # reader itself (far references, broken tags, odd cells), which byte flips rarely do.
    start = xml.index("<sheetData>")
    at = draw(st.integers(start, len(xml)))
    cut = draw(st.integers(0, 40))
    tokens = draw(st.lists(st.sampled_from(_XML_TOKENS), max_size=12))
    return _rezip(xml[:at] + "".join(tokens) + xml[at + cut :])


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=mutated_xlsx())
def test_mutated_xlsx_never_crashes_validate(rowpush: Any, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    check_never_crashes(rowpush, path)


def test_the_template_the_mutations_start_from_is_valid(rowpush: Any, tmp_path: Path) -> None:
    _, xml = _template()
    path = tmp_path / "template.xlsx"
    path.write_bytes(_rezip(xml))
    result = validate(rowpush, path)
    assert result.code == 0, result.err
    assert "template.xlsx: 3 row(s) valid" in result.out
