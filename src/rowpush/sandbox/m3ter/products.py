"""The Product kind: a code and a name that meters (and plans) belong to."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.m3ter import fields as f
from rowpush.sandbox.m3ter.kinds import CheckContext, Kind

PRODUCT_FIELDS = ("code", "name", "customFields")


def check_product(body: dict[str, Any], ctx: CheckContext) -> dict[str, Any]:
    where = "Product"
    raw_code = f.required(body, "code", where)
    code = (
        f.entity_code(raw_code, "code", where)
        if ctx.options.codes_everywhere
        else f.text(raw_code, "code", where, high=200)
    )
    return {
        "code": code,
        "name": f.text(f.required(body, "name", where), "name", where),
        "customFields": f.custom_fields(body.get("customFields"), where),
    }


PRODUCT = Kind(name="Product", path="products", fields=PRODUCT_FIELDS, check=check_product)
