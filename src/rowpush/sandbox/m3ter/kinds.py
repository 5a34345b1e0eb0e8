"""What a Config API record kind declares, and what its checks may consult."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.m3ter.options import M3terOptions

META_FIELDS = ("id", "version", "dtCreated", "dtLastModified", "createdBy", "lastModifiedBy")
"""Server-maintained fields: ignored in request bodies (``version`` is checked on PUT)."""


@dataclass
class CheckContext:
    """What a kind's check needs besides the body."""

    options: M3terOptions
    note: Callable[[str], None]
    """Adds a remark to the request log entry."""
    exists: Callable[[str, str], bool]
    """(kind path, id) -> whether such a record exists."""
    self_id: str | None = None
    """The record being replaced (None on create)."""


Check = Callable[[dict[str, Any], CheckContext], dict[str, Any]]
"""Body (meta and unknown fields removed) -> every writable field, defaults filled in."""


@dataclass(frozen=True)
class Kind:
    """One kind of Config API record served at ``/organizations/{orgId}/{path}``."""

    name: str
    """Singular, as in messages: "Meter"."""
    path: str
    """Path segment: "meters"."""
    fields: tuple[str, ...]
    """Writable fields, in the order records show them."""
    check: Check
    filters: Mapping[str, str] = field(default_factory=lambda: {"ids": "id", "codes": "code"})
    """List query parameter -> the field it matches (comma-joined or repeated values)."""
    max_page_size: int | None = None
    """Largest ``pageSize``; None: ``M3terOptions.max_page_size``."""
    unique_code: bool = True
    """``code`` must be unique among records of this kind."""
