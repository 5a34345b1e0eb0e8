"""Validation: raw rows → typed rows or row errors, before any call is made.

Headers are matched to the target's columns after trimming and case-folding. A
required column that is missing is a sheet error (with the closest header present
as a suggestion); an unknown column is a warning and is ignored. Each row is typed
by the target's pydantic Row model; a key that appears twice is an error on every
row after the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from rowpush.engine.dates import date_fields, dated
from rowpush.model import RawRow, RowError, column_letter
from rowpush.sheets.formats import ColumnKind, kind_of
from rowpush.sheets.table import normalize_header, text_preview

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from rowpush.targets.base import Target

__all__ = [
    "HeaderMap",
    "ValidRow",
    "cell_input",
    "map_headers",
    "normalize_header",
    "validate_rows",
]

#: Unknown columns warned about one by one; more than this get one warning together
#: (a sheet of 10,000 columns must not print 10,000 lines).
MAX_COLUMN_WARNINGS = 5


@dataclass(frozen=True)
class Column:
    header: str
    """The header as written in the sheet."""
    letter: str
    alias: str
    """The header as the target declares it (the Row field's alias)."""


@dataclass
class HeaderMap:
    """How a sheet's headers map onto a target's Row fields."""

    columns: dict[str, Column] = field(default_factory=dict)
    """Header as written → the column it fills."""
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def column_of_alias(self, alias: str) -> Column | None:
        for column in self.columns.values():
            if column.alias == alias:
                return column
        return None


@dataclass(frozen=True)
class ValidRow:
    """A row after validation: its typed model, or its errors."""

    raw: RawRow
    model: BaseModel | None
    errors: list[RowError]
    key: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    """The fields the sheet set (blank cells left out), as Python values ({} when
    the row is invalid): dumped once, when the row is typed."""


def map_headers(
    target: type[Target],
    headers: list[str],
    file: str,
    letters: Mapping[str, str] | None = None,
) -> HeaderMap:
    """Match a sheet's headers to the target's fields. `letters` gives each header's
    column letter as the sheet has it (a table need not start in column A)."""
    declared = {normalize_header(h): h for h in target.headers()}
    hmap = HeaderMap()
    unknown: list[tuple[str, str]] = []
    for index, header in enumerate(headers):
        letter = (letters or {}).get(header) or column_letter(index)
        alias = declared.get(normalize_header(header)) or target.extra_field(header.strip())
        if alias is None:
            unknown.append((letter, header))
            continue
        hmap.columns[header] = Column(header, letter, alias)
    unknown = _typos(target, hmap, unknown, file)
    known = list(declared.values())
    if len(unknown) > MAX_COLUMN_WARNINGS:
        hmap.warnings.append(_unknown_columns(target, unknown, file))
    else:
        for letter, header in unknown:
            hmap.warnings.append(
                RowError(
                    f"{file}: column {letter} ({text_preview(header)}) is not a column of "
                    f"{target.name}; it is ignored."
                    + (f" Did you mean {hint}?" if (hint := _suggest(header, known)) else ""),
                    column=letter,
                    header=header,
                    warning=True,
                    expected=_suggest(header, known),
                )
            )
    present = {c.alias for c in hmap.columns.values()}
    for required in target.required_columns:
        if required in present:
            continue
        unused = [h for h in headers if h not in hmap.columns]
        suggestion = _suggest(required, unused)
        hint = f" Did you mean {suggestion}?" if suggestion else ""
        hmap.errors.append(
            RowError(
                f"{file}: the required column {required!r} is missing from the header row.{hint}",
                header=required,
                expected=f"a column headed {required!r} (see `rowpush template {target.name}`)",
            )
        )
    return hmap


def _typos(
    target: type[Target], hmap: HeaderMap, unknown: list[tuple[str, str]], file: str
) -> list[tuple[str, str]]:
    """Unknown headers spelt like a column the sheet lacks ("nmae" for "name") are errors:
    ignoring them would drop that column's values silently. Returns the other unknowns."""
    present = {c.alias for c in hmap.columns.values()}
    absent = {normalize_header(h): h for h in target.headers() if h not in present}
    rest = []
    for letter, header in unknown:
        close = difflib.get_close_matches(normalize_header(header), list(absent), n=1, cutoff=0.75)
        if not close:
            rest.append((letter, header))
            continue
        meant = absent[close[0]]
        hmap.errors.append(
            RowError(
                f"{file}: column {letter} ({text_preview(header)}) is not a column of "
                f"{target.name}. Did you mean {meant!r}? Rename the header (its values "
                f"would otherwise be ignored).",
                column=letter,
                header=header,
                expected=repr(meant),
            )
        )
    return rest


def _unknown_columns(target: type[Target], unknown: list[tuple[str, str]], file: str) -> RowError:
    """One warning for many unknown columns: a few named, then how many more."""
    shown = ", ".join(f"{letter} ({text_preview(header, 20)})" for letter, header in unknown[:3])
    last_letter, last_header = unknown[-1]
    return RowError(
        f"{file}: {len(unknown):,} columns are not columns of {target.name} and are ignored: "
        f"{shown}, … {last_letter} ({text_preview(last_header, 20)}). Is this sheet for "
        f"{target.name}? See `rowpush template {target.name}` for its columns.",
        warning=True,
    )


def _suggest(word: str, choices: list[str]) -> str | None:
    """The choice most like `word`: a close spelling, or one that contains it as a word."""
    by_norm = {normalize_header(c): c for c in choices}
    wanted = normalize_header(word)
    close = difflib.get_close_matches(wanted, list(by_norm), n=1, cutoff=0.6)
    if not close:
        close = [n for n in by_norm if wanted in n.replace("_", " ").split()]
    return repr(by_norm[close[0]]) if close else None


def validate_rows(
    target: type[Target], hmap: HeaderMap, rows: Iterable[RawRow], file: str
) -> Iterator[ValidRow]:
    """Type each row with the target's Row model; flag keys seen twice."""
    first_row_of: dict[Any, int] = {}
    key_column = hmap.column_of_alias(_alias_of(target, target.key)) if target.key else None
    key_type: TypeAdapter[Any] | None = None
    if target.key:
        key_type = TypeAdapter(cast(Any, target.Row.model_fields[target.key].annotation))
    typer = _RowTyper(target, hmap)  # the per-sheet work, done once
    # the Row model's own validator and serializer: what model_validate/model_dump call
    validate = target.Row.__pydantic_validator__.validate_python
    dump = target.Row.__pydantic_serializer__.to_python
    duplicates = not target.group_rows
    for raw in rows:
        try:
            model = validate(typer.data(raw))
        except ValidationError as exc:
            errors = [_row_error(hmap, raw, err, file, target) for err in exc.errors()]
            # still catch a duplicate key on a row with other errors
            key = _raw_key(raw, key_column, key_type)
            values: dict[str, Any] = {}
            model = None
        else:
            errors = []
            values = dump(model, exclude_unset=True)
            key = target.key_of(values)
        if key is not None and duplicates:
            first = first_row_of.setdefault(key, raw.row)
            if first != raw.row:
                column = key_column
                errors.append(
                    RowError(
                        f"{file}: row {raw.row}: {target.key} {key} appears again "
                        f"(first on row {first}); each record may appear once per sheet.",
                        row=raw.row,
                        column=column.letter if column else None,
                        header=column.header if column else None,
                        value=str(key),
                        expected="a key not used on another row",
                        problem=f"{target.key} {key} appears again (first on row {first})",
                    )
                )
                model = None
        if errors:
            yield ValidRow(raw, None, errors, key)
        else:
            yield ValidRow(raw, model, errors, key, values)


class _RowTyper:
    """A sheet's raw rows as the input of the target's Row model: each header's alias
    and date kind looked up once per sheet, not once per cell."""

    def __init__(self, target: type[Target], hmap: HeaderMap) -> None:
        self.target = target
        dates = date_fields(target)
        self.columns = {
            header: (column.alias, dates.get(column.alias))
            for header, column in hmap.columns.items()
        }

    def data(self, raw: RawRow) -> dict[str, Any]:
        """The row's set cells by alias; a blank cell leaves the field as it is."""
        data: dict[str, Any] = {}
        columns = self.columns
        for header, value in raw.values.items():
            column = columns.get(header)
            if column is None or value == "":
                continue
            alias, kind = column
            if kind is None and type(value) is str:  # the usual cell, without a call
                data[alias] = value
            else:
                data[alias] = cell_input(self.target, alias, kind, value)
        return data


def cell_input(target: type[Target], alias: str, kind: type | None, value: Any) -> Any:
    """A cell that is not blank as the Row model's input: text as it is, a date cell in
    a field of its kind as it is, an Excel serial in a date field as the date it names,
    any other date cell as ISO text. `kind`: the field's date kind (`date_fields`)."""
    if kind is None:
        return value if type(value) is str else _as_input(value)
    if type(value) is kind:  # a date cell read into a date field: as it is
        return value
    if type(value) is str and ("-" in value or ":" in value):
        return value  # ISO text: no Excel serial has a - or a :
    return _as_input(dated(target, alias, value))  # an Excel serial there is a date


def _raw_key(raw: RawRow, column: Column | None, adapter: TypeAdapter[Any] | None) -> Any:
    if column is None or adapter is None or raw.values.get(column.header, "") == "":
        return None
    try:
        return adapter.validate_python(_as_input(raw.values[column.header]))
    except ValidationError:
        return None


def _alias_of(target: type[Target], name: str) -> str:
    info = target.Row.model_fields.get(name)
    return (info.alias or name) if info else name


def _as_input(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row_error(
    hmap: HeaderMap, raw: RawRow, err: ErrorDetails, file: str, target: type[Target]
) -> RowError:
    alias = str(err["loc"][0]) if err["loc"] else None
    column = hmap.column_of_alias(alias) if alias else None
    # a missing field's "input" is the whole row: never show that as the cell's value
    value = err.get("input") if column and err["type"] != "missing" else None
    expected = _expected(err)
    if err["type"] == "string_pattern_mismatch":  # the regex means nothing to a person
        expected = _like_example(target, alias)
    problem = expected if err["type"] == "value_error" else f"expected {expected}"
    if alias and _lost_zero(target, alias, value):
        expected += (
            f" (with its leading zero, 0{value} is valid: Excel drops the zero when the "
            f"cell is not in the Text format; format the column as Text, as rowpush's "
            f"templates do, and type 0{value} again)"
        )
        problem += f"; the leading zero was lost (0{value} is valid)"
    if column is not None and err["type"] == "missing":
        message = (
            f"{file}: row {raw.row}, column {column.letter} ({column.header}): the cell is "
            f"blank but this row needs a value there."
        )
        problem = "a value is needed (the cell is blank)"
    elif column is not None:
        shown = "" if value is None else f" {str(value)!r}"
        message = (
            f"{file}: row {raw.row}, column {column.letter} ({column.header}): "
            f"the value{shown} is not valid; expected {expected}."
        )
    else:
        message = f"{file}: row {raw.row}: {expected}."
    return RowError(
        message,
        row=raw.row,
        column=column.letter if column else None,
        header=column.header if column else None,
        value=None if value is None else str(value),
        expected=expected,
        problem=problem,
    )


def _lost_zero(target: type[Target], alias: str, value: object) -> bool:
    """A digits-only value in a text field, refused where the same with a leading zero is
    valid: Excel read the cell as a number (a phone number, an account id) and dropped it."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return False
    info = next(
        (f for n, f in target.Row.model_fields.items() if alias in (n, f.alias)),
        None,
    )
    if info is None or kind_of(info.annotation) is not ColumnKind.TEXT:
        return False
    try:
        field_type = cast(Any, Annotated[info.annotation, info])  # its type and constraints
        TypeAdapter(field_type).validate_python("0" + value)
    except ValidationError:
        return False
    return True


def _like_example(target: type[Target] | None, alias: str | None) -> str:
    """What a value matching a field's pattern looks like: its example, if it has one."""
    if target is not None and alias is not None:
        for name, info in target.Row.model_fields.items():
            if (info.alias or name) == alias and info.examples:
                return f"a value like {str(info.examples[0])!r} (the form this column takes)"
    return "a value in the form this column takes (see the header's note)"


def _expected(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    simple = {
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "float_parsing": "a number",
        "bool_parsing": "TRUE or FALSE (yes/no and 1/0 also work)",
        "date_parsing": "a date such as 2026-01-31",
        "date_from_datetime_parsing": "a date such as 2026-01-31",
        "datetime_parsing": "a date and time such as 2026-01-31 14:30:00",
        "datetime_from_date_parsing": "a date and time such as 2026-01-31 14:30:00",
        "string_type": "text",
        "missing": "a value",
        "url_parsing": "a web address such as https://example.com",
    }
    if kind in simple:
        return simple[kind]
    if kind == "greater_than_equal":
        return f"a number of at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"a number greater than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"a number of at most {ctx.get('le')}"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"at least {ctx.get('min_length')} character(s)"
    if kind in ("literal_error", "enum"):
        return f"one of {ctx.get('expected')}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")
