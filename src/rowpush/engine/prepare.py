"""Prepare: open an input sheet, resolve its target, map its headers (the first step).

Every verb that reads a sheet starts here; a sheet-level problem (no target, a
header that maps to nothing) stops it before any row is read or anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rowpush.engine.plan import chunks, nothing_to_read, plan_row, plan_rows, plan_typed
from rowpush.engine.results_reader import open_results
from rowpush.engine.saved_plan import SavedPlan
from rowpush.engine.validate import HeaderMap, ValidRow, map_headers, validate_rows
from rowpush.engine.validate_columns import ColumnTyper
from rowpush.errors import BadInput, SheetError
from rowpush.model import Change, RawRow
from rowpush.sheets import Sheet, open_sheet
from rowpush.targets.registry import get_target

if TYPE_CHECKING:
    import httpx

    from rowpush.targets.base import Target

__all__ = ["Prepared", "ensure_writable", "prepare", "prepare_retry"]

TYPED_CHUNK = 100
"""Rows typed together, column by column (a target with nothing live to read). Small: a
chunk's changes stay young for the collector (1,000 cost about a quarter more CPU,
bench/plan_speed.py)."""
ROW_CHUNK = 200
"""Changes handed on together when rows are planned one by one."""


@dataclass
class Prepared:
    """An input sheet opened, its target resolved, its headers mapped."""

    path: Path
    sheet: Sheet
    target: type[Target]
    hmap: HeaderMap
    saved: SavedPlan | None = None
    """A saved plan of this sheet being applied: planning checks the live records
    against it (engine/saved_plan.py)."""

    @property
    def file(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[ValidRow]:
        return validate_rows(self.target, self.hmap, self.sheet.rows(), self.file)

    async def changes(self, target: Target, client: httpx.AsyncClient) -> AsyncIterator[Change]:
        """Plan every row against the live records `client` reaches, in row order."""
        async for chunk in self.change_chunks(target, client):
            for change in chunk:
                yield change

    async def change_chunks(
        self, target: Target, client: httpx.AsyncClient
    ) -> AsyncIterator[list[Change]]:
        """`changes`, a chunk at a time (a million rows pay the async machinery per chunk).
        A target with nothing live to read has its rows typed a chunk and a column at a
        time (engine/validate_columns); a row that is not plainly valid, and every row of
        any other target, is typed and planned row by row."""
        ensure_writable(type(target))
        await target.load_reference(client)
        typer = ColumnTyper.of(self.target, self.hmap) if nothing_to_read(target) else None
        if typer is not None and self.saved is None:
            for raws in chunks(self.sheet.rows(), TYPED_CHUNK):
                yield [
                    (values is not None and plan_typed(target, raw.row, values))
                    or self.plan_one(target, raw)
                    for raw, values in zip(raws, typer.type_chunk(raws), strict=True)
                ]
            return
        changes = plan_rows(target, client, self.rows(), self.hmap, self.file)
        if self.saved is not None:
            changes = self.saved.check(changes)
        chunk: list[Change] = []
        async for change in changes:
            chunk.append(change)
            if len(chunk) >= ROW_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def plan_one(self, target: Target, raw: RawRow) -> Change:
        """A row of a target with nothing live to read, typed and planned on its own (what
        a row not plainly valid gets, for its messages)."""
        (row,) = validate_rows(self.target, self.hmap, [raw], self.file)
        return plan_row(target, row, {}, self.hmap, self.file)


def prepare(path: Path, *, target: str | None = None, sheet: str | None = None) -> Prepared:
    """Open a sheet and map its headers; a sheet-level problem raises SheetError."""
    opened = open_sheet(path, sheet)
    name = target or opened.target
    if name is None:
        raise BadInput(
            f"{path.name}: which target is this sheet for?",
            hint="Pass -t TARGET (see `rowpush targets`). Sheets made by "
            "`rowpush template` or `rowpush export` record it themselves.",
        )
    target_cls = get_target(name)
    hmap = map_headers(target_cls, opened.headers, path.name, opened.letters)
    if hmap.errors:
        raise _unmapped(path, opened, target_cls, hmap, sheet)
    return Prepared(path, opened, target_cls, hmap)


def _unmapped(
    path: Path, opened: Sheet, target: type[Target], hmap: HeaderMap, asked: str | None
) -> SheetError:
    """Headers that do not fit the target, said with what the sheet itself tells: the
    target it was made for, the sheet and the header row read."""
    problems = "\n".join(e.message for e in hmap.errors)
    if opened.target and opened.target != target.name:
        return SheetError(
            f"{path.name} was made for {opened.target} (its hidden _rowpush sheet says so), "
            f"not {target.name}: {problems}",
            hint=f"Leave out -t (the workbook names its target), or use a sheet made for "
            f"{target.name} (rowpush template {target.name}).",
        )
    if opened.name is None:
        return SheetError(problems)
    where = f"read sheet {opened.name!r}, header row {opened.header_row}"
    hint = None if asked else "Choose the sheet with --sheet NAME if the table is on another one."
    return SheetError(f"{problems} (rowpush {where}.)", hint=hint)


def prepare_retry(results: Path) -> Prepared:
    """The rows of a results workbook to send again (failed, skipped), as a sheet to plan."""
    book = open_results(results)
    target_cls = get_target(book.target)
    sheet = book.input_sheet()
    hmap = map_headers(target_cls, sheet.headers, results.name, sheet.letters)
    if hmap.errors:
        raise SheetError("\n".join(e.message for e in hmap.errors))
    return Prepared(results, sheet, target_cls, hmap)


def ensure_writable(target: type[Target]) -> None:
    """plan and apply refuse a target that can only be exported."""
    if target.export_only:
        raise BadInput(
            f"{target.name} can only be exported: plan and apply do not apply to it.",
            hint=f"Use  rowpush export {target.name} -c CONNECTION -o FILE.xlsx",
        )
