"""Files that cannot be read: each is a SheetError naming the file and saying what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sheets_support import MakeXlsx

from rowpush.errors import BadInput, SheetError
from rowpush.sheets import open_sheet, read_meta

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def compound_file(path: Path, *streams: str) -> Path:
    """A stand-in for an OLE compound file: its magic, then directory entry names."""
    body = CFB_MAGIC + bytes(504)
    for name in streams:
        body += name.encode("utf-16-le") + bytes(128 - 2 * len(name))
    path.write_bytes(body + bytes(2048))
    return path


def error_for(path: Path, sheet: str | None = None) -> str:
    with pytest.raises(SheetError) as err:
        open_sheet(path, sheet)
    assert isinstance(err.value, BadInput)
    assert err.value.exit_code == 2
    return str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    message = error_for(tmp_path / "nothere.csv")
    assert "nothere.csv: no such file." in message
    assert "Check the file name" in message


def test_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "clients.xlsx"
    folder.mkdir()
    message = error_for(folder)
    assert "clients.xlsx: this is a folder" in message
    assert "Give the path of a .csv, .tsv, .xlsx, .xlsm file" in message


@pytest.mark.parametrize("name", ["clients.ods", "clients.json", "clients"])
def test_unsupported_extension_lists_the_supported_ones(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("a,b\n")
    message = error_for(path)
    assert f"{name}: rowpush cannot read" in message
    assert "Save the sheet as one of: .csv, .tsv, .xlsx, .xlsm" in message


def test_old_xls_workbook(tmp_path: Path) -> None:
    path = compound_file(tmp_path / "legacy.xls", "Workbook")
    message = error_for(path)
    assert "legacy.xls: this is an old Excel 97-2003 workbook (.xls)" in message
    assert "save it as 'Excel Workbook (.xlsx)'" in message


def test_password_protected_xlsx(tmp_path: Path) -> None:
    # Excel saves an encrypted .xlsx as an OLE compound file holding EncryptionInfo.
    path = compound_file(tmp_path / "secret.xlsx", "EncryptionInfo", "EncryptedPackage")
    message = error_for(path)
    assert "secret.xlsx: the workbook is password-protected (encrypted)" in message
    assert "Remove the password in Excel" in message
    assert "save again" in message


def test_password_protected_is_detected_by_the_magic_bytes_alone(tmp_path: Path) -> None:
    path = compound_file(tmp_path / "secret.xlsx")
    assert "password-protected" in error_for(path)


def test_old_xls_content_renamed_xlsx(tmp_path: Path) -> None:
    path = compound_file(tmp_path / "renamed.xlsx", "Workbook", "SummaryInformation")
    message = error_for(path)
    assert (
        "renamed.xlsx: this is an old Excel 97-2003 workbook (.xls) with an .xlsx name" in message
    )


def test_a_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("Name,Code\nAcme,1\n")
    message = error_for(path)
    assert "fake.xlsx: this is not an Excel workbook" in message
    assert "save it as 'Excel Workbook (.xlsx)'" in message


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    message = error_for(path)
    assert "damaged.xlsx: the workbook cannot be read; it may be damaged" in message
    assert "save it again" in message


def test_a_truncated_workbook(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["a"], ["1"]], name="cut.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = error_for(path)
    assert "cut.xlsx: the workbook cannot be read" in message


def test_empty_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "zero.xlsx"
    path.write_bytes(b"")
    message = error_for(path)
    assert "zero.xlsx: the file is empty." in message


def test_an_empty_sheet_has_no_header_row(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([], name="blank.xlsx")
    message = error_for(path)
    assert "blank.xlsx (sheet 'Data'): no header row (the sheet is empty)" in message
    assert "Put the column headers in row 1" in message


def test_duplicate_headers_in_xlsx_name_both_letters(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["Name", "Code", "E-mail", " name"]], name="dups.xlsx")
    message = error_for(path)
    assert "dups.xlsx (sheet 'Data')" in message
    assert "columns A ('Name') and D ('name') have the same header" in message


def test_blank_header_in_the_middle_of_xlsx_columns(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["Name", "Code", None, "City"], ["a", "b", "c", "d"]], name="gap.xlsx")
    message = error_for(path)
    assert "gap.xlsx (sheet 'Data'): column C has no header (cell C1 is blank)" in message


def test_read_meta_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match=r"gone\.xlsx: no such file"):
        read_meta(tmp_path / "gone.xlsx")


def test_messages_carry_no_traceback_text(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("x")
    message = error_for(path)
    assert "Traceback" not in message
    assert "Error(" not in message
