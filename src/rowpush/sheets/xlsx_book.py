"""The workbook around a sheet: its sheets and their parts, shared strings, cell styles.

Read from the package's index parts (workbook.xml and its relationships), as calamine
read them: part names match without regard to case, the date system (1900 or 1904) is
the workbook's `date1904`, a style's number format says which numbers are dates.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from rowpush.errors import SheetError
from rowpush.sheets.xlsx_formats import NumberKind, builtin_kind, format_kind
from rowpush.sheets.xlsx_package import ZIP_ERRORS, read_index_part, unreadable
from rowpush.sheets.xlsx_rows import string_item

__all__ = ["Book", "SheetEntry", "read_book"]

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OFFICE_DOCUMENT = "/officeDocument"
_DEFAULT_WORKBOOK = "xl/workbook.xml"


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One sheet listed by the workbook."""

    name: str
    visible: bool
    """False for a hidden or very hidden sheet."""
    worksheet: bool
    """False for a chart or dialog sheet, which holds no cells."""
    part: str | None
    """The zip member holding it (None when the workbook does not lead to one)."""


@dataclass(frozen=True, slots=True)
class Book:
    """What a workbook says about its sheets and how its cells read."""

    path: Path
    sheets: list[SheetEntry]
    date1904: bool
    strings_part: str | None
    styles_part: str | None

    def sheet(self, name: str) -> SheetEntry:
        return next(s for s in self.sheets if s.name == name)

    def shared_strings(self, z: zipfile.ZipFile) -> list[str]:
        """The shared strings table (read as a stream: it may be large)."""
        if self.strings_part is None:
            return []
        strings: list[str] = []
        root: ElementTree.Element | None = None
        try:
            with z.open(self.strings_part) as f:
                for event, el in ElementTree.iterparse(f, events=("start", "end")):
                    if root is None:
                        root = el
                    elif event == "end" and el.tag.rsplit("}", 1)[-1] == "si":
                        strings.append(string_item(el))
                        root.clear()  # the items read are not needed again: memory stays flat
        except (*ZIP_ERRORS, ElementTree.ParseError) as exc:
            raise unreadable(self.path, exc) from exc
        return strings

    def number_kinds(self, z: zipfile.ZipFile) -> list[NumberKind]:
        """How each cell style (`s="3"` is the fourth) shows numbers."""
        if self.styles_part is None:
            return []
        styles = read_index_part(z, self.path, self.styles_part)
        if styles is None:
            return []
        custom: dict[str, str] = {}
        kinds: list[NumberKind] = []
        for el in styles.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "numFmt":
                fmt_id, code = el.get("numFmtId"), el.get("formatCode")
                if fmt_id is not None and code is not None:
                    custom[fmt_id] = code
            elif tag == "cellXfs":
                for xf in el:
                    if xf.tag.rsplit("}", 1)[-1] != "xf":
                        continue
                    fmt_id = xf.get("numFmtId")
                    if fmt_id is None:
                        kinds.append(NumberKind.PLAIN)
                    elif fmt_id in custom:
                        kinds.append(format_kind(custom[fmt_id]))
                    else:
                        kinds.append(builtin_kind(fmt_id))
        return kinds


def read_book(z: zipfile.ZipFile, path: Path) -> Book:
    """Read the workbook's index; a package that is not a workbook raises `SheetError`."""
    names = {n.lower(): n for n in z.namelist()}
    workbook = _workbook_part(z, path, names)
    book = read_index_part(z, path, workbook) if workbook else None
    if book is None or workbook is None:
        raise unreadable(path, KeyError("it holds no workbook part (xl/workbook.xml)"))
    folder = posixpath.dirname(workbook)
    rels = _relationships(z, path, names, _rels_of(workbook), folder)
    sheets: list[SheetEntry] = []
    date1904 = False
    for el in book.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "workbookPr":
            date1904 = el.get("date1904", "").strip().lower() in ("1", "true")
        elif tag == "sheet":
            target, kind = rels.get(el.get(_REL_ID, ""), (None, ""))
            sheets.append(
                SheetEntry(
                    name=el.get("name", ""),
                    visible=el.get("state", "visible") == "visible",
                    worksheet=kind.endswith("/worksheet"),
                    part=target,
                )
            )
    by_type = {kind.rsplit("/", 1)[-1]: target for target, kind in rels.values()}
    strings = by_type.get("sharedStrings") or _find(names, f"{folder}/sharedStrings.xml")
    styles = by_type.get("styles") or _find(names, f"{folder}/styles.xml")
    return Book(path, sheets, date1904, strings, styles)


def _workbook_part(z: zipfile.ZipFile, path: Path, names: dict[str, str]) -> str | None:
    rels = _relationships(z, path, names, "_rels/.rels", "")
    for target, kind in rels.values():
        if kind.endswith(_OFFICE_DOCUMENT) and target is not None:
            return target
    return _find(names, _DEFAULT_WORKBOOK)


def _relationships(
    z: zipfile.ZipFile, path: Path, names: dict[str, str], part: str, folder: str
) -> dict[str, tuple[str | None, str]]:
    """Relationship id → (the zip member it leads to, its type)."""
    found = _find(names, part)
    root = read_index_part(z, path, found) if found else None
    rels: dict[str, tuple[str | None, str]] = {}
    if root is None:
        return rels
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] != "Relationship":
            continue
        target = el.get("Target", "")
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = posixpath.normpath(posixpath.join(folder, target))
        rels[el.get("Id", "")] = (_find(names, member), el.get("Type", ""))
    return rels


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _find(names: dict[str, str], member: str) -> str | None:
    # Part names are matched without regard to case, as Excel and calamine do.
    return names.get(member.lstrip("/").lower())


def not_a_worksheet(where: str) -> SheetError:
    """The error for a chart or dialog sheet chosen by name."""
    return SheetError(
        f"{where}: this is a chart sheet, not a worksheet: it holds no cells to read.",
        hint="Choose the worksheet that holds the table.",
    )
