"""Reading CSV files: encodings, delimiters, quoting, row numbers, header rules."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pytest
from sheets_support import FIXTURES, MIXED_CSV_LINES

from rowpush.errors import SheetError
from rowpush.model import RawRow
from rowpush.sheets import csv_reader, normalize_header, open_sheet
from rowpush.sheets.cells import csv_unescape


def write(tmp_path: Path, data: bytes | str, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def rows_of(path: Path) -> list[RawRow]:
    return list(open_sheet(path).rows())


def test_committed_cp1252_semicolon_fixture_reads_accents_euro_and_quotes() -> None:
    sheet = open_sheet(FIXTURES / "clients_semicolon_cp1252.csv")
    assert sheet.name is None
    assert sheet.target is None
    assert sheet.headers == ["Name", "Code", "City", "Balance"]
    rows = list(sheet.rows())
    assert rows[0] == RawRow(
        2, {"Name": "Société Générale", "Code": "00123", "City": "Paris", "Balance": "1 200 €"}
    )
    assert rows[1].values["Name"] == "Müller & Söhne"
    assert rows[1].values["Code"] == "0042"
    assert rows[1].values["City"] == "Köln; Ehrenfeld"


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("cp1252", b"", "cp1252"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
    ],
)
def test_encoding_is_detected_and_text_decoded(
    tmp_path: Path, encoding: str, bom: bytes, expected: str
) -> None:
    text = "Name,Note\r\nMüller & Söhne,€ 5\r\nSociété Générale,ok\r\n"
    path = write(tmp_path, bom + text.encode(encoding))
    assert csv_reader.detect_encoding(path) == expected
    sheet = open_sheet(path)
    assert sheet.headers == ["Name", "Note"]  # no BOM left on the first header
    assert [r.values for r in sheet.rows()] == [
        {"Name": "Müller & Söhne", "Note": "€ 5"},
        {"Name": "Société Générale", "Note": "ok"},
    ]


@pytest.mark.parametrize("block", [3, 4, 5, 6, 7])
def test_utf8_is_detected_across_read_blocks_even_far_into_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Tiny blocks split "é" and "€" between reads: the decoder must carry the bytes over.
    monkeypatch.setattr(csv_reader, "_BLOCK", block)
    path = write(tmp_path, "a,b\nx,y\né,€\n")
    assert csv_reader.detect_encoding(path) == "utf-8"
    assert rows_of(path)[-1].values == {"a": "é", "b": "€"}


def test_undecodable_bytes_are_a_sheet_error(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    path = write(tmp_path, b"a,b\n\x81,2\n", name="broken.csv")
    with pytest.raises(SheetError) as err:
        open_sheet(path)
    assert "broken.csv" in str(err.value)
    assert "CSV UTF-8" in str(err.value)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_detected_from_the_header(tmp_path: Path, delimiter: str) -> None:
    lines = ["Name", "Amount", "City"], ["Acme", "12,5", "Paris"]
    # Quoted cells, so that "12,5" holds a comma whatever the delimiter.
    text = "\n".join(delimiter.join(f'"{c}"' for c in line) for line in lines)
    path = write(tmp_path, text + "\n")
    sheet = open_sheet(path)
    assert sheet.headers == ["Name", "Amount", "City"]
    assert [r.values for r in sheet.rows()] == [{"Name": "Acme", "Amount": "12,5", "City": "Paris"}]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb\tc", "\t"),
        ('"Name, full";Amount;City', ";"),  # the comma is inside quotes
        ('"a;b","c;d",e', ","),
        ("single", ","),
    ],
)
def test_detect_delimiter_counts_outside_quotes(line: str, expected: str) -> None:
    assert csv_reader.detect_delimiter(line) == expected


def test_quoted_cells_keep_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'Name,Address,Note\n"Acme, Inc","1 Main St\nSpringfield","He said ""hi"""\nNext,x,y\n',
    )
    rows = rows_of(path)
    assert rows[0] == RawRow(
        2, {"Name": "Acme, Inc", "Address": "1 Main St\nSpringfield", "Note": 'He said "hi"'}
    )
    # A newline inside quotes does not start a new row: "Next" is row 3, as in Excel.
    assert rows[1].row == 3
    assert rows[1].values["Name"] == "Next"


def test_every_cell_stays_text_with_leading_zeros_and_no_nan(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Code,Zip,Amount,Flag,Missing\n00123,01000,1.50,TRUE,NA\n007,,1e3,n/a,\n"
    )
    rows = rows_of(path)
    assert rows[0].values == {
        "Code": "00123",
        "Zip": "01000",
        "Amount": "1.50",
        "Flag": "TRUE",
        "Missing": "NA",
    }
    assert rows[1].values == {
        "Code": "007",
        "Zip": "",
        "Amount": "1e3",
        "Flag": "n/a",
        "Missing": "",
    }


def test_blank_lines_are_skipped_but_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\r\n1,2\r\n\r\n,\r\n  ,\r\n3,4\r\n\r\n")
    assert [(r.row, r.values["a"]) for r in rows_of(path)] == [(2, "1"), (6, "3")]


