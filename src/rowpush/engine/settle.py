"""Settle rows whose outcome is unclear, by looking at the live records first.

A row is unclear when its request went out and no answer told what happened: the
run was killed mid-request, the connection dropped, the server answered 5xx. Such
a row is planned again against the live state:

- the live record now matches the sheet → it landed: `created` / `updated`;
- a create whose key no live record has, an update not (fully) there yet → sent
  again, as planned anew (an m3ter update then carries the new version);
- a create without a key (an id the API assigns): the target looks it up by a
  natural key (`Target.find_created_many`: all such rows at once, so a target may
  read its list once rather than search once per row); found → `created`, absent →
  sent again; a target that cannot tell → `unknown`, never a possible duplicate;
- an append-only create with a content uid (`Target.idempotent_creates`) → sent
  again: the API ignores a uid it has seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rowpush.engine.plan import plan_rows
from rowpush.model import Action, Change, Outcome, Status, key_text, now

if TYPE_CHECKING:
    import httpx

    from rowpush.engine.prepare import Prepared
    from rowpush.targets.base import Target

__all__ = ["Settlement", "settle"]

LANDED = "landed: the answer was lost, and the live record shows the change"


@dataclass
class Settlement:
    """What looking at the live records decided for each unclear row."""

    landed: list[Outcome] = field(default_factory=list)
    resend: list[Change] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    """Rows that can no longer be planned (e.g. now invalid against live state)."""


async def settle(
    target: Target,
    client: httpx.AsyncClient,
    prep: Prepared,
    unclear: dict[int, Action],
    members: set[int],
) -> Settlement:
    """Plan the `unclear` rows (row → what was sent) again and decide each one.

    `members` are the other rows of the same records (for targets whose records span
    several rows); they are read too, so that each record is planned whole.
    """
    result = Settlement()
    wanted = set(unclear) | members
    rows = (r for r in prep.rows() if r.raw.row in wanted)
    seen: set[int] = set()
    lookups: list[Change] = []
    async for fresh in plan_rows(target, client, rows, prep.hmap, prep.file, guard_creates=False):
        sent = unclear.get(fresh.row)
        if sent is None:
            continue  # a member row: its lead decides
        seen.add(fresh.row)
        if not _decide(target, sent, fresh, result):
            lookups.append(fresh)
    # every create that must be looked up, in one go: one list read beats a search a row
    found = await target.find_created_many(client, lookups) if lookups else []
    for change, lookup in zip(lookups, found, strict=True):
        if not lookup.known:
            result.unknown.append(change.row)
        elif lookup.remote_id is None:
            result.resend.append(change)
        else:
            result.landed.append(
                Outcome(change.row, Status.CREATED, None, LANDED, lookup.remote_id, now())
            )
    result.unknown.extend(r for r in unclear if r not in seen)
    return result


def _decide(target: Target, sent: Action, fresh: Change, result: Settlement) -> bool:
    """Decide a row from its fresh plan; False for a create only a lookup can decide."""
    done = Status.CREATED if sent is Action.CREATE else Status.UPDATED
    if fresh.action is Action.INVALID:
        problems = "; ".join(e.message for e in fresh.errors if not e.warning)
        result.failed.append(Outcome(fresh.row, Status.FAILED, None, problems, None, now()))
    elif fresh.action is Action.UNCHANGED or (
        sent is Action.CREATE and fresh.action is Action.UPDATE
    ):
        # a create found under its key made the record, even if the API reshaped a value
        result.landed.append(Outcome(fresh.row, done, None, LANDED, key_text(fresh.key), now()))
    elif fresh.action is Action.UPDATE or fresh.key is not None or target.idempotent_creates:
        result.resend.append(fresh)
    else:
        return False
    return True
