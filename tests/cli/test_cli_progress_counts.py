"""The CLI's apply progress counts every row once, however the engine reports it: an
outcome per row, or a batch answered whole (`Callbacks.answered`)."""

from __future__ import annotations

from pathlib import Path

from rowpush.config import Connection
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.prepare import prepare
from rowpush.model import Action, Change, Outcome, Status
from rowpush.progress import ConsoleCallbacks


def _callbacks(tmp_path: Path) -> ConsoleCallbacks:
    sheet = tmp_path / "usage.csv"
    sheet.write_text("meter,account,ts\napi_calls,ACME-001,2026-01-01 00:00:00\n", "utf-8")
    conn = Connection("m3ter", "m3ter", {"org_id": "o", "access_key_id": "k", "api_secret": "s"})
    return ConsoleCallbacks(prepare(sheet, target="m3ter.measurements"), conn, ask=False)


def test_a_batch_answered_whole_counts_each_of_its_rows(tmp_path: Path) -> None:
    cb = _callbacks(tmp_path)
    cb.outcomes([Outcome(2, Status.CREATED), Outcome(3, Status.FAILED, 400, "bad")])
    cb.answered(range(4, 1004), Outcome(0, Status.CREATED, 202))
    cb.answered([1004, 1005], Outcome(0, Status.FAILED, 403, "no"))
    assert (cb.done, cb.failed) == (1004, 3)


def test_a_face_that_takes_outcomes_only_gets_one_per_row_of_an_answered_batch() -> None:
    class Seen(Callbacks):
        def __init__(self) -> None:
            self.seen: list[Outcome] = []

        def outcomes(self, outcomes: object) -> None:
            self.seen += list(outcomes)  # type: ignore[call-overload]

    cb = Seen()
    cb.answered([7, 8, 9], Outcome(0, Status.CREATED, 202, "sent"))
    assert [(o.row, o.status, o.http_status, o.message) for o in cb.seen] == [
        (r, Status.CREATED, 202, "sent") for r in (7, 8, 9)
    ]


def test_the_counter_counts_rows_planned_without_a_change_each(tmp_path: Path) -> None:
    cb = _callbacks(tmp_path)
    assert not cb.each_change
    cb.planned_rows(1000)
    cb.planned(Change(1002, Action.INVALID, None))
    assert cb._planning is not None
    assert cb._planning.count == 1001
