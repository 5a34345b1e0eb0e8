"""Apply's bulk lane: a sheet of appends planned a block at a time, no object per row.

For a target whose journal keeps batches (`Target.batched_journal`: appends harmless to
send again) and whose rows need nothing live (`nothing_to_read`), `apply` on the command
line plans a block of rows at a time: the column typer types them a column at a time
(engine/validate_columns), the target encodes them a column at a time
(`Target.encode_appends`), and each row becomes its wire bytes and planned id, cut into
the journal's batches by the send's own rule (`Cutter`). A row that is not plainly an
append (a refused cell, a blank where its neighbours have a value, a check that fails)
is planned on its own exactly as the Change path plans it, so every message about a bad
row is the one it always was. `plan`, the TUI and a saved plan keep the Change path; a
test holds the two journals equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rowpush.engine.plan import fits, nothing_to_read, plan_typed
from rowpush.engine.validate_columns import BLANK, ColumnTyper
from rowpush.model import Action, Change
from rowpush.targets.base import Target
from rowpush.targets.wire import wire_of

if TYPE_CHECKING:
    from rowpush.engine.prepare import Prepared
    from rowpush.sheets.table import RowBlock

__all__ = ["LANE_BLOCK", "AppendBlock", "append_blocks", "lane_typer"]

LANE_BLOCK = 1000
"""Rows planned together: a batch of m3ter measurements."""

Encoded = tuple[bytes, str | None] | None


@dataclass(slots=True)
class AppendBlock:
    """A block of rows planned: its appends in row order (row number, wire bytes, planned
    id), and its other rows as changes (invalid ones)."""

    appends: list[tuple[int, bytes, str | None]] = field(default_factory=list)
    others: list[Change] = field(default_factory=list)
    size: int = 0


def lane_typer(prep: Prepared, target: Target) -> ColumnTyper | None:
    """The column typer that plans this sheet in the bulk lane, or None when its rows take
    the Change path (another kind of target, a saved plan to check, a Row model typed row
    by row, a target that weighs payloads its own way)."""
    kind = type(target)
    if (
        not kind.batched_journal()
        or prep.saved is not None
        or not nothing_to_read(target)
        or kind.payload_size is not Target.payload_size
    ):
        return None
    return ColumnTyper.of(prep.target, prep.hmap)


def append_blocks(prep: Prepared, target: Target, typer: ColumnTyper) -> Iterator[AppendBlock]:
    """Every row of the sheet planned, a block at a time (the target's reference data
    loaded: `load_reference`)."""
    headers = prep.sheet.headers
    for block in prep.sheet.blocks(LANE_BLOCK):
        yield _plan_block(prep, target, typer, block, headers)


def _plan_block(
    prep: Prepared, target: Target, typer: ColumnTyper, block: RowBlock, headers: list[str]
) -> AppendBlock:
    size = len(block.numbers)
    cells = dict(zip(headers, zip(*block.cells, strict=True), strict=True))
    typed, bad = typer.type_columns(cells, size)
    planned: list[Encoded] = [None] * size
    for names, at in _shapes(typed, bad, size):
        if len(at) == size:
            columns = {name: typed[name] for name in names}
        else:
            columns = {name: [typed[name][i] for i in at] for name in names}
        encoded = _encoded(target, columns, [block.numbers[i] for i in at])
        for i, found in zip(at, encoded, strict=True):
            planned[i] = found
    out = AppendBlock(size=size)
    complete = [found for found in planned if found is not None]
    if len(complete) == size:
        wires = [wire for wire, _ in complete]
        if fits(target, max(map(len, wires))):  # the usual block: all appends
            out.appends = [
                (number, wire, planned_id)
                for number, (wire, planned_id) in zip(block.numbers, complete, strict=True)
            ]
            return out
    for i, (number, found) in enumerate(zip(block.numbers, planned, strict=True)):
        if found is not None and fits(target, len(found[0])):
            out.appends.append((number, *found))
            continue
        # planned on its own (engine/prepare.py), so it reads as the Change path reads it
        change = prep.plan_one(target, block.raw(i, headers))
        if change.action is Action.CREATE and not change.stale:
            out.appends.append((number, wire_of(change), target.planned_id(change)))
        else:
            out.others.append(change)
    return out


def _shapes(
    typed: dict[str, list[Any]], bad: list[bool], size: int
) -> Iterator[tuple[list[str], list[int]]]:
    """The plainly valid rows by the fields they set (a blank cell leaves its field unset),
    each shape as (its fields in the Row model's order, its rows' indices in the block):
    mostly one shape, every row setting the same fields."""
    names = [name for name, values in typed.items() if values.count(BLANK) < size]
    partial = [name for name in names if BLANK in typed[name]]
    good = [i for i in range(size) if not bad[i]]
    if not partial:
        yield names, good
        return
    shapes: dict[tuple[bool, ...], list[int]] = {}
    for i in good:
        shapes.setdefault(tuple(typed[name][i] is BLANK for name in partial), []).append(i)
    for blanks, at in shapes.items():
        unset = {name for name, blank in zip(partial, blanks, strict=True) if blank}
        yield [name for name in names if name not in unset], at


def _encoded(target: Target, columns: dict[str, list[Any]], rows: list[int]) -> list[Encoded]:
    """Each row's (wire, planned id) from the target's encoder, else from its Change as
    `plan_typed` makes it."""
    if not rows:
        return []
    found = target.encode_appends(columns, len(rows))
    if found is not None:
        return list(found)
    out: list[Encoded] = []
    names = list(columns)
    for row, values in zip(rows, zip(*columns.values(), strict=True), strict=True):
        change = plan_typed(target, row, dict(zip(names, values, strict=True)))
        out.append(None if change is None else (wire_of(change), target.planned_id(change)))
    return out
