"""Validation a chunk of rows at a time, one column at a time: a bulk append's fast path.

`validate_rows` types each row with the target's Row model: a model built, checked and
dumped per row, about 5 µs of a million-row ingest's budget of 20. When the Row model
is only its fields (no validator, serializer or computed field, scalar types), typing
each column's values of a chunk in one call of the field's own validator gives the
same values for a fraction of that. A row any column refuses is left to
`validate_rows` (None here), so every message about a bad row is the one it always was:
this path only ever says "valid, and these are its values".
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast, get_args, get_origin

from pydantic import ConfigDict, TypeAdapter, ValidationError

from rowpush.engine.dates import date_fields
from rowpush.engine.validate import cell_input

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    from rowpush.engine.validate import HeaderMap
    from rowpush.model import CellValue, RawRow
    from rowpush.targets.base import Target

__all__ = ["BLANK", "ColumnTyper"]

#: Model settings that only shape a model (not a field's values), or that these typers
#: pass on to each field's validator; a Row model with any other setting is typed row by row.
_MODEL_ONLY = frozenset({"extra", "title", "json_schema_extra", "protected_namespaces"})
_PASSED_ON = frozenset(
    {"str_strip_whitespace", "str_to_lower", "str_to_upper", "str_min_length", "str_max_length"}
)
_DATE_MARK = re.compile("[-:]")
"""In a date written as text (2026-01-31, 10:00): else it may be an Excel serial."""
_SCALARS = (str, int, float, bool, datetime, date, Decimal, type(None))
BLANK: Any = object()
"""A blank cell among a column's typed values: the field is left unset in that row."""


