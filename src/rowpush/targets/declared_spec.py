"""The declarative target file: its format is this pydantic model, read and written here.

A target can be a TOML file in `./rowpush-targets/` or `~/.config/rowpush/targets/`
(`$XDG_CONFIG_HOME/rowpush/targets/`) instead of a Python module: `rowpush import
postman|openapi` writes one, and a person may write or edit one by hand. Every field
below has a default and a docstring: the README's format reference follows them.

    name = "orange-ccs.create-user"
    api = "http"
    description = "create user (Postman: API Cloud Customer Space)"

    [[columns]]
    name = "login"
    required = true

    [create]
    method = "POST"
    path = "/contracts/{{Contract-Id}}/user"
    body = { login = "{{login}}", email = "{{email}}" }

A `{{name}}` in a path, a query value or the body stands for the row's cell of that
column, or else for the connection's `vars` entry of that name. A body string that is
exactly one `{{column}}` is replaced by the typed value (a number stays a number) and
left out when the cell is blank.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rowpush.errors import BadInput

__all__ = [
    "ColumnDecl",
    "ReadSpec",
    "TargetSpec",
    "WriteSpec",
    "dump_toml",
    "load_spec",
    "placeholders",
]

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ColumnType = Literal["text", "integer", "number", "boolean", "date", "datetime", "email", "enum"]


def placeholders(text: str) -> list[str]:
    """The `{{names}}` a string uses, in order."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, populate_by_name=True)


class ColumnDecl(_Strict):
    """One spreadsheet column."""

    name: str = Field(min_length=1)
    """The header; a dotted name (`address.city`) nests in the default body."""
    type: ColumnType = "text"
    """text, integer, number, boolean, date, datetime, email or enum."""
    required: bool = False
    """Needed to create a record (checked on every row before any call)."""
    description: str = ""
    """The template's note for this column."""
    example: str = ""
    """An example value, shown in the note."""
    choices: list[str] = []
    """The values of an enum (the template's dropdown)."""
    array: bool = False
    """An array of scalars, written in one cell separated by `;`."""
    where: Literal["body", "path", "query"] = Field("body", alias="in")
    """Where the value goes: the body (default), the path or the query (`in` in the file)."""
    read_only: bool = False
    """Read and compared, never sent (e.g. a creation date)."""

    @model_validator(mode="after")
    def _enum_has_choices(self) -> ColumnDecl:
        if self.type == "enum" and not self.choices:
            raise ValueError(f"column {self.name!r} is an enum without choices")
        return self


class ReadSpec(_Strict):
    """How to read live records (for plan and export)."""

    list: str | None = None
    """Path of the list request (GET), e.g. "/api/Site"."""
    params: dict[str, str] = {}
    """Fixed query parameters of the list request."""
    records: str = ""
    """Dotted path to the records in the list answer; "" finds the array by itself."""
    paging: Literal["none", "page", "offset"] = "none"
    """none: one answer; page: a page number parameter; offset: a record offset."""
    page_param: str = "page"
    """The page number (or offset) parameter."""
    size_param: str = "page_size"
    """The page size parameter."""
    page_size: int = Field(100, ge=1)
    """Records asked for per page."""
    first_page: int = 1
    """The number of the first page (0 or 1)."""
    get: str | None = None
    """Path of the request that reads one record by key, e.g. "/api/Site/{{id}}"."""


class WriteSpec(_Strict):
    """How to create or update records."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    """The HTTP method."""
    path: str = Field(min_length=1)
    """The path (under the connection's base_url), with `{{name}}` placeholders."""
    body: Any = None
    """The body template (a table, an array of one table, or absent: the columns by name)."""
    array: bool = False
    """The endpoint takes an array of records: a batch is one request."""
    batch_size: int = Field(1, ge=1)
    """Most records one request may carry (with `array`)."""
    id_field: str = "id"
    """Where the record's id is in the answer."""


class TargetSpec(_Strict):
    """A declarative target: one kind of record on one HTTP API."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    """The target's name (letters, digits, `_`, `-`, `.`), as verbs take it."""
    api: Literal["http"] = "http"
    """The connection kind: "http" (the generic connection, see `[connections.X]`)."""
    description: str = ""
    """One line for `rowpush targets`."""
    source: str = ""
    """Where this target came from (the collection or spec it was imported from)."""
    key: str | None = None
    """The column naming the remote record; none: every row is sent (send-only)."""
    label: str | None = None
    """The column that names a record for people (shown in plans)."""
    create_missing: bool = False
    """A key no live record has is a create (keys people choose), else an error."""
    rate: str = "5/s"
    """Default requests per window, e.g. "2/s" or "300/5min"."""
    throttled: list[int] = [429]
    """Statuses that mean "slow down": the connection pauses and the request is retried."""
    columns: list[ColumnDecl] = Field(min_length=1)
    """The spreadsheet's columns, in template order."""
    read: ReadSpec | None = None
    """How to read live records (absent: plan says what will be sent)."""
    create: WriteSpec | None = None
    """How to create a record."""
    update: WriteSpec | None = None
    """How to update a record (needs a key)."""

    @model_validator(mode="after")
    def _consistent(self) -> TargetSpec:
        names = [c.name for c in self.columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"columns named twice: {', '.join(twice)}")
        for field in ("key", "label"):
            value = getattr(self, field)
            if value is not None and value not in names:
                raise ValueError(f"{field} {value!r} is not one of the columns")
        if self.create is None and self.update is None:
            raise ValueError("a target needs [create] or [update]")
        if self.update is not None and self.key is None:
            raise ValueError("[update] needs a key column")
        if self.key is not None and (self.read is None or not (self.read.list or self.read.get)):
            raise ValueError("a key needs [read] with list or get, to tell new records from old")
        return self


def load_spec(path: Path) -> TargetSpec:
    """Read one target file; a bad one is a `BadInput` naming the file and the place."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"Cannot read the target file {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise BadInput(f"The target file {path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"The target file {path} is not valid TOML: {exc}.") from None
    try:
        return TargetSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        place = _place(data, error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise BadInput(
            f"The target file {path}: {place or 'the top level'}: {message}.",
            hint="See README, 'Your own API', for the format.",
        ) from None


def _place(data: Any, loc: tuple[int | str, ...]) -> str:
    """`columns[3] (name = "x").type` for a pydantic error location."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            named = node[step].get("name") if isinstance(node, list) and step < len(node) else None
            parts[-1] += f"[{step + 1}]" + (f" ({named})" if isinstance(named, str) else "")
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            parts.append(step)
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


# -- writing -------------------------------------------------------------------------------


def dump_toml(spec: TargetSpec, header: str = "") -> str:
    """The target as a TOML file (what `load_spec` reads back to an equal spec)."""
    data = spec.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data = {"name": spec.name, "api": spec.api, **data}
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    arrays = {k: v for k, v in data.items() if k == "columns"}
    for key, value in data.items():
        if key not in tables and key not in arrays:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        lines += ["", f"[{_key(key)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    for column in arrays.get("columns", []):
        lines += ["", "[[columns]]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in column.items()]
    return "\n".join(lines) + "\n"


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """A TOML value (inline): JSON's string escapes are TOML's for basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML cannot hold NaN or infinity here")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if value is None:  # TOML has no null: an empty string is a blank
        return '""'
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
