"""Progress hooks a face implements to follow a run (kept light: the CLI imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rowpush.http.transport import RetryEvent
    from rowpush.model import Change, Outcome

__all__ = ["Callbacks"]


class Callbacks:
    """Progress hooks for a face to draw; every method is optional (no-op here)."""

    def planned(self, change: Change) -> None: ...
    def confirm(self, counts: dict[str, int]) -> bool:
        return True

    def sending(self, total: int) -> None: ...
    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Final outcomes as they land (a row whose answer was lost comes once settled)."""

    def retry_event(self, event: RetryEvent) -> None: ...
    def settling(self, rows: int) -> None:
        """`rows` whose answer was lost are being checked against the live records."""
