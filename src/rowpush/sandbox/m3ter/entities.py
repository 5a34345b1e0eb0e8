"""The live records of one Config API kind, with create, whole-entity replace and delete.

Every write is checked whole before anything changes. ``PUT`` needs the stored
``version`` and bumps it; fields it omits fall back to their defaults, as on m3ter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rowpush.sandbox.m3ter.errors import M3terError
from rowpush.sandbox.m3ter.fields import bad, shown
from rowpush.sandbox.m3ter.kinds import META_FIELDS, CheckContext, Kind


@dataclass
class Author:
    """Who writes and when: fills ``createdBy``/``dtCreated`` and friends."""

    actor: str
    now: str
    new_id: Callable[[], str]


class EntityStore:
    """Records of one kind by id, in creation order (tests read and edit ``records``)."""

    def __init__(self, kind: Kind, records: dict[str, dict[str, Any]] | None = None) -> None:
        self.kind = kind
        self.records: dict[str, dict[str, Any]] = records if records is not None else {}

    def get(self, record_id: str) -> dict[str, Any]:
        """The record, or 404."""
        record = self.records.get(record_id)
        if record is None:
            raise M3terError(404, f"{self.kind.name} {record_id} not found")
        return record

    def by_code(self, code: str) -> dict[str, Any] | None:
        for record in self.records.values():
            if record.get("code") == code:
                return record
        return None

    def create(self, body: Any, ctx: CheckContext, author: Author) -> dict[str, Any]:
        """Check ``body`` and store it as a new record with ``version`` 1."""
        body = self._object(body)
        if "version" in body:
            if ctx.options.version_on_create == "reject":
                raise bad(f"{self.kind.name}: version must not be sent when creating")
            ctx.note("version on create ignored")
        values = self.kind.check(self._writable(body, ctx), ctx)
        self._unique(values, None)
        return self.insert(values, author)

    def insert(self, values: dict[str, Any], author: Author) -> dict[str, Any]:
        """Store already checked ``values`` as a new record (seed, skeleton accounts)."""
        record_id = author.new_id()
        record = {
            "id": record_id,
            "version": 1,
            **values,
            "dtCreated": author.now,
            "dtLastModified": author.now,
            "createdBy": author.actor,
            "lastModifiedBy": author.actor,
        }
        self.records[record_id] = record
        return record

    def replace(
        self, record_id: str, body: Any, ctx: CheckContext, author: Author
    ) -> dict[str, Any]:
        """Replace the whole record; ``version`` must equal the stored one."""
        current = self.get(record_id)
        body = self._object(body)
        sent = body.get("version")
        if sent is None:
            raise bad(f"{self.kind.name}: version is required when updating")
        if isinstance(sent, bool) or not isinstance(sent, int):
            raise bad(f"{self.kind.name}: version must be a whole number, got {shown(sent)}")
        ctx.self_id = record_id
        values = self.kind.check(self._writable(body, ctx), ctx)
        if sent != current["version"]:
            raise M3terError(
                ctx.options.version_conflict_status,
                f"Version mismatch for {self.kind.name} {record_id}: "
                f"expected {current['version']}, got {sent}",
            )
        self._unique(values, record_id)
        record = {
            "id": record_id,
            "version": current["version"] + 1,
            **values,
            "dtCreated": current["dtCreated"],
            "dtLastModified": author.now,
            "createdBy": current["createdBy"],
            "lastModifiedBy": author.actor,
        }
        self.records[record_id] = record
        return record

    def delete(self, record_id: str) -> dict[str, Any]:
        """Remove the record and return it."""
        record = self.get(record_id)
        del self.records[record_id]
        return record

    def _object(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad(f"The request body must be a JSON object ({self.kind.name})")
        return body

    def _writable(self, body: dict[str, Any], ctx: CheckContext) -> dict[str, Any]:
        """The body without server-maintained and unknown fields (both noted)."""
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key in META_FIELDS:
                if key != "version":
                    ctx.note(f"read-only field {key!r} ignored")
            elif key in self.kind.fields:
                out[key] = value
            else:
                ctx.note(f"unknown field {key!r} ignored")
        return out

    def _unique(self, values: dict[str, Any], record_id: str | None) -> None:
        if not self.kind.unique_code:
            return
        clash = self.by_code(values["code"])
        if clash is not None and clash["id"] != record_id:
            raise bad(f"A {self.kind.name} with code {shown(values['code'])} already exists")
