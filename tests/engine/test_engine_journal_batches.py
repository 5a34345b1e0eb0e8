"""A batched journal (appends safe to resend: m3ter measurements) keeps a batch to a row,
and turns a batch back into rows whenever one outcome does not fit the whole batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rowpush.engine.journal import Journal
from rowpush.engine.send import Batcher
from rowpush.model import Action, Change, Outcome, RowError, Status
from rowpush.targets.m3ter import M3terMeasurements
from rowpush.targets.wire import json_bytes

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _create(row: int, text: str = "a\nb") -> Change:
    payload = {"uid": f"u-{row}", "meter": "api_calls", "text": text}
    return Change(row, Action.CREATE, None, {}, payload, wire=json_bytes(payload))


def _journal(tmp_path: Path) -> Journal:
    """Rows 2..9: row 5 invalid, the others creates in two batches (2-4, 6-7) and (8-9)."""
    journal = Journal(tmp_path / "r.xlsx.journal")
    journal.add_changes([Change(5, Action.INVALID, errors=[RowError("row 5: bad", row=5)])])
    first = [_create(r) for r in (2, 3, 4, 6, 7)]
    second = [_create(r) for r in (8, 9)]
    journal.add_batch(first, [c.payload["uid"] for c in first])
    journal.add_batch(second, [c.payload["uid"] for c in second])
    return journal


def _done(batch: list[Change], status: Status = Status.CREATED, code: int = 200) -> list[Outcome]:
    return [Outcome(c.row, status, code, "accepted", None, AT) for c in batch]


def test_batches_count_as_creates_and_come_back_whole_with_their_wire(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    assert journal.counts() == {"create": 7, "update": 0, "unchanged": 0, "invalid": 1}
    assert journal.unfinished() == 7
    batches = list(journal.pending_batches())
    assert [b.rows for b in batches] == [[2, 3, 4, 6, 7], [8, 9]]
    assert batches[0].wires[0] == json_bytes(_create(2).payload)  # a newline inside survives
    assert batches[0].changes()[0].wire == batches[0].wires[0]
    assert [c.row for c in journal.changes()] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert next(iter(journal.changes())).payload["uid"] == "u-2"
    assert [c.row for c in journal.invalid()] == [5]


def test_a_batch_answered_as_one_is_stored_once_and_reported_per_row(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    first, _ = (b.changes() for b in journal.pending_batches())
    journal.mark_batch_sending(first)
    journal.record_batch(_done(first))
    outcomes = {o.row: o for o in journal.outcomes()}
    assert [outcomes[r].status for r in (2, 3, 4, 6, 7)] == [Status.CREATED] * 5
    assert outcomes[3].remote_id == "u-3"  # the id planned for the row
    assert outcomes[3].at == AT
    assert outcomes[5].status is Status.INVALID
    assert (outcomes[8].status, outcomes[8].message) == (Status.SKIPPED, "not sent")
    assert journal.unfinished() == 2
    assert journal.status_counts()["created"] == 5
    assert journal.status_counts()["skipped"] == 2
    assert [b.rows for b in journal.pending_batches()] == [[8, 9]]
    assert journal._db.execute("SELECT COUNT(*) FROM rows").fetchone() == (1,)  # only row 5


def test_a_lost_answer_turns_the_batch_into_unsettled_rows(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    first, _ = (b.changes() for b in journal.pending_batches())
    journal.mark_batch_sending(first)
    journal.record_batch([Outcome(c.row, Status.UNKNOWN, 503, "lost", None, AT) for c in first])
    assert set(journal.unsettled()) == {2, 3, 4, 6, 7}
    assert journal.unfinished() == 7
    assert {o.row: o.status for o in journal.outcomes()}[6] is Status.UNKNOWN
    # settling resends them as rows, with their payload decoded again
    journal.requeue([_create(r) for r in (2, 3, 4, 6, 7)])
    assert [c.payload["uid"] for c in journal.pending()] == ["u-2", "u-3", "u-4", "u-6", "u-7"]


def test_mixed_outcomes_are_kept_row_by_row(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _, second = (b.changes() for b in journal.pending_batches())
    journal.mark_batch_sending(second)
    journal.record_batch(
        [
            Outcome(8, Status.CREATED, 200, "accepted", "u-8", AT),
            Outcome(9, Status.FAILED, 400, "bad meter", "u-9", AT),
        ]
    )
    outcomes = {o.row: o for o in journal.outcomes()}
    assert (outcomes[8].status, outcomes[9].status) == (Status.CREATED, Status.FAILED)
    assert outcomes[9].message == "bad meter"
    assert journal.status_counts()["failed"] == 1
    assert journal.unsettled() == {}


def test_a_batch_left_sending_by_a_killed_run_is_settled_as_rows(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    first, _ = journal.pending_batches()
    journal.mark_stored_sending(first)
    journal.close()
    journal = Journal(tmp_path / "r.xlsx.journal")
    assert journal.status_counts()["unknown"] == 5  # results written now say so
    assert journal.unbatch_unclear() == 5
    assert set(journal.unsettled()) == {2, 3, 4, 6, 7}
    assert [b.rows for b in journal.pending_batches()] == [[8, 9]]


def test_a_batch_sent_whole_is_answered_once_for_all_its_rows(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    first, _ = journal.pending_batches()
    journal.mark_stored_sending(first)
    assert journal.status_counts()["unknown"] == 5  # caught here, it may have landed
    journal.answer_batch(first, Outcome(0, Status.CREATED, 200, "accepted", None, AT))
    outcomes = {o.row: o for o in journal.outcomes()}
    assert [(outcomes[r].status, outcomes[r].remote_id) for r in (2, 7)] == [
        (Status.CREATED, "u-2"),
        (Status.CREATED, "u-7"),
    ]
    assert outcomes[4].message == "accepted"
    assert journal.unfinished() == 2
    assert journal._db.execute("SELECT COUNT(*) FROM rows").fetchone() == (1,)


def test_skipping_a_subset_unbatches_what_is_left_to_send(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    assert journal.unbatch_pending() == 7
    journal.skip_pending({3, 8}, "not selected for this apply")
    assert [c.row for c in journal.pending()] == [3, 8]
    outcomes = {o.row: o for o in journal.outcomes()}
    assert outcomes[2].message == "not selected for this apply"
    assert outcomes[2].remote_id is None  # never sent: no id of its own yet
    assert outcomes[3].message == "not sent"  # still to send


def test_batches_are_cut_by_count_and_by_bytes_as_the_send_cuts_them() -> None:
    target = M3terMeasurements()
    batcher = Batcher(target, batch_size=3)
    full = [b for r in range(2, 9) for b in batcher.add(_create(r))]
    assert [[c.row for c in b] for b in [*full, *batcher.rest()]] == [
        [2, 3, 4],
        [5, 6, 7],
        [8],
    ]
    cap = target.batch_bytes or 0
    big = len(_create(2, "x" * 2000).wire or b"") + 1  # ~250 of them fill the cap
    by_bytes = Batcher(target)
    cut = [b for r in range(2, 2 + cap // big + 2) for b in by_bytes.add(_create(r, "x" * 2000))]
    assert [len(b) for b in cut] == [cap // big]
    assert sum(len(c.wire or b"") + 1 for c in cut[0]) <= cap
