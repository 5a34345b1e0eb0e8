"""A text value refused because Excel dropped its leading zero says so."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from rowpush.engine.validate import map_headers, validate_rows
from rowpush.model import RawRow
from rowpush.targets.base import Target
from rowpush.targets.halopsa import HaloClients


class _PhoneRow(BaseModel):
    login: str
    phone: str | None = Field(None, pattern=r"^0\d{9}$")


class _Phones(Target):
    name = "test.phones"
    Row = _PhoneRow
    required_columns: ClassVar[tuple[str, ...]] = ("login",)
    export_only = True  # validation alone is under test: nothing is sent


def _errors(target: type[Target], values: dict[str, object]) -> list[str]:
    headers = list(values)
    hmap = map_headers(target, headers, "s.xlsx")
    [row] = validate_rows(target, hmap, [RawRow(row=2, values=values)], "s.xlsx")  # type: ignore[arg-type]
    return [f"{e.message} | {e.problem}" for e in row.errors]


def test_a_phone_that_lost_its_leading_zero_is_refused_naming_the_lost_zero() -> None:
    [error] = _errors(_Phones, {"login": "ada", "phone": "612345678"})
    assert "0612345678 is valid" in error
    assert "leading zero" in error
    assert "Text" in error


def test_a_value_bad_with_or_without_a_zero_says_nothing_of_zeros() -> None:
    [error] = _errors(_Phones, {"login": "ada", "phone": "61234"})
    assert "zero" not in error
    # a number column never had a zero to lose
    [error] = _errors(HaloClients, {"id": "0", "name": "x"})
    assert "zero" not in error