def test_blank_lines_above_the_header_push_it_down(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\na,b\n1,2\n")
    sheet = open_sheet(path)
    assert sheet.header_row == 3
    assert [r.row for r in sheet.rows()] == [4]


def test_short_rows_are_padded_with_blanks(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1\n1,2\n")
    assert [r.values for r in rows_of(path)] == [
        {"a": "1", "b": "", "c": ""},
        {"a": "1", "b": "2", "c": ""},
    ]


def test_a_row_with_more_cells_than_the_header_is_an_error_naming_the_row(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, 'a,b\n1,2\n"x\ny",2\n3,4,5\n', name="extra.csv")
    sheet = open_sheet(path)
    with pytest.raises(SheetError) as err:
        list(sheet.rows())
    message = str(err.value)
    assert "extra.csv" in message
    assert "row 4 has 3 cells but the header row has 2 (column C has no header)" in message
    assert "stray comma" in message


def test_rows_stream_before_a_late_error_is_met(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n" + "1,2\n" * 20 + "1,2,3\n")
    rows = open_sheet(path).rows()
    first = [next(rows) for _ in range(5)]
    assert [r.row for r in first] == [2, 3, 4, 5, 6]
    with pytest.raises(SheetError, match="row 22 has 3 cells"):
        list(rows)


def test_rows_can_be_read_again_from_the_start(tmp_path: Path) -> None:
    sheet = open_sheet(write(tmp_path, "a\n1\n2\n"))
    assert [r.values["a"] for r in sheet.rows()] == ["1", "2"]
    assert [r.values["a"] for r in sheet.rows()] == ["1", "2"]


def test_headers_are_trimmed_and_values_keyed_by_the_trimmed_header(tmp_path: Path) -> None:
    path = write(tmp_path, "  Client Name ,  Code \n Acme , 1 \n")
    sheet = open_sheet(path)
    assert sheet.headers == ["Client Name", "Code"]
    assert sheet.letters == {"Client Name": "A", "Code": "B"}
    # Values are as written: trimming them is the model's business.
    assert next(sheet.rows()).values == {"Client Name": " Acme ", "Code": " 1 "}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Client Name", "client name"),
        ("  CLIENT   name\t", "client name"),
        ("Client\nName", "client name"),
        ("Straße", "strasse"),
        ("Client\u00a0Name", "client name"),
    ],
)
def test_normalize_header(text: str, expected: str) -> None:
    assert normalize_header(text) == expected


def test_duplicate_headers_after_normalizing_name_both_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Client Name,Code,client  NAME \nx,y,z\n", name="dups.csv")
    with pytest.raises(SheetError) as err:
        open_sheet(path)
    message = str(err.value)
    assert "dups.csv" in message
    assert "columns A ('Client Name') and C ('client  NAME') have the same header" in message
    assert "Rename or delete one" in message


def test_blank_header_between_named_columns_names_its_letter(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,,Code\n1,2,3\n", name="gap.csv")
    with pytest.raises(SheetError) as err:
        open_sheet(path)
    message = str(err.value)
    assert "gap.csv" in message
    assert "column B has no header (cell B1 is blank)" in message
    assert "Type a header in B1, or delete column B" in message


def test_trailing_blank_header_columns_are_ignored_while_blank(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,,\n1,2,,\n")
    sheet = open_sheet(path)
    assert sheet.headers == ["a", "b"]
    assert [r.values for r in sheet.rows()] == [{"a": "1", "b": "2"}]


def test_a_value_under_a_blank_trailing_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,\n1,2,\n1,2,surprise\n", name="stray.csv")
    sheet = open_sheet(path)
    with pytest.raises(SheetError) as err:
        list(sheet.rows())
    message = str(err.value)
    assert "stray.csv" in message
    assert "row 3, column C holds 'surprise' but that column has no header" in message
    assert "Add a header in C1" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "no header row"),
        (codecs.BOM_UTF8 + b",,\n", "no header row"),
    ],
)
def test_empty_file_or_no_header_row(tmp_path: Path, data: bytes, expected: str) -> None:
    path = write(tmp_path, data, name="empty.csv")
    with pytest.raises(SheetError) as err:
        open_sheet(path)
    assert "empty.csv" in str(err.value)
    assert expected in str(err.value)
    assert "headers in row 1" in str(err.value)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    sheet = open_sheet(write(tmp_path, "a,b\n"))
    assert sheet.headers == ["a", "b"]
    assert list(sheet.rows()) == []


def test_tsv_suffix_is_read_as_delimited_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a\tb\n1\t2\n", name="clients.tsv")
    assert [r.values for r in rows_of(path)] == [{"a": "1", "b": "2"}]


def test_a_sheet_name_for_a_csv_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\n", name="plain.csv")
    with pytest.raises(SheetError, match=r"plain\.csv: a CSV file has no sheets"):
        open_sheet(path, sheet="Data")


def test_every_row_reads_as_the_layout_makes_it(tmp_path: Path) -> None:
    """The usual row takes a short cut (one join); each kind of row must still read as
    the layout's `make_row` reads it: blank, whitespace-only, short, padded with empty
    trailing cells, escaped with csv_safe's quote, quoted over lines, non-ASCII."""
    path = write(tmp_path, "\r\n".join(MIXED_CSV_LINES) + "\r\n")
    sheet = open_sheet(path)
    source = sheet._source
    assert isinstance(source, csv_reader.CsvRows)
    layout = source.layout
    expected = []
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    for number, cells in enumerate(records[1:], start=2):
        unescaped = [csv_unescape(c) for c in cells] if any(c[:1] == "'" for c in cells) else cells
        row = layout.make_row(number, unescaped, str(path))
        if row is not None:
            expected.append(row)
    assert list(sheet.rows()) == expected
    assert [r.row for r in expected] == [2, 5, 6, 7, 8, 9, 10]
    assert expected[2].values == {"Name": "Padded", "Code": "7", "Note": "x"}
    assert expected[3].values == {"Name": "=1+1", "Code": "'-2", "Note": "O'Brien"}


def test_a_cell_longer_than_excel_takes_is_an_error_naming_its_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Note\r\nAcme," + "x" * 32_768 + "\r\n")
    with pytest.raises(SheetError, match=r"row 2, column B \('Note'\) holds 32,768 characters"):
        rows_of(path)
