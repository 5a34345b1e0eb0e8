"""Plan: validated rows + live state → one Change per row.

Rows stream in chunks; for each chunk the target fetches the live records of the
chunk's keys, and each row becomes create / update (with field diffs old → new) /
unchanged / invalid. A blank cell means "leave as is": only the fields the sheet
sets are compared and sent.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any, TypeVar

from rowpush.model import Action, Change, RowError
from rowpush.targets.base import Target

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

    from rowpush.engine.validate import HeaderMap, ValidRow

__all__ = [
    "chunks",
    "fits",
    "headers_of",
    "nothing_to_read",
    "plan_row",
    "plan_rows",
    "plan_typed",
]

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Cut any iterable into lists of at most `size` items, lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


async def plan_rows(
    target: Target,
    client: httpx.AsyncClient,
    rows: Iterable[ValidRow],
    hmap: HeaderMap,
    file: str,
    *,
    guard_creates: bool = True,
) -> AsyncIterator[Change]:
    """Plan every row, fetching live state one chunk of keys at a time.

    With `guard_creates`, a create without a key whose record already exists (the
    target's `existing_creates`) is refused: it would make a second record. Settling a
    lost answer plans without it, as there the record may be the run's own.
    """
    if target.group_rows:
        for change in await plan_groups(target, client, rows, hmap, file):
            yield change
        return
    if nothing_to_read(target):  # row by row: a chunk held would outlive the young GC
        for row in rows:
            yield plan_row(target, row, {}, hmap, file)
        return
    for chunk in chunks(rows, target.live_chunk):
        keys = list(
            dict.fromkeys(r.key for r in chunk if r.model is not None and r.key is not None)
        )
        live = await target.fetch_live(client, keys, _fields_set(chunk)) if keys else {}
        planned = [plan_row(target, row, live, hmap, file) for row in chunk]
        if guard_creates:
            planned = await _refuse_existing(target, client, planned, hmap, file)
        for change in planned:
            yield change


async def _refuse_existing(
    target: Target, client: httpx.AsyncClient, planned: list[Change], hmap: HeaderMap, file: str
) -> list[Change]:
    creates = [c for c in planned if c.action is Action.CREATE and c.key is None]
    existing = await target.existing_creates(client, creates) if creates else {}
    if not existing:
        return planned
    label = target.label or ""
    header = type(target).Row.model_fields[label].alias or label if label else ""
    column = hmap.column_of_alias(header) if header else None
    key_column = hmap.column_of_alias(target.key or "")
    out = []
    for change in planned:
        remote = existing.get(change.row)
        if remote is None or change.action is not Action.CREATE:
            out.append(change)
            continue
        value = change.payload.get(label)
        where = f"column {key_column.letter} ({key_column.header})" if key_column else "the key"
        error = RowError(
            f"{file}: row {change.row}: a {target.name} record with {label} {value!r} already "
            f"exists ({target.key} {remote}); this row would create a second one.",
            row=change.row,
            column=column.letter if column else None,
            header=column.header if column else None,
            value=None if value is None else str(value),
            expected=f"{remote} in {where} to update that record, or another {label}",
            problem=f"{label} already exists ({target.key} {remote})",
        )
        out.append(Change(change.row, Action.INVALID, None, errors=[error], label=change.label))
    return out


def plan_row(
    target: Target, row: ValidRow, live: dict[Any, dict[str, Any]], hmap: HeaderMap, file: str
) -> Change:
    """The one plan of a row, for every target that does not group rows.

    A row without a key is a create; a key no live record has is a create where the
    sheet chooses keys (`create_missing`), else an error; `check` may refuse the row
    given its live record; otherwise the fields whose value differs from the live one,
    compared as the column's type (`Target.same`), make an update."""
    if row.model is None:  # named as the sheet names it, so the row is found in a list
        label = _raw_label(target, row, hmap)
        return Change(row.raw.row, Action.INVALID, row.key, errors=list(row.errors), label=label)
    values = row.values
    label = _label(target, values)
    headers = headers_of(type(target).Row)
    current = live.get(row.key) if row.key is not None else None
    if row.key is not None and current is None and not target.create_missing:
        column = hmap.column_of_alias(headers.get(target.key or "", ""))
        error = RowError(
            f"{file}: row {row.raw.row}: no {target.name} record has {target.key} {row.key}.",
            row=row.raw.row,
            column=column.letter if column else None,
            header=column.header if column else None,
            value=str(row.key),
            expected=f"the {target.key} of an existing record, or a blank {target.key} "
            "to create a new one",
            problem=f"no record has {target.key} {row.key}",
        )
        return Change(row.raw.row, Action.INVALID, key=row.key, errors=[error], label=label)
    problems = target.check(values, current)
    if problems:
        errors = [_check_error(row, hmap, headers, name, text, file) for name, text in problems]
        return Change(row.raw.row, Action.INVALID, key=row.key, errors=errors, label=label)
    json_values = values if target.payload_of_python else _json_values(row.model, values)
    if current is None:
        change = _create(target, row.raw.row, row.key, values, json_values, label)
        too_big = _too_big(target, row, change, file)
        if too_big is not None:
            return Change(row.raw.row, Action.INVALID, key=row.key, errors=[too_big], label=label)
        return change
    changed = {
        name: (current.get(name), new)
        for name, new in values.items()
        if name != target.key and not target.same(name, new, current.get(name))
    }
    label = label or _label(target, current)
    if not changed:
        return Change(row.raw.row, Action.UNCHANGED, row.key, label=label)
    fields = {headers.get(n, n): diff for n, diff in changed.items()}
    payload, wire = target.payload_wire(
        Action.UPDATE, row.key, {n: json_values[n] for n in changed if n in json_values}
    )
    change = Change(row.raw.row, Action.UPDATE, row.key, fields, payload, label=label, wire=wire)
    too_big = _too_big(target, row, change, file)
    if too_big is not None:
        return Change(row.raw.row, Action.INVALID, key=row.key, errors=[too_big], label=label)
    return change


def _create(
    target: Target,
    row: int,
    key: Any,
    values: dict[str, Any],
    json_values: dict[str, Any],
    label: str | None,
) -> Change:
    """A create of `values`: each field by its header as (None, new), and the payload
    with its wire bytes as the target builds them."""
    olds = zip(repeat(None), values.values())  # the fields built in C
    fields = dict(zip(_headers_of_fields(type(target).Row, tuple(values)), olds, strict=True))
    payload, wire = target.payload_wire(Action.CREATE, key, json_values)
    return Change(row, Action.CREATE, key, fields, payload, label=label, wire=wire)


def plan_typed(target: Target, row: int, values: dict[str, Any]) -> Change | None:
    """The plan of a row typed by column (engine/validate_columns) for a target with
    nothing to read (`nothing_to_read`): its create, as `plan_row` makes it; None when the
    row is not plainly a create (`check` or the byte cap refuses it, or its payload needs
    the Row model's JSON dump): `plan_row` then plans it, and says why."""
    if target.check(values, None):
        return None
    json_values = values if target.payload_of_python else _plain_json(type(target).Row, values)
    if json_values is None:
        return None
    change = _create(target, row, None, values, json_values, _label(target, values))
    return None if _oversize(target, change) is not None else change


def nothing_to_read(target: Target) -> bool:
    """No row has a key (nothing live to fetch) and no create can already exist (the
    target finds none): each row is planned on its own, with no live record."""
    kind = type(target)
    return (
        kind.key is None
        and kind.key_of.__func__ is Target.key_of.__func__  # type: ignore[attr-defined]
        and kind.existing_creates is Target.existing_creates
    )


def _fields_set(chunk: list[ValidRow]) -> set[str]:
    """The fields a chunk's valid rows set: what `fetch_live` must read right."""
    return {name for r in chunk if r.model is not None for name in r.model.model_fields_set}


_JSON_AS_IS = frozenset({str, int, bool, type(None)})
"""Python values whose JSON dump is themselves (a float may be inf: JSON says null)."""


def _json_values(model: BaseModel, values: dict[str, Any]) -> dict[str, Any]:
    """`model_dump(mode="json", exclude_unset=True)`: a copy of `values` (the Python
    dump) when every value dumps as itself, which spares dumping the row again."""
    plain = _plain_json(type(model), values)
    return plain if plain is not None else model.model_dump(mode="json", exclude_unset=True)


def _plain_json(row_model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of `values` when it is their JSON dump too (every value dumps as itself);
    None when the Row model must dump them."""
    if _dumps_plainly(row_model) and all(type(v) in _JSON_AS_IS for v in values.values()):
        return dict(values)
    return None


@functools.cache
def _dumps_plainly(row_model: type[BaseModel]) -> bool:
    """No serializer or computed field: its JSON dump differs from the Python one only
    by how values of non-JSON types are written."""
    schema = repr(row_model.__pydantic_core_schema__)
    return "'serialization'" not in schema and "computed_fields" not in schema


def _oversize(target: Target, change: Change) -> int | None:
    """The size of a change's payload when it is over the target's byte cap, else None."""
    if target.batch_bytes is None:
        return None
    size = target.weigh(change)  # encoded once: the journal and the batch body reuse it
    return None if fits(target, size) else size


def fits(target: Target, size: int) -> bool:
    """Whether a payload of `size` bytes fits the target's byte cap, weighed as the
    engine's batches weigh it (send.payload_bytes: its size and a separator)."""
    cap = target.batch_bytes
    return cap is None or size + 1 <= cap


def _too_big(target: Target, row: ValidRow, change: Change, file: str) -> RowError | None:
    """A row whose own payload is over the target's byte cap could never be sent."""
    size = _oversize(target, change)
    if size is None:
        return None
    cap = target.batch_bytes or 0
    text = (
        f"this row is {size:,} bytes as JSON; {target.api.description} takes at most "
        f"{cap - 1:,} in one request: shorten its text values"
    )
    return RowError(f"{file}: row {row.raw.row}: {text}.", row=row.raw.row, problem=text)


async def plan_groups(
    target: Target,
    client: httpx.AsyncClient,
    rows: Iterable[ValidRow],
    hmap: HeaderMap,
    file: str,
) -> list[Change]:
    """Plan a target whose records span several rows: one change per record, carried by
    its first row; the record's other rows follow it. One bad row spoils its record."""
    planned: dict[int, Change] = {}
    groups: dict[Any, list[ValidRow]] = {}
    for row in rows:
        if row.key is None:
            planned[row.raw.row] = plan_row(target, row, {}, hmap, file)
        else:
            groups.setdefault(row.key, []).append(row)
    headers = headers_of(type(target).Row)
    for keys in chunks(list(groups), target.live_chunk):
        valid = [k for k in keys if all(r.model is not None for r in groups[k])]
        fields = {n for k in valid for r in groups[k] for n in r.values}
        live = await target.fetch_live(client, valid, fields) if valid else {}
        for key in keys:
            members = groups[key]
            lead = members[0].raw.row
            bad = [r for r in members if r.model is None]
            if bad:
                for r in members:
                    errors = list(r.errors) or [_spoiled(r, bad[0].raw.row, file)]
                    planned[r.raw.row] = Change(r.raw.row, Action.INVALID, key, errors=errors)
                continue
            plan = target.plan_group([(r.raw.row, r.values) for r in members], live.get(key))
            label = _label(target, members[0].values)
            if plan.problems:
                by_row = {r.raw.row: r for r in members}
                first_bad = plan.problems[0][0]
                for r in members:
                    errors = [
                        _check_error(by_row[n], hmap, headers, name, text, file)
                        for n, name, text in plan.problems
                        if n == r.raw.row
                    ] or [_spoiled(r, first_bad, file)]
                    planned[r.raw.row] = Change(r.raw.row, Action.INVALID, key, errors=errors)
                continue
            planned[lead] = Change(lead, plan.action, key, plan.fields, plan.payload, label=label)
            for r in members[1:]:
                planned[r.raw.row] = Change(r.raw.row, plan.action, key, label=label, lead=lead)
    return [planned[n] for n in sorted(planned)]


@functools.lru_cache(maxsize=256)
def _headers_of_fields(row_model: type[BaseModel], names: tuple[str, ...]) -> tuple[str, ...]:
    """The header of each of `names` (a field's alias, else the name): the rows of a sheet
    share a few sets of names, so a create's fields are named once per set."""
    headers = headers_of(row_model)
    return tuple(headers.get(name, name) for name in names)


@functools.cache
def headers_of(row_model: type[BaseModel]) -> dict[str, str]:
    """Row field name → the header that fills it (its alias), once per Row model."""
    return {name: info.alias or name for name, info in row_model.model_fields.items()}


def _spoiled(row: ValidRow, culprit: int, file: str) -> RowError:
    text = f"another row of the same record (row {culprit}) is invalid"
    return RowError(f"{file}: row {row.raw.row}: {text}.", row=row.raw.row, problem=text)


def _check_error(
    row: ValidRow, hmap: HeaderMap, headers: dict[str, str], name: str | None, text: str, file: str
) -> RowError:
    column = hmap.column_of_alias(headers.get(name, name)) if name else None
    value = row.raw.values.get(column.header) if column else None
    where = f", column {column.letter} ({column.header})" if column else ""
    return RowError(
        f"{file}: row {row.raw.row}{where}: {text}.",
        row=row.raw.row,
        column=column.letter if column else None,
        header=column.header if column else None,
        value=None if value is None else str(value),
        problem=text,
    )


def _raw_label(target: Target, row: ValidRow, hmap: HeaderMap) -> str | None:
    """The label of a row that did not validate: its label cell as written."""
    info = type(target).Row.model_fields.get(target.label or "")
    column = hmap.column_of_alias(info.alias or target.label or "") if info else None
    text = str(row.raw.values.get(column.header, "")).strip() if column else ""
    return text or None


def _label(target: Target, values: dict[str, Any]) -> str | None:
    if target.label and values.get(target.label) not in (None, ""):
        return str(values[target.label])
    return None
