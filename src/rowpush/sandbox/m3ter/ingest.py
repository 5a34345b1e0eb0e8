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

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowpush.sandbox.m3ter.accounts import skeleton_account
from rowpush.sandbox.m3ter.auth import authorize
from rowpush.sandbox.m3ter.bodies import parse_json, require_json_type
from rowpush.sandbox.m3ter.errors import M3terError
from rowpush.sandbox.m3ter.events import validation_failure
from rowpush.sandbox.m3ter.measurements import (
    KNOWN_KEYS,
    MapCodes,
    content_problems,
    map_codes,
    quick_valid,
    shape_problem,
)
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

    def log(text: str) -> None:
        note(request.scope, text)

    with collector_paused():
        ingest_body(state, raw, token.subject, log)
    return JSONResponse({"result": "accepted"})


def ingest_body(state: M3terState, raw: bytes, actor: str, log: Callable[[str], None]) -> None:
    """Parse, check and store one request's measurements; the parsed body is freed on
    return (inside ``collector_paused``, so it never reaches a collector pass)."""
    opts = state.m3ter
    items = envelope_items(parse_json(raw), opts.too_many_status, log)
    batch = IngestBatch(state, actor, log)
    clean = batch.check(items, schema_check=opts.ingest_schema_check)
    batch.ingest(items, clean, raw)


def envelope_items(body: Any, too_many_status: int, log: Callable[[str], None]) -> list[Any]:
    """The ``measurements`` of a parsed body, or the 400 (or 403 for too many) refusing it."""
    if not isinstance(body, dict) or not isinstance(body.get("measurements"), list):
        raise M3terError(400, "The request body must be an object with a measurements array")
    items: list[Any] = body["measurements"]
    if not 1 <= len(items) <= MAX_MEASUREMENTS:
        status = too_many_status if len(items) > MAX_MEASUREMENTS else 400
        raise M3terError(
            status, f"measurements must hold 1 to {MAX_MEASUREMENTS} items, got {len(items)}"
        )
    for key in body:
        if key != "measurements":
            log(f"unknown field {key!r} ignored")
    return items


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a parsed body is ~5,000 short-lived, acyclic
    containers, and the passes they set off cost a quarter of an ingest's CPU.

    Refcounting still frees them; the collector only runs later. Left alone when someone
    else has switched it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class IngestBatch:
    """One accepted request's measurements: validated, deduplicated and stored in one pass.

    Meter field codes and the account codes are looked up once per request, not once per
    measurement; the stored measurements are the request body itself (``StoredMeasurements``).
    """

    def __init__(self, state: M3terState, actor: str, log: Callable[[str], None]) -> None:
        self.state = state
        self.actor = actor
        self.log = log
        self._codes: dict[str, MapCodes | None] = {}
        self._accounts: set[str] | None = None

    def check(self, items: list[Any], *, schema_check: bool) -> list[bool]:
        """Which items pass ``quick_valid`` (the rest get the full check in ``ingest``).

        With ``schema_check``, an item that is not a measurement at all fails the whole
        request (400) here, before anything is stored.
        """
        codes_of = self._codes_of
        clean = [quick_valid(item, codes_of) for item in items]
        if schema_check and not all(clean):
            for index, item in enumerate(items):
                problem = None if clean[index] else shape_problem(item, index)
                if problem is not None:
                    raise M3terError(400, problem)
        return clean

    def ingest(self, items: list[Any], clean: list[bool], raw: bytes) -> None:
        """Handle every item of the request whose body is ``raw`` (``clean``: what ``check``
        found); store the valid new ones."""
        state = self.state
        uids = state.uids
        now = state.clock()
        window = state.m3ter.uid_window_days * DAY
        picked: list[int] = []
        for index, item in enumerate(items):
            if not self._valid(item, index, clean[index]):
                continue
            if not item.keys() <= KNOWN_KEYS:
                unknown = sorted(key for key in item if key not in KNOWN_KEYS)
                self.log(f"measurements[{index}]: unknown fields {unknown} ignored")
            uid = item.get("uid")
            if uid is not None:
                seen = uids.get(uid)
                if seen is not None and now - seen < window:
                    self.log(f"measurements[{index}]: uid {uid!r} already ingested, skipped")
                    continue
                uids[uid] = now
            if item["account"] not in self._account_codes():
                self._skeleton(item["account"], index)
            picked.append(index)
        everything = len(picked) == len(items)
        state.measurements.add_batch(raw, len(picked), None if everything else picked)

    def _valid(self, item: Any, index: int, clean: bool) -> bool:
        """True when ``item`` may be stored; otherwise its failure is recorded as an event."""
        if clean and item["account"] in self._account_codes():
            return True
        state = self.state
        errors = content_problems(item, state.meter_by_code)
        unknown = not errors and item["account"] not in self._account_codes()
        if unknown and not state.m3ter.skeleton_accounts:
            errors.append(f"Account {item['account']!r} does not exist")
        if not errors:
            return True
        self.log(f"measurements[{index}] invalid: {'; '.join(errors)}")
        state.events.append(
            validation_failure(state.new_id(), state.wall.iso(), state.org_id, item, errors)
        )
        return False

    def _codes_of(self, meter_code: str) -> MapCodes | None:
        if meter_code not in self._codes:
            meter = self.state.meter_by_code(meter_code)
            self._codes[meter_code] = None if meter is None else map_codes(meter)
        return self._codes[meter_code]

    def _account_codes(self) -> set[str]:
        if self._accounts is None:
            records = self.state.accounts.values()
            self._accounts = {record["code"] for record in records if record.get("code")}
        return self._accounts

    def _skeleton(self, code: str, index: int) -> None:
        state = self.state
        state.stores["accounts"].insert(skeleton_account(code), state.author(self.actor))
        self._account_codes().add(code)
        self.log(f"measurements[{index}]: skeleton account {code!r} created")
