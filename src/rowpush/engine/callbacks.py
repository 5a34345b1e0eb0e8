"""Progress hooks a face implements to follow a run (kept light: the CLI imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rowpush.model import Outcome

if TYPE_CHECKING:
    from rowpush.http.transport import RetryEvent
    from rowpush.model import Change

__all__ = ["Callbacks"]


class Callbacks:
    """Progress hooks for a face to draw; every method is optional (no-op here)."""

    each_change: bool = True
    """Whether `planned` must see every planned change. A face that only counts them (the
    CLI) says False: apply may then plan a sheet of appends without a change per row
    (engine/appends.py) and report those rows by `planned_rows`."""

    def planned(self, change: Change) -> None: ...
    def planned_rows(self, count: int) -> None:
        """`count` rows planned as appends without a change each (see `each_change`)."""

    def confirm(self, counts: dict[str, int]) -> bool:
        return True

    def sending(self, total: int) -> None: ...
    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Final outcomes as they land (a row whose answer was lost comes once settled)."""

    def answered(self, rows: Sequence[int], answer: Outcome) -> None:
        """Every row of `rows` got the final outcome `answer` (a batch answered whole; its
        `row` is not read). By default told to `outcomes`, an outcome per row; a face that
        only counts them may count them at once."""
        status, code, message, at = answer.status, answer.http_status, answer.message, answer.at
        self.outcomes([Outcome(row, status, code, message, None, at) for row in rows])

    def retry_event(self, event: RetryEvent) -> None: ...
    def settling(self, rows: int) -> None:
        """`rows` whose answer was lost are being checked against the live records."""
