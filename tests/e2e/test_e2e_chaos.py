"""Chaos: `rowpush apply` killed with SIGKILL at a random moment, then run again until done.

Each trial (see e2e_chaos) kills a real `rowpush apply` subprocess once a seeded number of
its rows have landed in the sandbox (none, some, all), sometimes kills the next run too,
and runs the same command again (some trials with --resume) until it exits by itself.
Every valid row must then be applied exactly once (the sandbox's records and request log
say so) and have a final status in the results workbook.

The trials run four at a time, each against a sandbox of its own, in one module fixture;
each trial is still its own test, so a failure names its trial and shows every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_chaos import KINDS, Creates, Trial, TrialResult, results_rows, run_trials

from rowpush.engine import run as apply_run
from rowpush.sandbox.server import SandboxServer

SEEDS = {
    "update": (0, 2, 4, 5, 6, 7, 34),
    "create": (0, 1, 2, 3, 4, 5, 6),
    "append": (0, 1, 2, 3, 4, 5, 6),
}
"""Chosen so that every kind has a kill before any row landed, one after all had, a second
kill and a --resume (`test_the_trials_cover_the_edges` checks it)."""
TRIALS = [Trial.draw(kind, seed) for kind in KINDS for seed in SEEDS[kind]]
JOBS = 4
"""Trials at a time: most of a trial is a subprocess starting up or waiting on latency."""

# The `chaos` fixture runs every selected trial at once: under xdist (`--dist loadgroup`)
# they must all go to one worker, or each worker would run them all.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("chaos")]


@pytest.fixture(scope="module")
def chaos(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[Trial, TrialResult]:
    """The result of every trial selected in this session (all, or those -k picks)."""
    chosen = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        trial = callspec.params.get("trial") if callspec is not None else None
        if isinstance(trial, Trial):
            chosen.append(trial)
    root: Path = tmp_path_factory.mktemp("chaos")
    return {result.trial: result for result in run_trials(chosen, root, jobs=JOBS)}


def test_the_trials_cover_the_edges() -> None:
    for kind in KINDS:
        trials = [t for t in TRIALS if t.kind == kind]
        assert any(t.kills[0] == 0 for t in trials), kind
        assert any(t.kills[0] == t.rows for t in trials), kind
        assert any(0 < t.kills[0] < t.rows for t in trials), kind
        assert any(len(t.kills) == 2 for t in trials), kind
        assert any(t.resume for t in trials), kind


@pytest.mark.parametrize("trial", TRIALS, ids=str)
def test_a_killed_apply_run_again_applies_every_row_once(
    trial: Trial, chaos: dict[Trial, TrialResult]
) -> None:
    result = chaos[trial]
    assert result.ok, result.report()


def test_a_run_that_died_after_its_last_outcome_is_finished_not_started_again(
    workdir: Path, sandbox: SandboxServer, rowpush: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edge the chaos trials met: killed between its last outcome and dropping its
    journal, a run of creates must be finished on the next go, not made anew."""
    work = Creates(sandbox, seed=1, rows=3)
    sheet = workdir / "new.xlsx"
    work.write(sheet)
    args = ("apply", str(sheet), "-t", work.target, "-c", work.connection, "--yes")
    with monkeypatch.context() as m:
        m.setattr(apply_run, "remove_journal", lambda path: None)  # as if killed right there
        assert rowpush(*args).code == 0
    (journal,) = workdir.glob("*.journal")
    (results,) = workdir.glob("*-results-*.xlsx")
    results.unlink()

    again = rowpush(*args)
    assert again.code == 0, again.err
    assert "3 row(s) done, 0 to go. Continuing it" in again.err
    assert work.lost() == []
    assert work.duplicated() == ([], 0)
    assert not journal.exists()
    assert [row["_status"] for row in results_rows(results).values()] == ["created"] * 3
