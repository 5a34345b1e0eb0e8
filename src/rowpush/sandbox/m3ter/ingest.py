"""The Ingest API: ``POST /organizations/{orgId}/measurements``.

A request is refused only for its envelope: 512,000 bytes or more (403), more than
1000 measurements (403, ``too_many_status``), none (400), or (``ingest_schema_check``)
an item without a string meter, account and ts (400). Everything else is
``{"result": "accepted"}``; each measurement is then validated, and an invalid one
becomes an ``ingest.validation.failure`` event instead of being stored. A ``uid``
stored in the last 35 days is not stored again; an unknown account code gets a
skeleton account.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.m3ter.accounts import skeleton_account
from rowpush.sandbox.m3ter.auth import authorize
from rowpush.sandbox.m3ter.bodies import parse_json, require_json_type
from rowpush.sandbox.m3ter.errors import M3terError
from rowpush.sandbox.m3ter.events import validation_failure
from rowpush.sandbox.m3ter.measurements import KNOWN_KEYS, content_problems, shape_problem
from rowpush.sandbox.m3ter.state import M3terState
from rowpush.sandbox.requestlog import note

MAX_MEASUREMENTS = 1000
DAY = 86_400.0


async def submit_measurements(request: Request, state: M3terState) -> Response:
    token = authorize(request, state)
    opts = state.m3ter
    raw = await request.body()
    if len(raw) >= opts.ingest_max_bytes:
        raise M3terError(403, "Request payload too large")
    require_json_type(request)
    body = parse_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("measurements"), list):
        raise M3terError(400, "The request body must be an object with a measurements array")
    items: list[Any] = body["measurements"]
    if not 1 <= len(items) <= MAX_MEASUREMENTS:
        status = opts.too_many_status if len(items) > MAX_MEASUREMENTS else 400
        raise M3terError(
            status, f"measurements must hold 1 to {MAX_MEASUREMENTS} items, got {len(items)}"
        )
    for key in body:
        if key != "measurements":
            note(request.scope, f"unknown field {key!r} ignored")
    if opts.ingest_schema_check:
        for index, item in enumerate(items):
            problem = shape_problem(item, index)
            if problem is not None:
                raise M3terError(400, problem)

    def log(text: str) -> None:
        note(request.scope, text)

    for index, item in enumerate(items):
        ingest_one(state, item, index, token.subject, log)
    return JSONResponse({"result": "accepted"})


def ingest_one(
    state: M3terState, item: Any, index: int, actor: str, log: Callable[[str], None]
) -> None:
    """Validate one accepted measurement, then store it, skip it as a duplicate, or record
    the failure as an event."""
    errors = content_problems(item, state.meter_by_code)
    known_account = not errors and state.account_by_code(item["account"]) is not None
    if not errors and not known_account and not state.m3ter.skeleton_accounts:
        errors.append(f"Account {item['account']!r} does not exist")
    if errors:
        log(f"measurements[{index}] invalid: {'; '.join(errors)}")
        state.events.append(
            validation_failure(state.new_id(), state.wall.iso(), state.org_id, item, errors)
        )
        return
    unknown = sorted(key for key in item if key not in KNOWN_KEYS)
    if unknown:
        log(f"measurements[{index}]: unknown fields {unknown} ignored")
    uid = item.get("uid")
    now = state.clock()
    if uid is not None:
        seen = state.uids.get(uid)
        if seen is not None and now - seen < state.m3ter.uid_window_days * DAY:
            log(f"measurements[{index}]: uid {uid!r} already ingested, skipped")
            return
        state.uids[uid] = now
    if not known_account:
        code = item["account"]
        state.stores["accounts"].insert(skeleton_account(code), state.author(actor))
        log(f"measurements[{index}]: skeleton account {code!r} created")
    state.measurements.append(copy.deepcopy(item))
