"""A stored batch of appends goes as one request with one answer; what one answer cannot
say (a bad row in it, a lost answer, a batch too big) goes row by row."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from rowpush.engine.journal import StoredBatch
from rowpush.engine.send import send_stored
from rowpush.model import Change, Outcome, Status, now


class Appends:
    """A target stand-in: `send_appends` answers `answer` (or raises it), `send` accepts
    each change whose wire is not b'bad' and refuses a batch holding one with 400."""

    def __init__(self, answer: Outcome | BaseException | None) -> None:
        self.answer = answer
        self.whole = 0
        self.sent: list[list[int]] = []

    async def send_appends(self, client: Any, array: bytes, count: int) -> Outcome | None:
        self.whole += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer

    async def send(self, client: Any, batch: Sequence[Change]) -> list[Outcome]:
        self.sent.append([c.row for c in batch])
        bad = any(c.wire == b"bad" for c in batch)
        status, code = (Status.FAILED, 400) if bad else (Status.CREATED, 200)
        return [Outcome(c.row, status, code, "", None, now()) for c in batch]


def _run(target: Appends, batch: StoredBatch) -> tuple[list[int], list[Outcome], list[Outcome]]:
    sending: list[int] = []
    answers: list[Outcome] = []
    outcomes: list[Outcome] = []
    asyncio.run(
        send_stored(
            target,  # type: ignore[arg-type]
            httpx.AsyncClient(),
            batch,
            on_sending=lambda b: sending.append(b.first),
            on_answer=lambda b, a: answers.append(a),
            on_outcomes=outcomes.extend,
        )
    )
    return sending, answers, outcomes


BATCH = StoredBatch(2, [2, 3, 4, 5], b"{}\n{}\nbad\n{}")


def test_a_batch_answered_whole_gives_one_answer_and_no_row_outcomes() -> None:
    target = Appends(Outcome(0, Status.CREATED, 200, "accepted", None, now()))
    sending, answers, outcomes = _run(target, BATCH)
    assert sending == [2]
    assert [a.message for a in answers] == ["accepted"]
    assert outcomes == []
    assert target.sent == []


def test_a_batch_refused_whole_goes_again_in_halves_row_by_row() -> None:
    target = Appends(Outcome(0, Status.FAILED, 400, "bad measurement", None, now()))
    _, answers, outcomes = _run(target, BATCH)
    assert answers == []
    assert target.sent[:2] == [[2, 3], [4, 5]]  # then [4, 5] is split again
    by_row = {o.row: o.status for o in outcomes}
    assert by_row == {
        2: Status.CREATED,
        3: Status.CREATED,
        4: Status.FAILED,
        5: Status.CREATED,
    }


def test_a_lost_answer_leaves_every_row_unknown_to_be_settled() -> None:
    target = Appends(httpx.ReadTimeout("no answer"))
    _, answers, outcomes = _run(target, BATCH)
    assert answers == []
    assert [(o.row, o.status) for o in outcomes] == [(r, Status.UNKNOWN) for r in BATCH.rows]
    assert "outcome is unknown" in outcomes[0].message


def test_a_batch_the_target_would_rather_split_goes_as_changes() -> None:
    target = Appends(None)
    _, answers, outcomes = _run(target, BATCH)
    assert answers == []
    assert target.sent[0] == [2, 3, 4, 5]
    assert len(outcomes) == 4


def test_a_lone_row_refused_is_failed_without_sending_it_again() -> None:
    target = Appends(Outcome(0, Status.FAILED, 400, "bad measurement", None, now()))
    _, answers, outcomes = _run(target, StoredBatch(9, [9], b"bad"))
    assert [(a.status, a.message) for a in answers] == [(Status.FAILED, "bad measurement")]
    assert outcomes == []
    assert (target.whole, target.sent) == (1, [])
