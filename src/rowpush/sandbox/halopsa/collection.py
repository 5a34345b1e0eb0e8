"""A collection of Halo records of one kind, and Halo's array upsert on it.

A POST body is checked whole before anything is written: one bad object answers 400 and
leaves every record as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from rowpush.sandbox.halopsa.errors import HaloError
from rowpush.sandbox.halopsa.options import NAME, HaloEntityOptions
from rowpush.sandbox.halopsa.schema import ADDRESS_KEYS, CustomFieldDef, EntityKind, FieldSpec, Note
from rowpush.sandbox.options import SandboxOptions

INT32_MAX = 2**31 - 1
EXPECTED = {
    "int": "a whole number",
    "str": "a string",
    "bool": "true or false",
    "address": "an address object",
}

__all__ = ["EntityCollection", "Note"]


@dataclass
class _Write:
    """One checked object of a POST body, ready to apply."""

    record_id: int | None
    """None: create."""
    changes: dict[str, Any]
    custom: dict[int, Any] | None
    """Custom field id -> new value, when the object carried ``customfields``."""


class EntityCollection:
    """The live records of one kind, keyed by id (tests read and edit ``records`` directly)."""

    def __init__(self, kind: EntityKind, records: dict[int, dict[str, Any]]) -> None:
        self.kind = kind
        self.records = records
        self._next_id = max(records, default=0) + 1

    def get(self, record_id: int) -> dict[str, Any] | None:
        """The full record, or None."""
        record = self.records.get(record_id)
        if record is not None:
            self._recompute(record, live_only=True)
        return record

    def refresh(self) -> None:
        """Recompute the twins that name records of other kinds (``client_name``) on every
        record, so reads show renames made since the record was written."""
        if any(spec.lookup and spec.lookup.live for spec in self.kind.fields):
            for record in self.records.values():
                self._recompute(record, live_only=True)

    def allocate_id(self) -> int:
        """Reserve the next id, for a record another kind creates (a new client's main site)."""
        record_id = self._next_id
        self._next_id += 1
        return record_id

    def insert(self, record: dict[str, Any]) -> None:
        """Add a record built elsewhere, its id from ``allocate_id``; twins are computed."""
        self.records[record["id"]] = record
        self._next_id = max(self._next_id, record["id"] + 1)
        self._recompute(record)

    def upsert(self, body: Any, options: SandboxOptions, note: Note) -> list[dict[str, Any]]:
        """Apply a POST body (a JSON array) and return the saved records in input order:
        the live records themselves (the answer is serialized at once; a copy of each
        cost a tenth of the emulator's CPU in a 5,000-row update)."""
        name = self.kind.name
        if not isinstance(body, list):
            raise HaloError(400, f"The request body must be a JSON array of {name} objects.")
        if not body:
            raise HaloError(400, f"The request body must contain at least one {name} object.")
        writes = [self._check(index, item, options, note) for index, item in enumerate(body)]
        return [self._apply(write, options) for write in writes]

    def _check(self, index: int, item: Any, options: SandboxOptions, note: Note) -> _Write:
        kind = self.kind
        where = f"{kind.name} object {index + 1}"
        if not isinstance(item, dict):
            raise HaloError(400, f"{where} is not a JSON object.")
        fold = options.halo_case_insensitive_names
        record_id = self._target(item, where, options, fold)
        changes: dict[str, Any] = {}
        custom: dict[int, Any] | None = None
        read_only = {name.lower() if fold else name for name in kind.read_only}
        for key, value in item.items():
            folded = key.lower() if fold else key
            if folded == "id":
                continue
            if key.startswith("_"):
                note(f"{where}: control flag {key!r} accepted, no effect in the sandbox")
                continue
            if folded == "customfields":
                custom = self._check_custom(value, where)
                continue
            if folded in read_only:
                note(f"{where}: read-only field {key!r} ignored")
                continue
            spec = kind.field(key, case_insensitive=fold)
            if spec is None:
                note(f"{where}: unknown field {key!r} ignored")
                continue
            self._check_value(spec, value, where)
            if spec.kind == "address" and value is not None:
                value = _checked_address(spec, value, where, note, fold)
            changes[spec.name] = value
        if record_id is None:
            for spec in kind.fields:
                if spec.required and spec.name not in changes:
                    raise HaloError(400, f"{where}: {kind.name} {spec.name} is required.")
        if kind.prepare is not None:
            current = None if record_id is None else self.records[record_id]
            kind.prepare(current, changes, options, lambda text: note(f"{where}: {text}"))
        return _Write(record_id, changes, custom)

    def _target(
        self, item: dict[str, Any], where: str, options: SandboxOptions, fold: bool
    ) -> int | None:
        """The id an object updates, or None when it creates."""
        keys = [k for k in item if (k.lower() if fold else k) == "id"]
        raw = item[keys[-1]] if keys else None
        if raw is None or raw == 0:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise HaloError(400, f"{where}: invalid id {json.dumps(raw)}; expected a whole number.")
        if raw in self.records:
            return raw
        if options.halo_unknown_id == "create":
            return None
        raise HaloError(400, f"{self.kind.name} {raw} does not exist.")

    def _check_value(self, spec: FieldSpec, value: Any, where: str) -> None:
        if value is None:
            if not spec.nullable:
                raise HaloError(400, f"{where}: {spec.name} cannot be null.")
            return
        if spec.kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= INT32_MAX
        elif spec.kind == "bool":
            ok = isinstance(value, bool)
        elif spec.kind == "address":
            ok = isinstance(value, dict)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise HaloError(
                400,
                f"{where}: invalid value {json.dumps(value)} for '{spec.name}'; "
                f"expected {EXPECTED[spec.kind]}.",
            )
        if spec.lookup is not None and value not in spec.lookup.names:
            raise HaloError(400, f"{spec.lookup.label} {value} does not exist.")
        if spec.required and isinstance(value, str) and not value.strip():
            raise HaloError(400, f"{where}: {self.kind.name} {spec.name} cannot be empty.")

    def _check_custom(self, value: Any, where: str) -> dict[int, Any]:
        if not isinstance(value, list):
            raise HaloError(400, f"{where}: customfields must be a JSON array.")
        by_id = {d.id: d for d in self.kind.custom_fields}
        by_name = {d.name.lower(): d for d in self.kind.custom_fields}
        posted: dict[int, Any] = {}
        for entry in value:
            if not isinstance(entry, dict):
                raise HaloError(400, f"{where}: each custom field must be a JSON object.")
            ref = entry.get("id") or entry.get("name")
            definition = by_id.get(ref) if isinstance(ref, int) else None
            if definition is None and isinstance(entry.get("name"), str):
                definition = by_name.get(entry["name"].lower())
            if definition is None:
                raise HaloError(400, f"Custom field {json.dumps(ref)} does not exist.")
            posted[definition.id] = _custom_value(definition, entry.get("value"), where)
        return posted

    def _apply(self, write: _Write, options: SandboxOptions) -> dict[str, Any]:
        created = write.record_id is None
        record = self._new_record() if write.record_id is None else self.records[write.record_id]
        merge = options.api_options(NAME, HaloEntityOptions).address_merge
        for name, value in write.changes.items():
            spec = self.kind.field(name, case_insensitive=False)
            if spec is not None and spec.kind == "address" and value is not None:
                base = record.get(name) if merge else None
                value = {**(base or dict.fromkeys(ADDRESS_KEYS)), **value}
            record[name] = value
        if write.custom is not None:
            for field in record["customfields"]:
                if field["id"] in write.custom:
                    field["value"] = write.custom[field["id"]]
                elif options.halo_customfields_replace:
                    field["value"] = None
        self._recompute(record)
        if created and self.kind.on_create is not None:
            self.kind.on_create(record)
        return record

    def _new_record(self) -> dict[str, Any]:
        record_id = self._next_id
        self._next_id += 1
        defaults = self.kind.defaults()
        record: dict[str, Any] = {"id": record_id}
        for spec in self.kind.fields:
            record[spec.name] = defaults.get(spec.name)
            if spec.twin:
                record[spec.twin] = None
        record["customfields"] = [d.blank() for d in self.kind.custom_fields]
        self.records[record_id] = record
        return record

    def _recompute(self, record: dict[str, Any], *, live_only: bool = False) -> None:
        """Refresh the read-only ``*_name`` twins from their lookup tables."""
        for spec in self.kind.fields:
            if spec.twin and spec.lookup and (spec.lookup.live or not live_only):
                value = record.get(spec.name)
                record[spec.twin] = None if value is None else spec.lookup.names.get(value)


def _checked_address(
    spec: FieldSpec, value: dict[str, Any], where: str, note: Note, fold: bool
) -> dict[str, Any]:
    """The known keys of a posted address object, each a string or null."""
    address: dict[str, Any] = {}
    for sent, line in value.items():
        key = sent.lower() if fold else sent
        if key not in ADDRESS_KEYS:
            note(f"{where}: unknown key {sent!r} of {spec.name} ignored")
            continue
        if line is not None and not isinstance(line, str):
            raise HaloError(
                400,
                f"{where}: invalid value {json.dumps(line)} for '{spec.name}.{key}'; "
                "expected a string.",
            )
        address[key] = line
    return address


def _custom_value(definition: CustomFieldDef, value: Any, where: str) -> Any:
    if value is None or value == "":
        return value
    if definition.type == 4:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            dt.date.fromisoformat(value[:10])
        except ValueError:
            raise HaloError(
                400,
                f"{where}: {definition.name} must be a date (YYYY-MM-DD), got {json.dumps(value)}.",
            ) from None
        return value
    if isinstance(value, dict | list):
        raise HaloError(400, f"{where}: {definition.name} must be a single value.")
    return value
