"""The plan report: what `plan --json` prints, as a model, written as the plan streams.

    {"target": "halopsa.clients",
     "rows": [{"row": 2, "key": 12, "status": "update", "changes": {"Name": ["Old", "New"]},
               "errors": [], "label": "Acme"}, ...],
     "summary": {"create": 0, "update": 1, "unchanged": 0, "invalid": 0}}

Scripts rely on these keys and their order (more may follow; these stay). Each row
is written as it is planned and the summary last, so a plan of a million rows is
never held in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TextIO

from rowpush.model import Action, Change

__all__ = ["PlanJsonWriter", "PlanRow", "PlanSummary"]


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One row of the report: what the plan decided for one sheet row."""

    row: int
    key: Any
    """The remote record's key (a list for composite keys); None for a create without one."""
    status: Action
    changes: dict[str, tuple[Any, Any]]
    """Changed field (by header) → (old, new); old is None for a create."""
    errors: list[dict[str, Any]]
    label: str | None
    same_record_as_row: int | None = None
    """For a record spread over several rows: the row that carries its change."""

    @classmethod
    def of(cls, change: Change) -> PlanRow:
        return cls(
            row=change.row,
            key=change.key,
            status=change.action,
            changes=change.fields,
            errors=[e.to_json() for e in change.errors],
            label=change.label,
            same_record_as_row=change.lead,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "row": self.row,
            "key": _json_value(self.key),
            "status": self.status.value,
            "changes": {
                name: [_json_value(old), _json_value(new)]
                for name, (old, new) in self.changes.items()
            },
            "errors": self.errors,
            "label": self.label,
        }
        if self.same_record_as_row is not None:
            out["same_record_as_row"] = self.same_record_as_row
        return out


@dataclass
class PlanSummary:
    """Rows planned so far, by what the plan decided (the report's `summary`)."""

    counts: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in Action})

    def add(self, change: Change) -> None:
        self.counts[change.action.value] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getitem__(self, action: str) -> int:
        return self.counts[action]


class PlanJsonWriter:
    """Writes the report to `out` as the plan streams: `row()` per change, `close()` last."""

    def __init__(self, out: TextIO, target: str) -> None:
        self.out = out
        self.first = True
        out.write(f'{{"target": {json.dumps(target)}, "rows": [')

    def row(self, change: Change) -> None:
        row = json.dumps(PlanRow.of(change).to_json())
        self.out.write(("" if self.first else ",") + "\n  " + row)
        self.first = False

    def close(self, summary: PlanSummary) -> None:
        self.out.write(f'\n], "summary": {json.dumps(summary.counts)}}}\n')


def _json_value(value: Any) -> Any:
    """A cell value as JSON has it: dates in ISO 8601, other non-JSON values as text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
