"""Every writable target's sample sheet in samples/, against the sandbox's default seed:
it validates, plans the counts it was written for, applies, lands in the sandbox field by
field, and a second plan finds nothing left to create or update."""

from __future__ import annotations

import csv
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.sandbox.server import SandboxServer
from rowpush.targets.registry import all_targets

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"
WRITABLE = [name for name, t in all_targets().items() if not t.export_only]


@dataclass(frozen=True)
class Sample:
    file: str
    plan: dict[str, int]
    """The plan's summary for the sample against the default seed."""
    replan_invalid: int = 0
    """Rows a second plan finds invalid (orange.contracts: a contract ordered with
    create-only cells cannot be compared once it exists)."""


def _counts(create: int, update: int, unchanged: int) -> dict[str, int]:
    return {"create": create, "update": update, "unchanged": unchanged, "invalid": 0}


SAMPLES: dict[str, Sample] = {
    "halopsa.assets": Sample("halopsa_assets_inventory_tags.csv", _counts(2, 4, 1)),
    "halopsa.clients": Sample("halopsa_clients_reduced_rate.csv", _counts(1, 20, 0)),
    "halopsa.sites": Sample("halopsa_sites_phone_numbers.csv", _counts(2, 6, 1)),
    "halopsa.users": Sample("halopsa_users_new_starters.csv", _counts(3, 3, 2)),
    "m3ter.accounts": Sample("m3ter_accounts_currency_and_crm.csv", _counts(2, 3, 2)),
    "m3ter.measurements": Sample("m3ter_measurements_january.csv", _counts(7, 0, 0)),
    "m3ter.meters": Sample("m3ter_meters_new_meter.csv", _counts(4, 3, 3)),
    "orange.contracts": Sample(
        "orange_contracts_new_contracts.csv", _counts(2, 0, 3), replan_invalid=2
    ),
    "orange.users": Sample("orange_users_new_users.csv", _counts(3, 0, 3)),
    "usage-engine.meter-types": Sample("usage_engine_meter_types_new_type.csv", _counts(2, 3, 1)),
    "usage-engine.meters": Sample("usage_engine_meters_new_customers.csv", _counts(3, 3, 1)),
}

APPLIED = {"create": "created", "update": "updated", "unchanged": "unchanged"}
TIMES = frozenset({"ts", "ets", "activeFrom", "activeTo"})
"""Headers holding moments: compared as instants (a sheet's naive time is UTC)."""
CASE_FOLDED = frozenset({"currency", "civility", "supportLevel", "aggregation"})
"""Headers whose cells the targets normalise to the API's case."""


# -- what the sandbox stored, as sample headers --------------------------------------------


@dataclass(frozen=True)
class Ctx:
    server: SandboxServer
    config: dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """A record the sandbox holds, seen through a sample's headers; `unseen` names the
    headers the API takes but never shows again (not checkable)."""

    view: dict[str, Any]
    unseen: frozenset[str] = frozenset()


