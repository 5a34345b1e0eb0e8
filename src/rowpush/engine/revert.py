"""Revert: undo a run from its results workbook, through the normal apply path.

The old values of the rows a run updated (`_before`) become a sheet of their own (the
key, then each changed field's old value) beside the revert's results; a record the
run created is retired where its target says how (`Target.revert_creates`, e.g.
HaloPSA's inactive = TRUE) and otherwise listed as left in place. That sheet is then
applied like any other: plan against live state, confirm, batches, journal, resume,
results (whose `_before` can revert the revert).

Before the sheet is written, the changed rows are read back (engine/verify.py): a field
changed again since the run is left out of the sheet and reported (`--force` sets it
back anyway); a record gone since is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rowpush.engine.prepare import Prepared, prepare
from rowpush.engine.results_reader import ResultRow, ResultsBook, open_results
from rowpush.engine.results_view import CHANGED, key_header, keyed_target, with_key
from rowpush.engine.verify import CHANGED_SINCE, GONE, verify_book
from rowpush.model import CellValue, Status, show_value
from rowpush.sheets import write_table

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.targets.base import Target

__all__ = ["Reverse", "Skipped", "default_revert_path", "reverse_of"]


@dataclass(frozen=True)
class Skipped:
    """A change revert does not undo, and why (shown before the apply)."""

    row: int
    key: str
    why: str


@dataclass
class Reverse:
    """The reverse of a run: the sheet to apply, where its results go, what it leaves."""

    prep: Prepared
    connection: str
    results: Path
    revert_of: str
    rows: int = 0
    """Rows in the reverse sheet."""
    skipped: list[Skipped] = field(default_factory=list)


def default_revert_path(results: Path) -> Path:
    """Beside the results reverted: RESULTS-revert-YYYYmmdd-HHMMSS.xlsx."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return results.with_name(f"{results.stem}-revert-{stamp}.xlsx")


def revertible(book: ResultsBook) -> type[Target]:
    """The workbook's target, refused where its changes cannot be undone."""
    return keyed_target(book, "revert")


async def reverse_of(
    results_file: Path,
    conn: Connection,
    *,
    out: Path,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
) -> Reverse:
    """Read back what the run changed, then write the sheet that sets it back (beside
    `out`, as OUT-input.xlsx) and prepare it for apply."""
    book = open_results(results_file)
    target = revertible(book)
    moved: dict[int, dict[str, tuple[Any, Any]]] = {}
    gone: set[int] = set()
    async for check in verify_book(book, conn, transport=transport, on_event=on_event):
        if check.verdict == GONE:
            gone.add(check.row)
        elif check.verdict == CHANGED_SINCE:
            moved[check.row] = check.live
    skipped: list[Skipped] = []
    rule = _Rule(target, moved, gone, force, skipped)
    headers = _headers(book, target)
    sheet = out.with_name(f"{out.stem}-input.xlsx")
    rows = (r for r in (rule.row_of(result, headers) for result in book.rows()) if r is not None)
    written = write_table(
        sheet,
        headers,
        rows,
        sheet_title="Revert",
        meta={"target": target.name, "kind": "revert", "revert_of": results_file.name},
    )
    prep = prepare(sheet, target=target.name)
    return Reverse(prep, conn.name, out, results_file.name, written, skipped)


def _headers(book: ResultsBook, target: type[Target]) -> list[str]:
    """The reverse sheet's columns: the key first, the input's others, and whatever a
    retired create sets."""
    key = key_header(target)
    extra = [h for h, _ in target.revert_creates if h not in book.headers]
    return [key, *(h for h in book.headers if h != key), *extra]


class _Rule:
    """Turns one results row into its reverse row (or None, noting why)."""

    def __init__(
        self,
        target: type[Target],
        moved: Mapping[int, Mapping[str, tuple[Any, Any]]],
        gone: set[int],
        force: bool,
        skipped: list[Skipped],
    ) -> None:
        self.target = target
        self.fields = target.field_of_header()
        self.moved = moved
        self.gone = gone
        self.force = force
        self.skipped = skipped

    def row_of(self, result: ResultRow, headers: Sequence[str]) -> list[object] | None:
        cells = self._cells(result)
        return None if cells is None else [cells.get(h, "") for h in headers]

    def _cells(self, result: ResultRow) -> dict[str, CellValue] | None:
        if result.status not in CHANGED:
            return None
        values = with_key(self.target, result)
        key = str(values.get(key_header(self.target), "")) or "?"
        if result.row in self.gone:
            self._skip(result, key, "the record is gone since the run")
            return None
        cells = {h: values.get(h, "") for h in self._identity(values)}
        if result.status is Status.CREATED:
            retire = dict(self.target.revert_creates)
            if not retire:
                self._skip(result, key, "created by the run; revert leaves it in place")
                return None
            return {**cells, **retire}
        changed = self._set_back(result, key)
        return {**cells, **changed} if changed else None

    def _set_back(self, result: ResultRow, key: str) -> dict[str, CellValue]:
        """Each changed field's old value, unless it changed again since (or was blank)."""
        out: dict[str, CellValue] = {}
        moved = self.moved.get(result.row, {})
        for header, old in (result.before or {}).items():
            if old is None or old == "":
                self._skip(result, key, f"{header} was blank: a blank cell cannot clear it")
                continue
            live = moved.get(header)
            name = self.fields.get(header) or self.target.extra_field(header) or header
            if live is not None and not self.target.same(name, old, live[0]) and not self.force:
                self._skip(
                    result,
                    key,
                    f"{header} changed since the run (now {show_value(live[0])}, the run set "
                    f"{show_value(live[1])}): not set back to {show_value(old)} without --force",
                )
                continue
            out[header] = _cell(old)
        return out

    def _identity(self, values: Mapping[str, CellValue]) -> Iterator[str]:
        """The columns the record's key is made of (`Target.key_of`): a column counts
        when leaving it out changes the key (a login and its contract, say)."""
        by_field = {self.fields[h]: v for h, v in values.items() if h in self.fields and v != ""}
        whole = self.target.key_of(by_field)
        for header, name in self.fields.items():
            if name in by_field:
                rest = {k: v for k, v in by_field.items() if k != name}
                if name == self.target.key or self.target.key_of(rest) != whole:
                    yield header

    def _skip(self, result: ResultRow, key: str, why: str) -> None:
        self.skipped.append(Skipped(result.row, key, why))


def _cell(value: Any) -> CellValue:
    """An old value as a cell holds it (text; TRUE/FALSE for booleans)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
