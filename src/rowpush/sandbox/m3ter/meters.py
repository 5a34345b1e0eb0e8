"""The Meter kind: code, name, optional product, data fields and derived fields."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.m3ter import fields as f
from rowpush.sandbox.m3ter.kinds import CheckContext, Kind

CATEGORIES = ("WHO", "WHERE", "WHAT", "OTHER", "METADATA", "MEASURE", "INCOME", "COST")
NUMERIC_CATEGORIES = frozenset({"MEASURE", "INCOME", "COST"})
MAX_FIELDS = 15
DATA_FIELD_KEYS = ("category", "code", "name", "unit")
DERIVED_FIELD_KEYS = (*DATA_FIELD_KEYS, "calculation")

METER_FIELDS = (
    "code",
    "name",
    "productId",
    "groupId",
    "dataFields",
    "derivedFields",
    "customFields",
)


def check_meter(body: dict[str, Any], ctx: CheckContext) -> dict[str, Any]:
    where = "Meter"
    code = f.entity_code(f.required(body, "code", where), "code", where)
    name = f.text(f.required(body, "name", where), "name", where)
    product_id = _reference(body.get("productId"), "productId", "products", ctx)
    group_id = body.get("groupId")
    if group_id is not None:
        f.text(group_id, "groupId", where, high=80)
        ctx.note("groupId stored as sent (meter groups are not emulated)")
    if "dataFields" not in body or body["dataFields"] is None:
        raise f.bad(f"{where}: dataFields is required")
    if "derivedFields" not in body:
        raise f.bad(f"{where}: derivedFields is required (send [] for none)")
    if body["derivedFields"] is None:
        raise f.bad(f"{where}: derivedFields must be an array, not null (send [] for none)")
    data = _field_list(body["dataFields"], "dataFields", 1, DATA_FIELD_KEYS, ctx)
    derived = _field_list(body["derivedFields"], "derivedFields", 0, DERIVED_FIELD_KEYS, ctx)
    seen: set[str] = set()
    for item in (*data, *derived):
        if item["code"] in seen:
            raise f.bad(f"{where}: field code {f.shown(item['code'])} is used twice")
        seen.add(item["code"])
    return {
        "code": code,
        "name": name,
        "productId": product_id,
        "groupId": group_id,
        "dataFields": data,
        "derivedFields": derived,
        "customFields": f.custom_fields(body.get("customFields"), where),
    }


def _reference(value: Any, name: str, kind_path: str, ctx: CheckContext) -> str | None:
    if value is None:
        return None
    ref = f.text(value, name, "Meter", high=80)
    if ctx.options.check_references and not ctx.exists(kind_path, ref):
        raise f.bad(f"Meter: {name} {f.shown(ref)} does not exist")
    return ref


def _field_list(
    value: Any, name: str, low: int, keys: tuple[str, ...], ctx: CheckContext
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise f.bad(f"Meter: {name} must be an array, got {f.shown(value)}")
    if not low <= len(value) <= MAX_FIELDS:
        raise f.bad(f"Meter: {name} must hold {low} to {MAX_FIELDS} fields, got {len(value)}")
    return [_data_field(item, f"Meter {name}[{i}]", keys, ctx) for i, item in enumerate(value)]


def _data_field(item: Any, where: str, keys: tuple[str, ...], ctx: CheckContext) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise f.bad(f"{where} must be an object, got {f.shown(item)}")
    category = f.required(item, "category", where)
    if category not in CATEGORIES:
        raise f.bad(f"{where}: category {f.shown(category)} must be one of {', '.join(CATEGORIES)}")
    out: dict[str, Any] = {
        "category": category,
        "code": f.field_code(f.required(item, "code", where), "code", where),
        "name": f.text(f.required(item, "name", where), "name", where),
    }
    unit = item.get("unit")
    if unit is not None:
        out["unit"] = f.text(unit, "unit", where, high=50)
    elif category in NUMERIC_CATEGORIES:
        if ctx.options.numeric_unit_required:
            raise f.bad(f"{where}: unit is required for a {category} field")
        ctx.note(f"{where}: numeric field without a unit")
    if "calculation" in keys:
        out["calculation"] = f.text(
            f.required(item, "calculation", where), "calculation", where, high=1000
        )
    for key in item:
        if key not in keys:
            ctx.note(f"{where}: unknown field {key!r} ignored")
    return out


METER = Kind(
    name="Meter",
    path="meters",
    fields=METER_FIELDS,
    check=check_meter,
    filters={"ids": "id", "codes": "code", "productId": "productId"},
    max_page_size=100,
)
