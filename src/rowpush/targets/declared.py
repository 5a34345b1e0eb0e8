"""Declarative targets: a `TargetSpec` (targets/declared_spec.py) made into a `Target`.

`declared_target(spec)` builds a real `Target` subclass: its `Row` model is made from
the columns (types, required, enum dropdowns, notes), and `fetch_live`, `iter_live` and
`send` follow the spec's `[read]`, `[create]` and `[update]`. The engine cannot tell it
from a target written in Python.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator

from rowpush.errors import BadInput
from rowpush.http.retry import NOT_IDEMPOTENT
from rowpush.model import Action, Change, Outcome
from rowpush.sheets.table import ColumnSpec
from rowpush.targets.answers import Answers
from rowpush.targets.base import ExportOptions, Target, gather_all, outcome_for
from rowpush.targets.declared_spec import PLACEHOLDER, ColumnDecl, TargetSpec, WriteSpec
from rowpush.targets.http_api import HttpApi, http_api

__all__ = ["DeclaredTarget", "declared_target", "split_cell"]

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SEPARATOR = ";"
BY_KEY_LIMIT = 10
"""Up to this many keys are read one by one (with a get); more and the list is read once."""


def split_cell(value: Any) -> Any:
    """A `;`-separated cell as a list (a list stays a list)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(SEPARATOR) if part.strip()]
    return value


def _scalar(column: ColumnDecl) -> Any:
    kinds: dict[str, Any] = {
        "text": str,
        "integer": int,
        "number": float,
        "boolean": bool,
        "date": date,
        "datetime": datetime,
        "email": str,
    }
    if column.type == "enum":
        return Literal[tuple(column.choices)]
    return kinds[column.type]


def _field_name(index: int, header: str) -> str:
    """A Python name for a column (its header is the alias)."""
    clean = re.sub(r"\W+", "_", header).strip("_")
    return f"c{index}_{clean}" if not clean.isidentifier() or clean.startswith("_") else clean


