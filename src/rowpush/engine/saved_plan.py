"""Saved plans: `plan --out PLAN.rowplan` writes a plan, `apply PLAN.rowplan` applies it.

A plan file is JSON lines. The first line says what was planned against what: the
sheet (path, sheet name, SHA-256), the target, the connection's name and base URL, when,
and which rowpush (never a secret). Each other line is one row's change, as planned:
action, key, fields {header: [old, new]}, payload, label, lead, errors, and the
fingerprint of the live record it was planned against (a hash of what the plan read
from it: the old values, and what the payload took from it, such as m3ter's version).

Applying re-plans the same sheet against the live records (read in bulk, a chunk of
keys at a time, as `plan` reads them) right before anything is sent, and compares:
a row whose fingerprint is unchanged is sent exactly as saved; a row whose record moved
is not sent and ends `stale`, its message naming the field; with `refresh` the row is
sent as planned anew instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rowpush import __version__
from rowpush.engine.plan import headers_of
from rowpush.engine.results_writer import file_sha256
from rowpush.errors import BadInput
from rowpush.model import Action, Change, Outcome, RowError, Status, now, show_value
from rowpush.targets.compare import typed_like

if TYPE_CHECKING:
    import httpx

    from rowpush.targets.base import Target

__all__ = [
    "SUFFIX",
    "PlanHeader",
    "PlanWriter",
    "SavedPlan",
    "fingerprint",
    "is_plan",
    "plan_header",
    "read_header",
]

SUFFIX = ".rowplan"
FORMAT = 1
"""The plan file's format version: a reader refuses one it does not know."""


def is_plan(path: Path) -> bool:
    """Whether `path` names a saved plan (by its suffix) rather than a sheet."""
    return path.suffix.lower() == SUFFIX


@dataclass(frozen=True)
class PlanHeader:
    """The first line of a plan file: what was planned, against what."""

    sheet: str
    """The sheet's absolute path when the plan was made."""
    sheet_name: str | None
    sha256: str
    target: str
    connection: str
    base_url: str
    planned_at: str
    rowpush: str = __version__

    def to_json(self) -> dict[str, Any]:
        return {
            "rowplan": FORMAT,
            "rowpush": self.rowpush,
            "sheet": self.sheet,
            "sheet_name": self.sheet_name,
            "sha256": self.sha256,
            "target": self.target,
            "connection": self.connection,
            "base_url": self.base_url,
            "planned_at": self.planned_at,
        }

    def find_sheet(self, plan: Path) -> Path:
        """The planned sheet: where it was, else beside the plan (both moved together)."""
        recorded = Path(self.sheet)
        for candidate in (recorded, plan.parent / recorded.name):
            if candidate.is_file():
                return candidate
        raise BadInput(
            f"{plan.name}: the sheet it was planned from, {recorded}, is not there any more.",
            hint=f"Put {recorded.name} back (beside the plan will do), or plan again.",
        )

    def check_sheet(self, plan: Path, sheet: Path) -> None:
        """Refuse a sheet edited since the plan: the plan would not be the sheet's."""
        if file_sha256(sheet) != self.sha256:
            raise BadInput(
                f"{plan.name}: {sheet.name} changed since the plan was saved "
                f"({self.planned_at}); this plan no longer says what the sheet asks.",
                hint=f"Plan again: rowpush plan {sheet.name} -c {self.connection} "
                f"--out {plan.name}",
            )

    def check_connection(self, plan: Path, name: str, base_url: str) -> None:
        """Refuse another connection, or the same name now pointing elsewhere."""
        if name != self.connection:
            raise BadInput(
                f"{plan.name} was planned on connection '{self.connection}', not '{name}'.",
                hint=f"Leave out -c (the plan names its connection), or plan again on '{name}'.",
            )
        if base_url.rstrip("/") != self.base_url.rstrip("/"):
            raise BadInput(
                f"{plan.name} was planned against {self.base_url}; connection '{name}' now "
                f"points at {base_url}.",
                hint="Apply it where it was planned, or plan again on this connection.",
            )


