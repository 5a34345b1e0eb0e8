"""Rows to write a block at a time, column by column: what `write_table` takes instead
of rows when a table is long (a results workbook of a million rows).

A block gives each column as one list, or as one value every row of the block holds
(`Same`: a batch's status, message and moment), so a writer makes a column's cells in
one pass and a shared value's cell once. `CellBlocks.typers` says how a column's values
are typed before they are written (text as read → a number, a date); a writer may type
a repeated text value once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

__all__ = ["CellBlock", "CellBlocks", "Same", "TypedCache", "Typer"]

Typer = Callable[[Any], object]
"""How a column's value is typed before it is written (a pure function)."""

#: Distinct text values one column keeps typed, to reuse for the next such value.
TYPED_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Same:
    """The one value every row of a block holds in a column."""

    value: object


@dataclass(slots=True)
class CellBlock:
    """`size` rows, as columns: each a list of `size` values, or `Same`."""

    size: int
    columns: list[Sequence[object] | Same]

    def part(self, start: int, stop: int) -> CellBlock:
        """Rows `start` to `stop` (not included) of the block."""
        return CellBlock(
            stop - start,
            [c if isinstance(c, Same) else c[start:stop] for c in self.columns],
        )


@dataclass(frozen=True)
class CellBlocks:
    """A table's rows as `CellBlock`s; `typers`: per column, how its values are typed
    (None: written as they are)."""

    typers: Sequence[Typer | None]
    blocks: Iterable[CellBlock]

    def rows(self) -> Iterator[list[object]]:
        """The rows one by one, typed (for a writer that takes rows)."""
        caches = [None if t is None else TypedCache(t) for t in self.typers]
        for block in self.blocks:
            yield from block_rows(block, caches)


def block_rows(block: CellBlock, caches: Sequence[TypedCache | None]) -> Iterator[list[object]]:
    """A block's rows, each value typed by its column's cache (None: as it is)."""
    columns: list[Iterable[object]] = []
    for column, cache in zip(block.columns, caches, strict=True):
        if isinstance(column, Same):
            value = column.value if cache is None else cache.typed(column.value)
            columns.append(repeat(value, block.size))
        else:
            columns.append(column if cache is None else map(cache.typed, column))
    return map(list, zip(*columns, strict=False))


class TypedCache(dict[object, object]):
    """One column's values typed by its typer: a text value is typed once, then found
    (up to `TYPED_CACHE` of them, then afresh); not another type (1, 1.0 and True are
    one key to a dict)."""

    __slots__ = ("typer",)

    def __init__(self, typer: Typer) -> None:
        super().__init__()
        self.typer = typer

    def typed(self, value: object) -> object:
        """`value` typed."""
        try:
            return self[value]
        except TypeError:  # unhashable: typed all the same
            return self.typer(value)

    def __missing__(self, value: object) -> object:
        typed = self.typer(value)
        if type(value) is str:
            if len(self) >= TYPED_CACHE:  # start afresh: a sheet's values drift (time)
                self.clear()
            self[value] = typed
        return typed
