"""Halo list queries: filters, search, order, and the two ways to limit rows.

``pageinate=true`` pages with ``page_size``/``page_no`` (1-based); otherwise ``count``
caps the rows. ``record_count`` is always the number of matching records. Parameters
the emulator does not use are ignored, as Halo does, and noted in the request log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import itemgetter, methodcaller
from typing import Any

from rowpush.sandbox.halopsa.collection import EntityCollection, Note
from rowpush.sandbox.halopsa.errors import HaloError
from rowpush.sandbox.halopsa.schema import EntityKind
from rowpush.sandbox.options import SandboxOptions

TRUE = frozenset({"true", "1"})
FALSE = frozenset({"false", "0"})
INTEGER = re.compile(r"^-?\d{1,10}$")


class QueryParams:
    """Query parameters read by name; remembers which ones were never read."""

    def __init__(self, pairs: Iterable[tuple[str, str]], *, fold: bool) -> None:
        self._fold = fold
        self._values: dict[str, tuple[str, str]] = {}  # lookup name -> (name as sent, value)
        for name, value in pairs:
            self._values[name.lower() if fold else name] = (name, value)
        self._read: set[str] = set()

    def text(self, name: str) -> str | None:
        """The raw value, or None when absent or empty."""
        key = name.lower() if self._fold else name
        self._read.add(key)
        found = self._values.get(key)
        return found[1] if found and found[1] != "" else None

    def flag(self, name: str) -> bool | None:
        """A boolean, parsed ignoring case (``true``, ``True``, ``1``)."""
        raw = self.text(name)
        if raw is None:
            return None
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise HaloError(400, f"The value '{raw}' is not valid for {name}.")

    def integer(self, name: str, minimum: int | None = None) -> int | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not INTEGER.match(raw) or (minimum is not None and int(raw) < minimum):
            raise HaloError(400, f"The value '{raw}' is not valid for {name}.")
        return int(raw)

    def unread(self) -> list[str]:
        """Names as sent of the parameters nothing asked for."""
        return [sent for key, (sent, _) in self._values.items() if key not in self._read]


def list_records(
    collection: EntityCollection, query: QueryParams, options: SandboxOptions, note: Note
) -> dict[str, Any]:
    """The list envelope ``{"record_count": n, "<envelope>": [...]}`` for a GET on the kind."""
    kind = collection.kind
    collection.refresh()
    rows = list(collection.records.values())
    if kind.inactive_field is not None:
        with_inactive = query.flag("includeinactive")
        with_active = query.flag("includeactive")
        if with_inactive is None:
            with_inactive = options.halo_list_inactive_by_default
        if with_active is None:
            with_active = True
        field = kind.inactive_field
        rows = [r for r in rows if (with_inactive if r.get(field) else with_active)]
    for param, field in kind.int_filters.items():
        wanted = query.integer(param)
        if wanted is not None:
            rows = [r for r in rows if r.get(field) == wanted]
    search = query.text("search")
    if search is not None:
        needle = search.casefold()
        rows = [
            r for r in rows if any(needle in str(r.get(f) or "").casefold() for f in kind.search)
        ]
    rows = _ordered(rows, query, kind, note)
    total = len(rows)
    rows = _limited(rows, query, options, kind.max_page_size, note)
    for name in query.unread():
        note(f"query parameter {name!r} ignored")
    if options.halo_list_summary:
        items = [{k: r.get(k) for k in kind.summary} for r in rows]
    else:
        items = rows
    return {"record_count": total, kind.envelope: items}


def _ordered(
    rows: list[dict[str, Any]], query: QueryParams, kind: EntityKind, note: Note
) -> list[dict[str, Any]]:
    order = query.text("order")
    descending = bool(query.flag("orderdesc"))
    field = kind.default_order
    if order is not None:
        names = ["id", *(spec.name for spec in kind.fields), *kind.read_only]
        known = {name.lower(): name for name in names}
        if order.lower() in known:
            field = known[order.lower()]
        else:
            note(f"order field {order!r} unknown, ordered by {field}")

    def key(row: dict[str, Any]) -> tuple[bool, Any, int]:
        value = row.get(field)
        if isinstance(value, str):
            value = value.casefold()
        elif isinstance(value, list | dict):
            value = None
        return (value is not None, value if value is not None else 0, row["id"])

    # A client pages through one list: each page would sort every record again. The
    # order is kept with what it was sorted on (each row's id and value, compared in C),
    # so any change to the records, even one made behind the API's back, sorts anew.
    ids = list(map(_ID, rows))  # in C: a page must cost far less than a sort
    seen = (ids, list(map(methodcaller("get", field), rows)))
    cached = _ORDERS.get((field, descending))
    if cached is not None and cached[0] == seen:
        return list(map(dict(zip(ids, rows, strict=True)).__getitem__, cached[1]))
    ordered = sorted(rows, key=key, reverse=descending)
    _ORDERS[(field, descending)] = (seen, list(map(_ID, ordered)))
    if len(_ORDERS) > _ORDERS_KEPT:
        del _ORDERS[next(iter(_ORDERS))]
    return ordered


_ORDERS: dict[tuple[str, bool], tuple[tuple[list[Any], list[Any]], list[Any]]] = {}
"""The last order of a list by (field, descending): what it was sorted on (the rows' ids
and values), and the ids in that order."""
_ID = itemgetter("id")
_ORDERS_KEPT = 16


def _limited(
    rows: list[dict[str, Any]],
    query: QueryParams,
    options: SandboxOptions,
    max_page_size: int | None,
    note: Note,
) -> list[dict[str, Any]]:
    if query.flag("pageinate"):
        size = query.integer("page_size", minimum=1) or options.halo_default_page_size
        if max_page_size is not None and size > max_page_size:
            note(f"page_size {size} capped at {max_page_size}")
            size = max_page_size
        page = query.integer("page_no", minimum=1) or 1
        if query.text("count") is not None:
            note("count ignored while paging")
        return rows[(page - 1) * size : page * size]
    for name in ("page_size", "page_no"):
        if query.text(name) is not None:
            note(f"{name} ignored without pageinate=true")
    count = query.integer("count", minimum=1)
    if count is None:
        count = options.halo_default_count
    return rows if count is None else rows[:count]