def read_header(path: Path) -> PlanHeader:
    """The header of a plan file; a file that is not one is refused, saying why."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read this plan ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        first = ""
    try:
        data = json.loads(first)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or "rowplan" not in data:
        raise BadInput(
            f"{path.name} is not a plan saved by rowpush.",
            hint="Save one with  rowpush plan FILE -c CONNECTION --out PLAN.rowplan",
        )
    if data["rowplan"] != FORMAT:
        raise BadInput(
            f"{path.name} is a plan of format {data['rowplan']} (rowpush "
            f"{data.get('rowpush', '?')}); this rowpush reads format {FORMAT}.",
            hint="Plan again with this rowpush.",
        )
    try:
        return PlanHeader(
            sheet=str(data["sheet"]),
            sheet_name=data.get("sheet_name"),
            sha256=str(data["sha256"]),
            target=str(data["target"]),
            connection=str(data["connection"]),
            base_url=str(data["base_url"]),
            planned_at=str(data.get("planned_at", "")),
            rowpush=str(data.get("rowpush", "")),
        )
    except KeyError as exc:
        raise BadInput(f"{path.name}: the plan's first line lacks {exc}; plan again.") from None


class PlanWriter:
    """Writes a plan file as the plan streams: `add()` per change, `finish()` last. The
    file appears only when finished (a plan stopped half-way leaves nothing)."""

    def __init__(self, out: Path, header: PlanHeader) -> None:
        self.out = out
        self._part = out.with_name(out.name + ".part")
        self._handle: IO[str] = self._part.open("w", encoding="utf-8", newline="\n")
        self._line(header.to_json())

    def _line(self, data: dict[str, Any]) -> None:
        self._handle.write(_JSON.encode(data) + "\n")

    def add(self, change: Change) -> None:
        self._line(
            {
                "row": change.row,
                "action": change.action.value,
                "key": change.key,
                "fields": {h: list(diff) for h, diff in change.fields.items()},
                "payload": change.payload,
                "label": change.label,
                "lead": change.lead,
                "errors": [e.to_json() for e in change.errors],
                "fingerprint": fingerprint(change),
            }
        )

    def finish(self) -> None:
        self._handle.close()
        self._part.replace(self.out)

    def abandon(self) -> None:
        self._handle.close()
        with contextlib.suppress(OSError):
            self._part.unlink()


def fingerprint(change: Change) -> str:
    """What a row's plan read from its live record, hashed: the same sheet planned against
    an unmoved record gives the same fingerprint."""
    text = _CANON.encode(
        [change.action.value, change.key, change.fields, change.payload, change.lead]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _saved_changes(path: Path) -> Generator[tuple[Change, str]]:
    """The plan's changes in row order, each with its saved fingerprint."""
    with path.open(encoding="utf-8") as handle:
        handle.readline()  # the header
        for number, line in enumerate(handle, start=2):
            try:
                data = json.loads(line)
                change = Change(
                    int(data["row"]),
                    Action(data["action"]),
                    data["key"],
                    {h: (old, new) for h, (old, new) in data["fields"].items()},
                    data["payload"],
                    [RowError(**e) for e in data["errors"]],
                    data["label"],
                    data["lead"],
                )
                print_ = str(data["fingerprint"])
            except (ValueError, KeyError, TypeError):
                raise BadInput(
                    f"{path.name}, line {number}: not a planned change (the file was edited "
                    "or cut short).",
                    hint="Plan again with  rowpush plan FILE -c CONNECTION --out PLAN.rowplan",
                ) from None
            if fingerprint(change) != print_:  # what is sent must be what was reviewed
                raise BadInput(
                    f"{path.name}, line {number} (row {change.row}): the change was edited "
                    "after the plan was saved; rowpush applies only plans as it wrote them.",
                    hint="Plan again with  rowpush plan FILE -c CONNECTION --out PLAN.rowplan",
                )
            yield change, print_


