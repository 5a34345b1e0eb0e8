"""The Account kind: who usage is billed to; ``code`` is what measurements name."""

from __future__ import annotations

from typing import Any

from rowpush.sandbox.m3ter import fields as f
from rowpush.sandbox.m3ter.kinds import CheckContext, Kind

ACCOUNT_FIELDS = (
    "code",
    "name",
    "emailAddress",
    "address",
    "currency",
    "billEpoch",
    "daysBeforeBillDue",
    "parentAccountId",
    "customFields",
)


def check_account(body: dict[str, Any], ctx: CheckContext) -> dict[str, Any]:
    where = "Account"
    opts = ctx.options
    raw_code = f.required(body, "code", where)
    code = (
        f.entity_code(raw_code, "code", where)
        if opts.codes_everywhere
        else f.text(raw_code, "code", where, high=200)
    )
    days = body.get("daysBeforeBillDue")
    return {
        "code": code,
        "name": f.text(f.required(body, "name", where), "name", where),
        "emailAddress": f.email(
            f.required(body, "emailAddress", where), where, opts.strict_formats
        ),
        "address": f.json_object(body.get("address"), "address", where),
        "currency": f.currency(body.get("currency"), where, opts.strict_formats),
        "billEpoch": f.date(body.get("billEpoch"), "billEpoch", where, strict=opts.strict_formats),
        "daysBeforeBillDue": None
        if days is None
        else f.integer(days, "daysBeforeBillDue", where, high=365),
        "parentAccountId": _parent(body.get("parentAccountId"), ctx),
        "customFields": f.custom_fields(body.get("customFields"), where),
    }


def _parent(value: Any, ctx: CheckContext) -> str | None:
    if value is None:
        return None
    parent = f.text(value, "parentAccountId", "Account", high=80)
    if parent == ctx.self_id:
        raise f.bad("Account: an account cannot be its own parent")
    if ctx.options.check_references and not ctx.exists("accounts", parent):
        raise f.bad(f"Account: parentAccountId {f.shown(parent)} does not exist")
    return parent


def skeleton_account(code: str) -> dict[str, Any]:
    """The writable fields of an account auto-created by ingest (name = code)."""
    return {
        "code": code,
        "name": code,
        "emailAddress": None,
        "address": None,
        "currency": None,
        "billEpoch": None,
        "daysBeforeBillDue": None,
        "parentAccountId": None,
        "customFields": {},
    }


ACCOUNT = Kind(name="Account", path="accounts", fields=ACCOUNT_FIELDS, check=check_account)
