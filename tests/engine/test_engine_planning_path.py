"""One planning path: every target whose key the sheet chooses plans the same way.

Orange contracts, Usage Engine meter types and m3ter accounts go through the same
`plan_rows` → `plan_row`: a key no live record has is a create, a key seen again is an
error on the later row with one message, and a value is compared with the live one as
its column's type (`Target.same`), whatever type the API answered with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
from pydantic import BaseModel

from rowpush.config import Connection
from rowpush.engine.plan import plan_rows
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.model import Action, Change, RawRow
from rowpush.targets.base import Target
from rowpush.targets.compare import same_value
from rowpush.targets.m3ter import M3terAccounts
from rowpush.targets.orange import OrangeContracts
from rowpush.targets.usage_engine import UsageEngineMeterTypes

SECRETS = {"client_id": "id", "client_secret": "secret"}
CONNS = {
    "orange": Connection("or", "orange", {**SECRETS, "api_key": "k", "contract_id": "CT-1"}),
    "usage-engine": Connection("ue", "usage-engine", SECRETS),
    "m3ter": Connection(
        "m3", "m3ter", {"access_key_id": "a", "api_secret": "s", "org_id": "org-1"}
    ),
}


def _with_live(cls: type[Target], live: dict[Any, dict[str, Any]]) -> Target:
    """The real target, its live records given instead of read over HTTP."""

    class Given(cls):  # type: ignore[valid-type,misc]
        async def fetch_live(
            self, client: httpx.AsyncClient, keys: Sequence[Any], fields: Collection[str]
        ) -> dict[Any, dict[str, Any]]:
            return {k: live[k] for k in keys if k in live}

    return cast(Target, Given(CONNS[cls.api.name]))


# Per target: a live record as the API answers it (its typed column in another JSON
# type), a row equal to it under the column's type, a row that differs, a new row.
CASES: dict[str, tuple[type[Target], dict[str, Any], dict[str, str], dict[str, str]]] = {
    "orange": (
        OrangeContracts,
        {"id": "CT-9", "contractName": "acme-prod"},
        {"contractName": "acme-prod", "id": "CT-9"},
        {
            "contractName": "acme-new",
            "billingAccountId": "BA-1",
            "offerCode": "FE",
            "supportLevel": "STANDARD",
            "referentCivility": "MRS",
            "referentName": "Durand",
            "referentFirstName": "Marie",
            "referentMail": "marie@acme.example",
        },
    ),
    "usage-engine": (
        UsageEngineMeterTypes,
        {"id": "t-1", "name": "Pay-Per-Print", "capacity": 10.0, "unit": "sheets"},
        {"name": "Pay-Per-Print", "capacity": "10", "unit": "sheets"},
        {"name": "Pay-Per-Scan", "unit": "scans", "aggregation": "sum"},
    ),
    "m3ter": (
        M3terAccounts,
        {"code": "acme", "name": "Acme", "billEpoch": "2026-01-01"},
        {"code": "acme", "name": "Acme", "billEpoch": "2026-01-01"},
        {"code": "globex", "name": "Globex"},
    ),
}


def _plan(target: Target, rows: list[dict[str, str]]) -> list[Change]:
    headers = list(dict.fromkeys(h for r in rows for h in r))
    cells = [{h: r.get(h, "") for h in headers} for r in rows]
    hmap = map_headers(type(target), headers, "s.csv")
    assert not hmap.errors

    async def go() -> list[Change]:
        valid = validate_rows(
            type(target), hmap, [RawRow(n, c) for n, c in enumerate(cells, 2)], "s.csv"
        )
        client = cast(httpx.AsyncClient, None)  # the live state is given: no call is made
        return [c async for c in plan_rows(target, client, valid, hmap, "s.csv")]

    return asyncio.run(go())


@pytest.mark.parametrize("api", list(CASES))
def test_one_sheet_plans_alike_for_every_chosen_key_target(api: str) -> None:
    cls, live, same_row, new_row = CASES[api]
    target = _with_live(cls, {live[cls.key or ""]: live})
    changes = _plan(target, [same_row, new_row, same_row])
    assert [c.action for c in changes] == [Action.UNCHANGED, Action.CREATE, Action.INVALID]
    (error,) = changes[2].errors
    key = same_row[cls.key or ""]
    assert error.problem == f"{cls.key} {key} appears again (first on row 2)"
    assert error.header == cls.key
    assert changes[1].fields[cls.key or ""] == (None, new_row[cls.key or ""])


def test_a_changed_value_is_an_update_where_the_api_can_change_it() -> None:
    cls, live, same_row, _ = CASES["usage-engine"]
    target = _with_live(cls, {live["name"]: live})
    target._raw[live["name"]] = live  # type: ignore[attr-defined]  # what an update sends back
    (change,) = _plan(target, [{**same_row, "unit": "pages"}])  # capacity is not editable
    assert change.action is Action.UPDATE
    assert change.fields == {"unit": ("sheets", "pages")}


def test_a_changed_value_is_refused_where_the_api_cannot_change_it() -> None:
    cls, live, same_row, _ = CASES["orange"]
    target = _with_live(cls, {live["contractName"]: live})
    (change,) = _plan(target, [{**same_row, "id": "CT-8"}])
    assert change.action is Action.INVALID
    assert change.errors[0].problem == "contract 'acme-prod' has id CT-9"


@pytest.mark.parametrize("cls", [OrangeContracts, UsageEngineMeterTypes, M3terAccounts])
def test_every_target_compares_with_the_one_rule(cls: type[Target]) -> None:
    assert cls.same.__func__ is Target.same.__func__  # type: ignore[attr-defined]


class Typed(BaseModel):
    price: Decimal | None = None
    when: date | None = None
    count: int | None = None
    flag: bool | None = None
    code: str | None = None


@pytest.mark.parametrize(
    ("field", "new", "old", "same"),
    [
        ("price", Decimal("2.50"), "2.5", True),
        ("price", Decimal("2.50"), 2.5, True),
        ("price", Decimal("2.50"), "2.51", False),
        ("when", date(2026, 1, 31), "2026-01-31", True),
        ("when", date(2026, 1, 31), "2026-02-01", False),
        ("count", 12, 12.0, True),
        ("count", 12, "12", True),
        ("count", 12, 12.5, False),
        ("flag", True, "true", True),
        ("flag", True, 1, True),
        ("flag", False, None, False),
        ("code", "007", "7", False),
        ("code", "12", 12.0, True),
        ("code", "", None, True),
        ("code", "Acme", "acme", False),
    ],
)
def test_values_compare_as_their_column_type(field: str, new: Any, old: Any, same: bool) -> None:
    assert same_value(Typed, field, new, old) is same