class SavedPlan:
    """A plan file being applied: `check()` turns the live re-plan of its sheet into the
    changes to journal (the saved ones, or `stale` ones, or with `refresh` the fresh ones)."""

    def __init__(self, path: Path, header: PlanHeader, *, refresh: bool = False) -> None:
        self.path = path
        self.header = header
        self.refresh = refresh

    def describe(self) -> str:
        """The plan as the results' Summary names it."""
        refreshed = "; moved rows re-planned (--refresh)" if self.refresh else ""
        return f"{self.path.name} (planned {self.header.planned_at}{refreshed})"

    async def check(self, fresh: AsyncIterator[Change]) -> AsyncIterator[Change]:
        """Pair each freshly planned row with its saved one (both stream in row order)."""
        with contextlib.closing(_saved_changes(self.path)) as saved:
            async for change in self._paired(saved, fresh):
                yield change

    async def _paired(
        self, saved: Iterator[tuple[Change, str]], fresh: AsyncIterator[Change]
    ) -> AsyncIterator[Change]:
        moved_leads: dict[int, str] = {}
        """Rows whose record moved, by row: a record's other rows share its verdict."""
        async for now_ in fresh:
            change, print_ = next(saved, (None, ""))
            if change is None or change.row != now_.row:
                raise BadInput(
                    f"{self.path.name}: row {now_.row} of the sheet is not the plan's next row "
                    f"({'none' if change is None else change.row}); the plan was edited.",
                    hint="Plan again with  rowpush plan FILE -c CONNECTION --out PLAN.rowplan",
                )
            if change.lead is not None:  # a record's other rows follow its first row
                moved = moved_leads.get(change.lead)
            elif fingerprint(now_) == print_:
                moved = None
            elif change.action is Action.INVALID:  # stays invalid: apply refuses it first
                moved = "re-plan" if self.refresh else None
            else:
                moved = moved_leads[change.row] = _what_moved(change, now_)
            if moved is None:
                yield change
            elif self.refresh:
                yield now_
            else:
                change.stale = moved
                yield change


RECHECK_SECONDS = 60.0
"""How long one read of the live records serves the batches that follow it."""


class Refreshed:
    """A target whose live reads are at most `RECHECK_SECONDS` old: a new one for the
    first batch (the confirmation may have taken minutes), then one a minute. A target
    keeps what it read (HaloPSA pages its whole list once), so one a batch would read a
    long list again for every 100 rows."""

    def __init__(self, make: Callable[[], Target], client: httpx.AsyncClient) -> None:
        self._make = make
        self._client = client
        self._current: Target | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def target(self) -> Target:
        async with self._lock:  # concurrent batches share one fresh read
            if self._current is None or time.monotonic() - self._read_at > RECHECK_SECONDS:
                current = self._make()
                await current.load_reference(self._client)
                self._current, self._read_at = current, time.monotonic()
            return self._current


async def recheck(
    target: Target, client: httpx.AsyncClient, batch: list[Change]
) -> tuple[list[Change], list[Outcome]]:
    """A saved plan's batch just before it goes: the live records of its keys read again
    (in bulk, through a `Refreshed` target), and a change whose planned-against value
    moved since the apply began is held back as `stale`, naming the field. The apply's
    start checked every row; this covers the time the confirmation and the earlier
    batches took."""
    keyed = [c for c in batch if c.key is not None and c.action in _DONE]
    if not keyed or target.group_rows:  # a record over rows: its diffs are not columns
        return batch, []
    names = {header: name for name, header in headers_of(target.Row).items()}
    fields = {names.get(h, h) for c in keyed for h in c.fields}
    live = await target.fetch_live(client, [c.key for c in keyed], fields)
    held: dict[int, str] = {}
    for change in keyed:
        record = live.get(change.key)
        if change.action is Action.CREATE:
            if record is not None:
                held[change.row] = f"a record with {show_value(change.key)} now exists"
            continue
        if record is None:
            held[change.row] = f"no record has {show_value(change.key)} any more"
            continue
        moved = []
        for header, (was, new) in change.fields.items():
            name = names.get(header) or target.extra_field(header)
            if name is None:  # not a column of the record (a target's own summary line)
                continue
            planned = typed_like(target.Row, name, was)
            if not target.same(name, planned, record.get(name)):
                moved.append(
                    f"{header}: planned {show_value(was)} → {show_value(new)}, "
                    f"live now {show_value(record.get(name))}"
                )
        if moved:
            held[change.row] = "; ".join(moved)
    stale = [
        Outcome(
            row,
            Status.STALE,
            None,
            f"changed since the apply began: {reason}. Not sent: apply the plan with "
            "--refresh to plan this row anew, or plan again.",
            None,
            now(),
        )
        for row, reason in held.items()
    ]
    return [c for c in batch if c.row not in held], stale