def _halo(kind: str) -> Callable[[Ctx, dict[str, str], str], Stored]:
    def stored(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
        record = getattr(ctx.server.state.halopsa, kind)[int(remote_id)]
        return Stored({h: record.get(h) for h in row})

    return stored


def _m3ter_account(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    record = ctx.server.state.m3ter.account_by_code(row["code"])
    assert record is not None
    assert record["id"] == remote_id
    custom = {f"custom.{k}": v for k, v in (record.get("customFields") or {}).items()}
    return Stored({**record, **custom})


def _m3ter_meter(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    m3ter = ctx.server.state.m3ter
    meter = m3ter.meter_by_code(row["code"])
    assert meter is not None
    assert meter["id"] == remote_id
    kinds = {"data": meter["dataFields"], "derived": meter["derivedFields"]}
    kind, field = next(
        (k, f) for k, fields in kinds.items() for f in fields if f["code"] == row["field_code"]
    )
    product = m3ter.products.get(meter.get("productId") or "", {}).get("code")
    return Stored(
        {
            "code": meter["code"],
            "name": meter["name"],
            "product": product,
            "group": meter.get("groupId"),
            "kind": kind,
            "category": field["category"],
            "field_code": field["code"],
            "field_name": field["name"],
            "unit": field.get("unit"),
            "calculation": field.get("calculation"),
        }
    )


def _m3ter_measurement(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    (item,) = [m for m in ctx.server.state.m3ter.measurements if m["uid"] == remote_id]
    view = {k: v for k, v in item.items() if not isinstance(v, dict)}
    for category, values in item.items():
        if isinstance(values, dict):
            view.update({f"{category}.{code}": v for code, v in values.items()})
    return Stored(view)


def _orange_user(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    (contract, user), *others = [
        (contract, user)
        for contract, users in ctx.server.state.orange.users.items()
        for user in users
        if user["id"] == remote_id
    ]
    assert not others
    # a blank contractId is the connection's contract
    assert contract == (row["contractId"] or ctx.config["connections"]["orange"]["contract_id"])
    return Stored({**user, "contractId": contract})


def _orange_contract(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    contract = ctx.server.state.orange.contracts[remote_id]
    contact = contract["contact"]
    return Stored(
        {
            "id": contract["id"],
            "contractName": contract["name"],
            "referentFirstName": contact["firstName"],
            "referentName": contact["lastName"],
            "referentMail": contact["email"],
        },
        # Orange keeps an offer's name and type, not its code; the rest is not shown
        unseen=frozenset(
            {
                "billingAccountId",
                "offerCode",
                "supportLevel",
                "referentCivility",
                "referentFixPhone",
                "referentMobilePhone",
            }
        ),
    )


def _ue_meter_type(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    record = ctx.server.state.usage_engine.meter_types[remote_id]
    schedule = record["resetSchedule"]
    return Stored(
        {
            **record,
            "aggregation": record["aggregation"]["type"],
            "resetSchedule": " ".join(
                schedule[k] for k in ("minute", "hour", "day", "month", "weekday")
            ),
        }
    )


def _ue_meter(ctx: Ctx, row: dict[str, str], remote_id: str) -> Stored:
    ue = ctx.server.state.usage_engine
    record = ue.meters[remote_id]
    custom = {f"custom.{k}": v for k, v in record["customFields"].items()}
    kind = ue.meter_types[record["meterTypeId"]]["name"]
    return Stored({**record, **custom, "meterType": kind})


STORED: dict[str, Callable[[Ctx, dict[str, str], str], Stored]] = {
    "halopsa.assets": _halo("assets"),
    "halopsa.clients": _halo("clients"),
    "halopsa.sites": _halo("sites"),
    "halopsa.users": _halo("users"),
    "m3ter.accounts": _m3ter_account,
    "m3ter.measurements": _m3ter_measurement,
    "m3ter.meters": _m3ter_meter,
    "orange.contracts": _orange_contract,
    "orange.users": _orange_user,
    "usage-engine.meter-types": _ue_meter_type,
    "usage-engine.meters": _ue_meter,
}


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _matches(header: str, cell: str, stored: Any) -> bool:
    """Whether a sample cell holds the value the sandbox stored."""
    if stored is None:
        return False
    if header in TIMES:
        return _moment(cell) == _moment(stored)
    if isinstance(stored, bool):
        return cell.upper() == ("TRUE" if stored else "FALSE")
    if isinstance(stored, int | float):
        return float(cell) == stored
    if header in CASE_FOLDED:
        return cell.upper() == str(stored).upper()
    return cell == str(stored)


# -- running the CLI -----------------------------------------------------------------------


@pytest.fixture
def fast(workdir: Path) -> Path:
    """The sandbox's rowpush.toml with every connection at 1000 requests/s."""
    config = workdir / "rowpush.toml"
    text = re.sub(r"^rate = .*\n", "", config.read_text(encoding="utf-8"), flags=re.M)
    text = re.sub(r'^(api = "[^"]+")$', r'\1\nrate = "1000/s"', text, flags=re.M)
    config.write_text(text, encoding="utf-8")
    connections = tomllib.loads(text)["connections"]
    assert {c.get("rate") for c in connections.values()} == {"1000/s"}
    return workdir


def _read_sample(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _plan(rowpush: Any, sheet: Path, target: str, code: int = 0) -> dict[str, Any]:
    result = rowpush("plan", str(sheet), "-t", target, "-c", _conn(target), "--json")
    assert result.code == code, result.err
    plan: dict[str, Any] = json.loads(result.out)
    return plan


def _apply(rowpush: Any, sheet: Path, target: str, results: Path) -> list[dict[str, Any]]:
    args = ("apply", str(sheet), "-t", target, "-c", _conn(target), "--yes")
    applied = rowpush(*args, "--results", str(results))
    assert applied.code == 0, applied.err + applied.out
    rows = list(load_workbook(results)["Results"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _conn(target: str) -> str:
    return all_targets()[target].api.name


def _params() -> list[Any]:
    """Every writable target; the HaloPSA samples name ids of the default 500-client seed
    (client ids depend on the count), the others allow a smaller Halo tenant."""
    small = pytest.mark.sandbox_options(halo_clients=60)
    return [pytest.param(t, id=t, marks=[] if _conn(t) == "halopsa" else [small]) for t in WRITABLE]


# -- the contract --------------------------------------------------------------------------


def test_every_writable_target_has_exactly_one_sample() -> None:
    assert set(SAMPLES) == set(WRITABLE), "SAMPLES must name one sample per writable target"
    assert set(STORED) == set(WRITABLE)
    for target, sample in SAMPLES.items():
        slug = target.replace(".", "_").replace("-", "_")
        assert sample.file.startswith(f"{slug}_"), sample.file
        assert (SAMPLES_DIR / sample.file).is_file(), f"samples/{sample.file} is missing"


@pytest.mark.parametrize("target", _params())
def test_a_sample_validates_plans_applies_and_lands(
    target: str, fast: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    assert target in SAMPLES, f"{target} is writable but has no sample in samples/"
    sample = SAMPLES[target]
    cls = all_targets()[target]
    sheet = SAMPLES_DIR / sample.file
    header, rows = _read_sample(sheet)
    by_row = dict(enumerate(rows, start=2))

    # the template's headers (in its order) and the extra columns the target takes
    declared = cls.headers()
    assert [h for h in header if h in declared] == [h for h in declared if h in header]
    assert all(cls.extra_field(h) for h in header if h not in declared), header
    assert 3 <= len(rows) <= 21  # small (the older halopsa.clients sample has 21)

    validated = rowpush("validate", str(sheet), "-t", target)
    assert validated.code == 0, validated.out + validated.err
    assert f"{len(rows)} row(s) valid" in validated.out

    plan = _plan(rowpush, sheet, target)
    assert plan["summary"] == sample.plan
    assert sum(sample.plan.values()) == len(rows)
    assert sample.plan["create"] + sample.plan["update"] > 0
    assert sample.plan["invalid"] == 0
    planned = {r["row"]: r["status"] for r in plan["rows"]}
    assert sorted(planned) == sorted(by_row)

    results = _apply(rowpush, sheet, target, fast / "r.xlsx")
    assert [r["_row"] for r in results] == list(by_row)
    assert {r["_row"]: r["_status"] for r in results} == {n: APPLIED[s] for n, s in planned.items()}
    ctx = Ctx(sandbox, tomllib.loads((fast / "rowpush.toml").read_text(encoding="utf-8")))
    written = [r for r in results if r["_status"] in ("created", "updated")]
    assert written
    for result in written:
        remote_id = result["_remote_id"]
        assert remote_id, f"row {result['_row']} has no _remote_id"
        row = by_row[result["_row"]]
        stored = STORED[target](ctx, row, str(remote_id))
        for h, cell in row.items():
            if not cell.strip() or h in stored.unseen:
                continue
            assert h in stored.view, f"{target}: no stored value to check {h!r} against"
            assert _matches(h, cell.strip(), stored.view[h]), (
                f"row {result['_row']}: {h} is {stored.view[h]!r} in the sandbox, not {cell!r}"
            )

    if cls.key is None:  # append-only: a re-run sends the same uids, nothing counts twice
        stored_uids = {m["uid"] for m in sandbox.state.m3ter.measurements}
        assert stored_uids == {r["_remote_id"] for r in results}
        again = _apply(rowpush, sheet, target, fast / "r2.xlsx")
        assert [r["_remote_id"] for r in again] == [r["_remote_id"] for r in results]
        assert len(sandbox.state.m3ter.measurements) == len(rows)
        return

    if cls.create_missing or cls.group_rows:  # keys the sheet chooses: creates are seen
        second = sheet
    else:  # ids the API assigns: the sheet learns them from the results
        key = str(cls.key)
        filled = [
            {**row, key: str(result["_remote_id"])} if result["_status"] == "created" else row
            for row, result in zip(rows, results, strict=True)
        ]
        second = _write_csv(fast / "with_ids.csv", header, filled)
    replan = _plan(rowpush, second, target, code=2 if sample.replan_invalid else 0)
    assert replan["summary"] == {
        "create": 0,
        "update": 0,
        "unchanged": len(rows) - sample.replan_invalid,
        "invalid": sample.replan_invalid,
    }
    if sample.replan_invalid:
        problems = [e["problem"] for r in replan["rows"] for e in r["errors"]]
        assert all("exists already" in p for p in problems), problems
