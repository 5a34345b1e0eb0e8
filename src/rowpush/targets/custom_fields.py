"""Custom fields: a record's `customFields` object as `custom.<name>` columns.

m3ter accounts and Usage Engine meters carry free-form custom fields; a sheet gives
each one a column headed `custom.<name>` (any case for `custom`). A target turns this
on with `custom_fields = True`; these helpers map between the columns and the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["PREFIX", "RECORD_KEY", "column_for", "columns_in", "custom_of", "live_values", "split"]

PREFIX = "custom."
RECORD_KEY = "customFields"


def column_for(header: str) -> str | None:
    """The Row extra a `custom.<name>` header fills (`custom.<name>`), None otherwise."""
    prefix, _, name = header.partition(".")
    return f"{PREFIX}{name}" if prefix.lower() == PREFIX[:-1] and name else None


def live_values(record: Mapping[str, Any], text: Callable[[Any], Any]) -> dict[str, Any]:
    """A live record's custom fields as column values (each shown through `text`)."""
    return {f"{PREFIX}{name}": text(value) for name, value in custom_of(record).items()}


def split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A row's values without its custom columns, and its custom fields by name."""
    plain = {k: v for k, v in values.items() if not k.startswith(PREFIX)}
    custom = {k.removeprefix(PREFIX): v for k, v in values.items() if k.startswith(PREFIX)}
    return plain, custom


def custom_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The `customFields` object of a live record ({} when it has none)."""
    found = record.get(RECORD_KEY)
    return dict(found) if isinstance(found, Mapping) else {}


def columns_in(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The `custom.<name>` columns an export of `records` needs, in first-seen order."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(custom_of(record)))
    return [f"{PREFIX}{n}" for n in names]