def _what_moved(saved: Change, fresh: Change) -> str:
    """The stale message: which field moved, as planned and as live now."""
    parts: list[str] = []
    if fresh.action is Action.INVALID:
        problem = fresh.errors[0].problem or fresh.errors[0].message if fresh.errors else ""
        done = _DONE.get(saved.action, "left as is")
        parts.append(f"it can no longer be {done} as planned: {problem}")
    elif saved.action is Action.CREATE and fresh.action is not Action.CREATE:
        parts.append(f"a record with {show_value(fresh.key)} now exists")
    else:
        planned, live = _plain_fields(saved), _plain_fields(fresh)
        for header in dict.fromkeys([*planned, *live]):
            was, now_ = planned.get(header), live.get(header)
            if was == now_:
                continue
            if was is None and now_ is not None:
                parts.append(
                    f"{header}: planned unchanged at {show_value(now_[1])}, "
                    f"live now {show_value(now_[0])}"
                )
            elif was is not None:
                current = now_[0] if now_ is not None else was[1]
                parts.append(
                    f"{header}: planned {show_value(was[0])} → {show_value(was[1])}, "
                    f"live now {show_value(current)}"
                )
        if not parts:  # same fields, another payload: e.g. m3ter's version moved
            for name, was_, now_ in _differences(_plain(saved.payload), _plain(fresh.payload)):
                parts.append(
                    f"{name}: planned against {show_value(was_)}, live now {show_value(now_)}"
                )
    reason = "; ".join(parts) or "the record changed"
    return (
        f"changed since the plan was saved: {reason}. Not sent: apply the plan with "
        "--refresh to plan this row anew, or plan again."
    )


_DONE = {Action.CREATE: "created", Action.UPDATE: "updated"}


def _differences(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The leaves where two payloads differ, named by their path (`body.version`)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[tuple[str, Any, Any]] = []
        for name in dict.fromkeys([*before, *after]):
            found += _differences(before.get(name), after.get(name), f"{path}{name}.")
        return found
    return [] if before == after else [(path.rstrip(".") or "payload", before, after)]


def _plain(value: Any) -> Any:
    """A value as the plan file holds it (dates as ISO text, tuples as lists)."""
    loaded: Any = json.loads(_CANON.encode(value))
    return loaded


def _plain_fields(change: Change) -> dict[str, list[Any]]:
    plain: dict[str, list[Any]] = _plain(change.fields)
    return plain


def _text(value: Any) -> Any:
    """A value JSON has no type for (a date, a decimal): its text, as the journal keeps it."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_JSON = json.JSONEncoder(default=_text, ensure_ascii=False)
_CANON = json.JSONEncoder(default=_text, sort_keys=True, separators=(",", ":"))


def plan_header(
    sheet: Path, sheet_name: str | None, target: str, connection: str, base_url: str
) -> PlanHeader:
    """The header of a plan of `sheet` made now."""
    return PlanHeader(
        sheet=str(sheet.resolve()),
        sheet_name=sheet_name,
        sha256=file_sha256(sheet),
        target=target,
        connection=connection,
        base_url=base_url,
        planned_at=now().isoformat(),
    )
