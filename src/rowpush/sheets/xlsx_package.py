"""The XLSX package (a zip of XML parts), checked before any part is inflated.

A zip declares each part's inflated size; a zip bomb (a small file that inflates to
gigabytes) would exhaust memory or time. `open_package` reads the zip's directory only
(nothing is inflated) and refuses a file that is not a zip or is cut short, two parts
with one name, a total inflated size over `MAX_UNPACKED_BYTES`, or a part inflating
more than `MAX_RATIO` times. `read_index_part` reads one of the small parts that index
the workbook (workbook.xml, its relationships, styles), refusing one of absurd size.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

from rowpush.errors import SheetError

__all__ = [
    "MAX_RATIO",
    "MAX_UNPACKED_BYTES",
    "ZIP_ERRORS",
    "open_package",
    "read_index_part",
    "unreadable",
]

#: Total inflated size of a workbook's parts. Excel's largest sheet (1,048,576 rows) of 10
#: columns is about 350 MB of XML; rowpush streams it, but 1 GiB of XML is no spreadsheet
#: a person made. Bigger data reads better as CSV, which rowpush streams too.
MAX_UNPACKED_BYTES = 1 << 30
#: Inflated ÷ compressed size refused for a big part. Spreadsheet XML compresses 5-20:1
#: (1,000,000 empty formatted rows: 13:1); deflate tops out near 1,030:1.
MAX_RATIO = 200
#: Parts smaller than this may compress as they like: inflating them cannot hurt.
RATIO_MIN_BYTES = 16 << 20
#: workbook.xml, its relationships and styles.xml are parsed whole; a real one is a few kB.
MAX_INDEX_PART_BYTES = 16 << 20

# What zipfile raises, besides BadZipFile, on a damaged directory or header.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,  # includes UnicodeDecodeError on a mangled part name
    struct.error,
    zlib.error,
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # an encrypted part
    KeyError,
    IndexError,
    OverflowError,
)


def unreadable(path: Path, exc: BaseException | None = None) -> SheetError:
    """The error for a file that is not a readable XLSX package."""
    detail = f" ({exc})" if exc is not None and str(exc) else ""
    return SheetError(
        f"{path}: the workbook cannot be read; it may be damaged or cut short, or saved in "
        f"another format under an .xlsx name: it is not a readable XLSX (zip) file{detail}.",
        hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)', or export the "
        "sheet as 'CSV UTF-8'; if it was downloaded or mailed, fetch it again.",
    )


def open_package(path: Path) -> zipfile.ZipFile:
    """Open the workbook's zip and check its directory; raise `SheetError` if unsafe."""
    try:
        z = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise unreadable(path, exc) from exc
    try:
        _check_directory(path, z.infolist())
    except BaseException:
        z.close()
        raise
    return z


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    names: set[str] = set()
    for info in infos:
        if info.filename in names:
            # Readers disagree on which of the two they use: the one checked might not be read.
            raise SheetError(
                f"{path}: the workbook holds two parts named {info.filename!r}, so it is "
                f"damaged or was tampered with.",
                hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)', or ask "
                "for the data again.",
            )
        names.add(info.filename)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise SheetError(
            f"{path}: the workbook would unpack to {_size(total)} of XML, more than rowpush "
            f"reads ({_size(MAX_UNPACKED_BYTES)}): it is either a very large workbook or a "
            f"'zip bomb'.",
            hint="Save the sheet as 'CSV UTF-8' (rowpush streams CSV of any length) or split "
            "it into smaller workbooks; if you did not expect a file this big, do not open it.",
        )
    for info in infos:
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * packed:
            raise SheetError(
                f"{path}: its part {info.filename!r} would unpack {_size(packed)} into "
                f"{_size(info.file_size)} ({info.file_size // packed:,} to 1), far beyond "
                f"what a spreadsheet compresses to: the file is a 'zip bomb' or damaged.",
                hint="Do not open it in other programs either; ask for the data again, saved "
                "from Excel as .xlsx or as 'CSV UTF-8'.",
            )


def read_index_part(z: zipfile.ZipFile, path: Path, name: str) -> ElementTree.Element | None:
    """Parse a small indexing part of the package; None when there is no such part."""
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_INDEX_PART_BYTES:
        raise SheetError(
            f"{path}: its part {name!r} is {_size(info.file_size)}, where a workbook's is a "
            f"few kB: the file is damaged or was not made by a spreadsheet program.",
            hint="Open it in Excel and save it again as 'Excel Workbook (.xlsx)'.",
        )
    try:
        return ElementTree.fromstring(z.read(info))
    except (*ZIP_ERRORS, ElementTree.ParseError) as exc:
        raise unreadable(path, exc) from exc


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
