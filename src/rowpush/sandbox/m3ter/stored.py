"""Stored measurements, kept compactly: each request's body compressed, plus which items of
it were stored.

A million measurements held as dicts take gigabytes; the same as compressed request
bodies take tens of megabytes. Reading decompresses and parses one request at a time, so
``len`` is free, iteration is linear, and tests still see every measurement as sent.
"""

from __future__ import annotations

import bisect
import copy
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

COMPRESS_LEVEL = 1
"""zlib's fastest level: about 1 ms for a 230 kB body, a sixth of its size."""
REPR_ITEMS = 20


@dataclass(frozen=True)
class _Batch:
    """One request's stored measurements: its body, and the indices stored (None: all)."""

    packed: bytes
    count: int
    picked: tuple[int, ...] | None

    def items(self) -> list[dict[str, Any]]:
        body = json.loads(zlib.decompress(self.packed))
        everything: list[dict[str, Any]] = body["measurements"]
        if self.picked is None:
            return everything
        return [everything[i] for i in self.picked]


class StoredMeasurements(Sequence[dict[str, Any]]):
    """Every stored measurement as sent, oldest first; compares equal to a list of them.

    Filled one request at a time (``add_batch``). Reads parse the stored bodies: editing
    a dict read from here does not change what is stored.
    """

    def __init__(self) -> None:
        self._batches: list[_Batch] = []
        self._ends: list[int] = []
        """Running total of measurements after each batch (for index lookups)."""
        self._last: tuple[int, list[dict[str, Any]]] | None = None
        """The most recently read batch, parsed, so reading item by item stays linear."""

    def add_batch(self, raw_body: bytes, count: int, picked: Sequence[int] | None) -> None:
        """Store ``count`` items of the request body ``raw_body``: those at ``picked``
        (indices into its ``measurements``), or all of them when None."""
        if count == 0:
            return
        indices = None if picked is None else tuple(picked)
        self._batches.append(_Batch(zlib.compress(raw_body, COMPRESS_LEVEL), count, indices))
        self._ends.append((self._ends[-1] if self._ends else 0) + count)

    def clear(self) -> None:
        self._batches.clear()
        self._ends.clear()
        self._last = None

    @property
    def packed_bytes(self) -> int:
        """Bytes the stored measurements take, compressed."""
        return sum(len(batch.packed) for batch in self._batches)

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self._batches:
            yield from batch.items()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("stored measurement index out of range")
        number = bisect.bisect_right(self._ends, index)
        start = self._ends[number - 1] if number else 0
        # A copy: the cached batch must not carry a caller's edits to the next read.
        return copy.deepcopy(self._batch_items(number)[index - start])

    def _batch_items(self, number: int) -> list[dict[str, Any]]:
        if self._last is None or self._last[0] != number:
            self._last = (number, self._batches[number].items())
        return self._last[1]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredMeasurements | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        shown = list(self[:REPR_ITEMS])
        more = f", … {len(self) - REPR_ITEMS:,} more" if len(self) > REPR_ITEMS else ""
        return f"StoredMeasurements({shown!r}{more})"