class ColumnTyper:
    """Types a sheet's rows a chunk at a time, column by column (see the module)."""

    def __init__(
        self,
        target: type[Target],
        columns: list[tuple[str, str, str | None, type | None, TypeAdapter[Any] | None]],
        order: list[str],
        required: list[str],
    ) -> None:
        self.target = target
        self.columns = columns
        """(header, alias, field name or None for an extra column, date kind, validator
        of a list of its values or None: kept as written)."""
        self.order = order
        """Field names in the order the Row model dumps them (its fields, then extras)."""
        self.required = required
        """The fields a row must set (each has its column: `of` sees to it)."""

    @classmethod
    def of(cls, target: type[Target], hmap: HeaderMap) -> ColumnTyper | None:
        """The column typer of a sheet for `target`, or None when its rows must be typed
        row by row (a keyed target; validators, nested or unusual types, other settings)."""
        row: type[BaseModel] = target.Row
        # a key must be looked for twice over the sheet, and a record over rows needs its
        # rows together: both row by row
        if target.key is not None or target.group_rows or not _plain_model(row):
            return None
        config = row.model_config
        extra = config.get("extra", "ignore")
        settings = ConfigDict(**{k: v for k, v in config.items() if k in _PASSED_ON})  # type: ignore[typeddict-item]
        by_alias = {(info.alias or name): (name, info) for name, info in row.model_fields.items()}
        dates = date_fields(target)
        columns: list[tuple[str, str, str | None, type | None, TypeAdapter[Any] | None]] = []
        for header, column in hmap.columns.items():
            found = by_alias.get(column.alias)
            if found is None:
                if extra != "allow":  # refused ("forbid") or dropped: row by row
                    return None
                columns.append((header, column.alias, None, None, None))
                continue
            name, info = found
            if not _plain_type(info.annotation):
                return None
            adapter = _list_adapter(info, settings)
            columns.append((header, column.alias, name, dates.get(column.alias), adapter))
        fields = list(row.model_fields)
        named = {c[2] for c in columns if c[2] is not None}
        order = [n for n in fields if n in named] + [c[1] for c in columns if c[2] is None]
        required = [name for name, info in row.model_fields.items() if info.is_required()]
        if not set(required) <= named:  # a required column missing: every row needs its message
            return None
        return cls(target, columns, order, required)

    def type_chunk(self, chunk: Sequence[RawRow]) -> list[dict[str, Any] | None]:
        """Each row's values as `validate_rows` gives them (`ValidRow.values`), or None
        for a row that is not plainly valid (it is typed row by row for its errors)."""
        cells = [raw.values for raw in chunk]
        by_header = {
            header: list(map(dict.get, cells, repeat(header), repeat("")))
            for header, *_ in self.columns
        }
        typed, bad = self.type_columns(by_header, len(chunk))
        order = self.order
        # each row's dict made in C; the rows with a blank cell or a problem then redone
        out: list[dict[str, Any] | None] = list(
            map(dict, map(zip, repeat(order), zip(*(typed[n] for n in order), strict=True)))
        )
        blanks = any(BLANK in typed[n] for n in order)
        if not blanks and True not in bad:
            return out
        for i, row_values in enumerate(out):
            if bad[i]:
                out[i] = None
            elif blanks and row_values is not None and BLANK in row_values.values():
                out[i] = {n: v for n, v in row_values.items() if v is not BLANK}
        return out

    def type_columns(
        self, cells: Mapping[str, Sequence[CellValue]], size: int
    ) -> tuple[dict[str, list[Any]], list[bool]]:
        """The `size` rows whose cells are `cells` (header → the column's cells), typed a
        column at a time: each field's values (`BLANK` where its cell is blank; by field
        name in `order`, an extra column by its alias) and, per row, whether it is not
        plainly valid (a cell refused, or a required one blank)."""
        bad = [False] * size
        typed: dict[str, list[Any]] = {}
        for header, alias, name, kind, adapter in self.columns:
            inputs = self._inputs(alias, kind, cells[header])
            if name is None:  # an extra column: kept as written, a blank left unset
                typed[alias] = inputs
                continue
            if BLANK in inputs:
                present = [i for i, v in enumerate(inputs) if v is not BLANK]
                given = [inputs[i] for i in present]
            else:
                present, given = list(range(size)), inputs
            values: list[Any] = [BLANK] * size
            if present:
                assert adapter is not None
                try:
                    done = adapter.validate_python(given)
                except ValidationError as exc:
                    refused = {int(e["loc"][0]) for e in exc.errors() if e["loc"]}
                    for i in refused:
                        bad[present[i]] = True
                    done = self._one_by_one(adapter, given, refused)
                if len(present) == size:
                    values = done
                else:
                    for i, value in zip(present, done, strict=True):
                        values[i] = value
            typed[name] = values
        for name in self.required:
            for i, value in enumerate(typed[name]):
                if value is BLANK:
                    bad[i] = True
        return {n: typed[n] for n in self.order}, bad

    def _inputs(self, alias: str, kind: type | None, column: Sequence[CellValue]) -> list[Any]:
        """A column's cells as the Row model's input: the usual column (text, none blank,
        dates as ISO text) as it is, any other cell by cell (`_input`)."""
        plain = "" not in column and set(map(type, column)) == {str}
        if plain and (kind is None or all(map(_DATE_MARK.search, cast("list[str]", column)))):
            return column if type(column) is list else list(column)
        return [self._input(alias, kind, v) for v in column]

    def _input(self, alias: str, kind: type | None, value: Any) -> Any:
        """A cell as the Row model's input (as `validate_rows` gives it), BLANK if blank."""
        return BLANK if value == "" else cell_input(self.target, alias, kind, value)

    @staticmethod
    def _one_by_one(adapter: TypeAdapter[Any], given: list[Any], refused: set[int]) -> list[Any]:
        """The column's values when some were refused: the others typed again without
        them (the refused ones' rows go row by row anyway)."""
        kept = [v for i, v in enumerate(given) if i not in refused]
        done = iter(adapter.validate_python(kept))
        return [None if i in refused else next(done) for i in range(len(given))]


def _list_adapter(info: FieldInfo, settings: ConfigDict) -> TypeAdapter[Any]:
    """A validator of a list of one field's values: the field's type and constraints."""
    item: Any = Annotated[info.annotation, info]
    return TypeAdapter(list[item], config=settings)


def _plain_model(row: type[BaseModel]) -> bool:
    """A Row model that is only its fields: nothing runs per model, no unusual setting."""
    decorators = row.__pydantic_decorators__
    if any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.field_serializers,
            decorators.model_serializers,
            decorators.model_validators,
            decorators.computed_fields,
        )
    ):
        return False
    if any(k not in _MODEL_ONLY | _PASSED_ON for k in row.model_config):
        return False
    return all(
        info.validation_alias is None and not info.discriminator
        for info in row.model_fields.values()
    )


def _plain_type(annotation: Any) -> bool:
    """A scalar type (optionally None), a Literal or an Enum: what a cell can hold."""
    if annotation in _SCALARS:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Annotated:
        return _plain_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return all(_plain_type(a) for a in get_args(annotation))
    return False