def _row_model(spec: TargetSpec, names: dict[str, str]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in spec.columns:
        kind = _scalar(column)
        extra: dict[str, Any] = {}
        if column.type == "email":
            extra["pattern"] = EMAIL
        annotation: Any = kind | None
        if column.array:
            annotation = Annotated[list[kind] | None, BeforeValidator(split_cell)]  # type: ignore[valid-type]
            extra = {}
        info = Field(
            None,
            alias=column.name,
            description=column.description or None,
            examples=[column.example] if column.example else None,
            **extra,
        )
        fields[names[column.name]] = (annotation, info)
    required = [names[c.name] for c in spec.columns if c.required]
    key = names.get(spec.key) if spec.key else None

    def needed(row: BaseModel) -> BaseModel:
        # A create (no key, or a send-only target) must fill the required columns;
        # a keyed row may still be a create: `check` asks again once live state is known.
        if key is None or getattr(row, key) is None:
            missing = [n for n in required if n != key and getattr(row, n) in (None, "", [])]
            if missing:
                headers = [type(row).model_fields[n].alias or n for n in missing]
                raise ValueError(f"{', '.join(headers)} needed to create a record")
        return row

    return create_model(
        f"{_camel(spec.name)}Row",
        __config__=ConfigDict(str_strip_whitespace=True, extra="forbid"),
        __validators__={"_needed": cast(Any, model_validator(mode="after")(needed))},
        **fields,
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


class DeclaredTarget(Target):
    """A target made from a declarative file (see `declared_target`)."""

    api: ClassVar[HttpApi]
    spec: ClassVar[TargetSpec]
    origin: ClassVar[str]
    """The file it was read from, for messages."""
    field_of: ClassVar[dict[str, str]]
    """Column header → Row field name."""
    answers: ClassVar[Answers]

    @classmethod
    def columns(cls) -> list[ColumnSpec]:
        """The Row's columns, with the declared required ones noted as such."""
        required = {c.name for c in cls.spec.columns if c.required}
        return [replace(c, required=c.required or c.header in required) for c in super().columns()]

    def __init__(self, conn: Any = None) -> None:
        super().__init__(conn)
        self._index: dict[Any, dict[str, Any]] | None = None

    # -- placeholders ---------------------------------------------------------------------

    def _vars(self) -> dict[str, str]:
        return self.api.vars(self.conn) if self.conn is not None else {}

    def _fill(self, template: str, values: Mapping[str, Any], *, quoted: bool) -> str:
        """`template` with each `{{name}}` replaced by a column's value, else a var."""
        variables = self._vars()

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            field = self.field_of.get(name)
            value = values.get(field) if field else None
            if value in (None, ""):
                value = variables.get(name)
            if value in (None, ""):
                raise _Unfilled(name)
            text = _plain(value)
            return quote(text, safe="") if quoted else text

        return PLACEHOLDER.sub(one, template)

    def _body(self, write: WriteSpec, values: Mapping[str, Any]) -> Any:
        if write.body is None:
            return self._default_body(values)
        return _render(write.body, lambda name: self._value_of(name, values))

    def _value_of(self, name: str, values: Mapping[str, Any]) -> Any:
        field = self.field_of.get(name)
        if field is not None:
            value = values.get(field)
            return None if value in (None, "") else value
        return self._vars().get(name) or None

    def _default_body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for column in self.spec.columns:
            field = self.field_of[column.name]
            if column.where != "body" or column.read_only or field not in values:
                continue
            node = body
            *parents, last = column.name.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = values[field]
        return body

    # -- writing --------------------------------------------------------------------------

    def payload(self, action: Action, key: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: _whole(v) for k, v in values.items()}
        if action is Action.UPDATE and self.key:
            body[self.key] = _whole(key)
        return body

    async def send(self, client: httpx.AsyncClient, batch: Sequence[Change]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        for action in (Action.CREATE, Action.UPDATE):
            changes = [c for c in batch if c.action is action]
            write = self.spec.create if action is Action.CREATE else self.spec.update
            if not changes:
                continue
            if write is None:
                what = "create" if action is Action.CREATE else "update"
                for c in changes:
                    outcomes[c.row] = outcome_for(
                        c, ok=False, http_status=None, message=f"{self.name} cannot {what} records"
                    )
                continue
            if write.array:
                done = await self._send_array(client, write, changes)
            else:
                done = [await self._send_one(client, write, c) for c in changes]
            outcomes.update({o.row: o for o in done})
        return [outcomes[c.row] for c in batch]

    def _request(self, write: WriteSpec, change: Change) -> tuple[str, dict[str, str]]:
        path = self._fill(write.path, change.payload, quoted=True)
        query = {
            column.name: _plain(change.payload[self.field_of[column.name]])
            for column in self.spec.columns
            if column.where == "query"
            and change.payload.get(self.field_of[column.name]) not in (None, "")
        }
        return path, query

    async def _send_one(
        self, client: httpx.AsyncClient, write: WriteSpec, change: Change
    ) -> Outcome:
        try:
            path, query = self._request(write, change)
            body = self._body(write, change.payload)
        except _Unfilled as missing:
            return outcome_for(change, ok=False, http_status=None, message=str(missing))
        response = await _call(client, write, path, query, body)
        if not response.is_success:
            return self._failed(change, response)
        record = _json(response)
        records = record if isinstance(record, list) else [record]
        return self._outcome(write, change, records[0] if records else None, response.status_code)

    async def _send_array(
        self, client: httpx.AsyncClient, write: WriteSpec, changes: Sequence[Change]
    ) -> list[Outcome]:
        try:
            path, query = self._request(write, changes[0])
            body = [self._body(write, c.payload) for c in changes]
        except _Unfilled as missing:
            return [
                outcome_for(c, ok=False, http_status=None, message=str(missing)) for c in changes
            ]
        if isinstance(write.body, list):  # the template is itself an array of one record
            body = [b[0] if isinstance(b, list) and b else b for b in body]
        response = await _call(client, write, path, query, body)
        if not response.is_success:
            return [self._failed(c, response) for c in changes]
        answer = _json(response)
        records = answer if isinstance(answer, list) else [answer]
        if len(records) != len(changes):
            records = [None] * len(changes)
        return [
            self._outcome(write, c, r, response.status_code)
            for c, r in zip(changes, records, strict=True)
        ]

    def _failed(self, change: Change, response: httpx.Response) -> Outcome:
        return outcome_for(
            change,
            ok=False,
            http_status=response.status_code,
            message=self.answers.error_message(response),
        )

    def _outcome(self, write: WriteSpec, change: Change, record: Any, status: int) -> Outcome:
        remote = _dig(record, write.id_field) if isinstance(record, dict) else None
        if remote is None and change.action is Action.UPDATE:
            remote = change.key
        return outcome_for(change, ok=True, http_status=status, remote_id=_whole(remote))

    # -- reading --------------------------------------------------------------------------

    def _project(self, record: Mapping[str, Any], *, cells: bool) -> dict[str, Any]:
        """A live record as Row values: dotted columns dig into nested objects; arrays of
        scalars become one `;`-separated cell when `cells` (for export)."""
        values: dict[str, Any] = {}
        for column in self.spec.columns:
            value = _dig(record, column.name)
            if isinstance(value, list) and cells:
                value = SEPARATOR.join(_plain(v) for v in value)
            elif isinstance(value, dict | list) and not column.array:
                value = None
            values[self.field_of[column.name]] = (
                _whole(value) if column.type == "integer" else value
            )
        return values

    async def _pages(self, client: httpx.AsyncClient) -> AsyncIterator[list[dict[str, Any]]]:
        read = self.spec.read
        if read is None or read.list is None:
            return
        path = self._fill(read.list, {}, quoted=True)
        params = dict(read.params)
        number = read.first_page
        seen: set[str] = set()
        while True:
            if read.paging == "page":
                params.update({read.page_param: str(number), read.size_param: str(read.page_size)})
            elif read.paging == "offset":
                params.update(
                    {read.page_param: str(len(seen)), read.size_param: str(read.page_size)}
                )
            answer = self.answers.json(await client.get(path, params=params), f"list {self.name}")
            records = _records(answer, read.records)
            if records is None:
                raise BadInput(
                    f"{self.origin}: the list answer of {path} holds no array of records"
                    + (f" at {read.records!r}" if read.records else "")
                    + ".",
                    hint="Set records under [read] to the dotted path of the array.",
                )
            fresh = [r for r in records if repr(r) not in seen]
            if fresh:
                yield fresh
            if read.paging == "none" or len(records) < read.page_size or not fresh:
                return
            seen.update(repr(r) for r in fresh)
            number += 1

    async def iter_live(
        self, client: httpx.AsyncClient, fields: Collection[str], options: ExportOptions
    ) -> AsyncIterator[dict[str, Any]]:
        async for records in self._pages(client):
            for record in records:
                yield self._project(record, cells=True)

    async def fetch_live(
        self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
    ) -> dict[Any, dict[str, Any]]:
        read = self.spec.read
        if read is None or self.key is None:
            return {}
        wanted = [k for k in keys if k is not None]
        if read.get and (
            read.list is None or (self._index is None and len(wanted) <= BY_KEY_LIMIT)
        ):
            found = await gather_all(self._get(client, k) for k in wanted)
            return {k: r for k, r in zip(wanted, found, strict=True) if r is not None}
        if self._index is None:
            self._index = {}
            async for records in self._pages(client):
                for record in records:
                    values = self._project(record, cells=False)
                    live_key = _whole(values.get(self.key))
                    if live_key is not None:
                        self._index[_key_form(live_key)] = values
        return {k: self._index[_key_form(k)] for k in wanted if _key_form(k) in self._index}

    async def _get(self, client: httpx.AsyncClient, key: Any) -> dict[str, Any] | None:
        read = self.spec.read
        assert read is not None
        assert read.get is not None
        assert self.key is not None
        path = self._fill(read.get, {self.key: _whole(key)}, quoted=True)
        response = await client.get(path)
        if response.status_code == 404:
            return None
        record = self.answers.json_object(response, f"get {self.name} {key}")
        return self._project(record, cells=False)

    def check(
        self, values: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> list[tuple[str | None, str]]:
        """Placeholders of the request no cell or connection var fills, and, for a keyed
        row no live record has, the required columns a create needs."""
        problems: list[tuple[str | None, str]] = []
        write = self.spec.create if live is None else self.spec.update
        if write is not None:
            merged = dict(values)
            if self.key is not None and live is not None:
                merged.setdefault(self.key, live.get(self.key))
            try:
                self._fill(write.path, merged, quoted=True)
            except _Unfilled as missing:
                problems.append((self.field_of.get(missing.name), str(missing)))
        if live is not None or self.key is None:
            return problems
        return problems + [
            (
                self.field_of[c.name],
                f"{c.name} is needed to create a record (no live record has this {self.spec.key})",
            )
            for c in self.spec.columns
            if c.required
            and c.name != self.spec.key
            and values.get(self.field_of[c.name]) in (None, "", [])
        ]


class _Unfilled(Exception):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"no value for {{{{{name}}}}}: fill its column, or set it under vars in the connection"
        )


def _render(template: Any, value_of: Any) -> Any:
    """The body template with its placeholders filled (blank exact placeholders left out)."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, item in template.items():
            value = _render(item, value_of)
            if value is not _BLANK:
                out[key] = value
        return out
    if isinstance(template, list):
        return [v for v in (_render(item, value_of) for item in template) if v is not _BLANK]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            value = value_of(whole.group(1))
            return _BLANK if value is None else value
        return PLACEHOLDER.sub(lambda m: _plain(value_of(m.group(1)) or ""), template)
    return template


_BLANK = object()


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_whole(value))


def _whole(value: Any) -> Any:
    """12.0 as 12: numbers that are whole go out (and compare, and key) as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key_form(value: Any) -> Any:
    value = _whole(value)
    if isinstance(value, str):
        try:
            return _whole(float(value)) if value.strip() else value
        except ValueError:
            return value
    return value


def _dig(record: Any, dotted: str) -> Any:
    node = record
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


async def _call(
    client: httpx.AsyncClient, write: WriteSpec, path: str, query: dict[str, str], body: Any
) -> httpx.Response:
    """One write request; a POST is not retried on an unclear answer (it may create)."""
    return await client.request(
        write.method,
        path,
        params=query or None,
        json=body,
        extensions=NOT_IDEMPOTENT if write.method == "POST" else {},
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _records(answer: Any, path: str) -> list[dict[str, Any]] | None:
    """The records of a list answer: at `path`, else the answer itself when it is an array,
    else the first array of objects among its keys."""
    node = _dig(answer, path) if path else answer
    if isinstance(node, list):
        return [r for r in node if isinstance(r, dict)]
    if not path and isinstance(node, dict):
        for value in node.values():
            if isinstance(value, list) and (not value or isinstance(value[0], dict)):
                return [r for r in value if isinstance(r, dict)]
    return None


def declared_target(spec: TargetSpec, origin: str) -> type[DeclaredTarget]:
    """A `Target` subclass for one declarative target file."""
    names: dict[str, str] = {}
    for index, column in enumerate(spec.columns):
        field = _field_name(index, column.name)
        # `a.b` and `a_b` both read as a_b: the second gets its own name
        names[column.name] = field if field not in names.values() else f"c{index}_{field}"
    row = _row_model(spec, names)
    attributes: dict[str, Any] = {
        "name": spec.name,
        "api": http_api(spec.rate, frozenset(spec.throttled)),
        "description": spec.description or f"declared in {origin}",
        "Row": row,
        "key": names[spec.key] if spec.key else None,
        "label": names[spec.label] if spec.label else None,
        "required_columns": (spec.key,) if spec.key else (),
        "create_missing": spec.create_missing,
        "batch_size": _batch_size(spec),
        "spec": spec,
        "origin": origin,
        "field_of": names,
        "answers": Answers(
            spec.name,
            error_keys=("message", "description", "error_description", "error", "detail", "title"),
            detail=": {}",
        ),
        "not_exported": None if spec.read and spec.read.list else f"{origin} names no list request",
        "__doc__": spec.description or f"The target declared in {origin}.",
        "__module__": __name__,
    }
    return cast(type[DeclaredTarget], type(_camel(spec.name), (DeclaredTarget,), attributes))


def _batch_size(spec: TargetSpec) -> int:
    sizes = [w.batch_size for w in (spec.create, spec.update) if w is not None and w.array]
    return min(sizes) if sizes else 1
