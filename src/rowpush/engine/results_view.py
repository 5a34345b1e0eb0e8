"""A sheet made from a results workbook's rows: what `verify` and `revert` plan.

Both read the rows a run changed and plan them again through the engine's one plan
(engine/plan.py): verify plans the values the run set (unchanged means it holds),
revert plans the old values (`_before`). The view streams, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rowpush.engine.prepare import Prepared
from rowpush.engine.results_reader import ResultRow, ResultsBook
from rowpush.engine.validate import map_headers
from rowpush.errors import BadInput, SheetError
from rowpush.model import CellValue, RawRow, Status, column_letter
from rowpush.sheets import Sheet
from rowpush.targets.base import Target
from rowpush.targets.registry import get_target

__all__ = ["CHANGED", "ResultsView", "keyed_target", "prepared_view"]

CHANGED = frozenset({Status.CREATED, Status.UPDATED})
"""The rows a run changed: what verify checks and revert undoes."""

RowMaker = Callable[[ResultRow], dict[str, CellValue] | None]


class ResultsView(Sheet):
    """Rows of a results workbook, remade by `make` (None leaves a row out), under
    `headers`. Rows keep their original numbers, so messages point at the first input."""

    def __init__(self, book: ResultsBook, headers: Sequence[str], make: RowMaker) -> None:
        self.path = book.path
        self.name = None
        self.headers = list(headers)
        self.target = book.target
        self.letters = {h: column_letter(i) for i, h in enumerate(self.headers)}
        self.header_row = 1
        self.rows_hint = None
        self._source = _Remade(book, make)  # what `rows` and `blocks` read


@dataclass(frozen=True)
class _Remade:
    """The rows of a results workbook as `make` remakes them."""

    book: ResultsBook
    make: RowMaker

    def rows(self) -> Iterator[RawRow]:
        for result in self.book.rows():
            values = self.make(result)
            if values is not None:
                yield RawRow(result.row, values)


def keyed_target(book: ResultsBook, verb: str) -> type[Target]:
    """The workbook's target; refused when its records cannot be read back by key."""
    target = get_target(book.target)
    if verb == "revert" and target.not_revertible:
        raise BadInput(
            f"revert does not apply to {target.name}: {target.not_revertible}.",
            hint=f"{book.path.name} stays the record of what was sent.",
        )
    if target.key is None or target.export_only:
        raise BadInput(
            f"{verb} does not apply to {target.name}: its records have no key to read them "
            "back by.",
            hint=f"{book.path.name} stays the record of what was sent.",
        )
    return target


def key_header(target: type[Target]) -> str:
    name = target.key or ""
    return target.Row.model_fields[name].alias or name


def with_key(target: type[Target], result: ResultRow) -> dict[str, CellValue]:
    """A row's input cells, with the key the API gave a record the run created (a
    blank `id` on HaloPSA becomes the new record's id)."""
    values = dict(result.values)
    header = key_header(target)
    if not values.get(header) and result.status is Status.CREATED and result.remote_id:
        values[header] = result.remote_id
    return values


def prepared_view(book: ResultsBook, target: type[Target], sheet: ResultsView) -> Prepared:
    hmap = map_headers(target, sheet.headers, book.path.name, sheet.letters)
    if hmap.errors:
        raise SheetError("\n".join(e.message for e in hmap.errors))
    return Prepared(book.path, sheet, target, hmap)
