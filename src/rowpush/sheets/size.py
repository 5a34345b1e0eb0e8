"""How many data rows a sheet has, about: for a progress counter's ETA, never for logic."""

from __future__ import annotations

from rowpush.sheets.table import CSV_SUFFIXES, Sheet

__all__ = ["estimate_rows"]

_BLOCK = 1 << 20


def estimate_rows(sheet: Sheet) -> int | None:
    """The data rows below the header (blank rows and quoted line breaks included, so an
    upper bound); None when it cannot be told cheaply."""
    hint: int | None = getattr(sheet, "rows_hint", None)  # a view of a sheet may not say
    if hint is not None:
        return hint
    if sheet.path.suffix.lower() not in CSV_SUFFIXES:
        return None
    lines = 0
    last = b"\n"
    try:
        with sheet.path.open("rb") as f:
            while block := f.read(_BLOCK):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return None
    if last != b"\n":  # the last line has no line break
        lines += 1
    return max(0, lines - sheet.header_row)
