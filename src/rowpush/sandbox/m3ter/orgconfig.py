"""The organisation config: a singleton read with GET and replaced with PUT (+ ``version``)."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.m3ter import fields as f
from rowpush.sandbox.m3ter.kinds import CheckContext, Kind

EPOCHS = ("dayEpoch", "weekEpoch", "monthEpoch", "yearEpoch")
ORG_CONFIG_FIELDS = ("currency", "timezone", *EPOCHS, "daysBeforeBillDue")


def check_org_config(body: dict[str, Any], ctx: CheckContext) -> dict[str, Any]:
    where = "OrganizationConfig"
    strict = ctx.options.strict_formats
    out: dict[str, Any] = {
        "currency": f.currency(f.required(body, "currency", where), where, strict),
        "timezone": f.text(f.required(body, "timezone", where), "timezone", where, high=64),
    }
    for name in EPOCHS:
        out[name] = f.date(f.required(body, name, where), name, where, strict=strict)
    out["daysBeforeBillDue"] = f.integer(
        f.required(body, "daysBeforeBillDue", where), "daysBeforeBillDue", where, high=365
    )
    return out


ORG_CONFIG = Kind(
    name="OrganizationConfig",
    path="organizationconfig",
    fields=ORG_CONFIG_FIELDS,
    check=check_org_config,
    filters={},
    unique_code=False,
)
