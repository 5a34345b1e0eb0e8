"""Helpers for the sheets tests (importable by name, unlike conftest): workbooks written
by openpyxl, or XLSX packages built by hand.

openpyxl never stores a formula's computed value, so a workbook whose formulas
carry cached values (as Excel saves them) is built here from its XML parts.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sheets"

#: A CSV with every kind of row: usual, blank, whitespace-only, short, padded with empty
#: trailing cells, escaped with csv_safe's quote, quoted over lines, non-ASCII.
MIXED_CSV_LINES = [
    "Name,Code,Note,",
    "Acme,0042,plain",
    ",,",
    " , \t,  ",
    "Short",
    "Padded,7,x,",
    "'=1+1,'-2,O'Brien",
    '"two\nlines",1,"a ""quote"""',
    "Zoë,東京,😀",
    ",,late",
]

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{overrides}
</Types>"""
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}
</Relationships>"""
_WORKSHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData>{rows}</sheetData></worksheet>"""
_WS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def inline(ref: str, text: str) -> str:
    """XML of a text cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def build_xlsx(path: Path, sheets: Sequence[tuple[str, str, str]]) -> Path:
    """Write an XLSX package by hand: (name, state, <sheetData> rows XML) per sheet."""
    overrides, entries, rels = [], [], []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, (name, state, rows) in enumerate(sheets, start=1):
            part = f"xl/worksheets/sheet{n}.xml"
            overrides.append(f'<Override PartName="/{part}" ContentType="{_SHEET_TYPE}"/>')
            hidden = "" if state == "visible" else f' state="{state}"'
            entries.append(f'<sheet name={quoteattr(name)} sheetId="{n}"{hidden} r:id="rId{n}"/>')
            rels.append(
                f'<Relationship Id="rId{n}" Type="{_WS_REL}" Target="worksheets/sheet{n}.xml"/>'
            )
            z.writestr(part, _WORKSHEET.format(rows=rows))
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides="".join(overrides)))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(entries)))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels="".join(rels)))
    return path


Rows = Sequence[Sequence[object]]
MakeXlsx = Callable[..., Path]


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES_DEFAULT = (
    f'<styleSheet xmlns="{_NS}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
)


def build_book(
    path: Path,
    rows: str,
    *,
    shared: Sequence[str] = (),
    styles: str = _STYLES_DEFAULT,
    date1904: bool = False,
    root_attrs: str = "",
) -> Path:
    """Write an XLSX package as Excel lays one out: a sheet, shared strings (`<si>` XML
    per item) and styles. `rows` is the <sheetData> XML."""
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides=""))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}" xmlns:r="{_R}">{pr}<sheets>'
            f'<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                rels=f'<Relationship Id="rId1" Type="{_WS_REL}" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{_R}/sharedStrings" Target="sharedStrings.xml"/>'
                f'<Relationship Id="rId3" Type="{_R}/styles" Target="styles.xml"/>'
            ),
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{_NS}"{root_attrs}><sheetData>{rows}</sheetData></worksheet>',
        )
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_NS}">{"".join(shared)}</sst>')
        z.writestr("xl/styles.xml", styles)
    return path
