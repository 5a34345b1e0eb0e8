"""Faults on the wire: every valid row lands once, and the results workbook says how.

The sandbox answers 20% of requests with a 5xx, throttles 10% (Retry-After: 1), lets 5%
hang past the connection's 1 s timeout and cuts 2% mid-answer after the change landed.
Apply sends one request at a time, so the sandbox's seeded dice fault the same requests
on every run: each case is repeatable, and its seed was chosen so that it meets every
kind of fault (`test_..._through_injected_faults` checks that it did).

A connection cut in the middle of an answer to a read (a list, a lookup, a token) is
retried like any failed attempt: the transport reads bodies within its retry loop
(`test_a_connection_cut_mid_read_is_retried`).

Tokens that expire mid-run (Halo answers 401, m3ter 403) are fetched again and the
refused batch is sent again, once: nothing lost, nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_chaos import (
    Creates,
    Measurements,
    Mixed,
    Updates,
    Workload,
    halo_posts,
    ingest_posts,
    landing_report,
    results_rows,
    write_config,
)

from rowpush.sandbox.server import SandboxServer

FAULTS: dict[str, Any] = {
    "fail_rate": 0.20,
    "throttle_rate": 0.10,
    "timeout_rate": 0.05,
    "hang_seconds": 1.5,  # more than the connection's timeout: the client gives up first
    "drop_rate": 0.02,
    "halo_clients": 100,
}
TIMEOUT = 1


def halo_sheet(sandbox: SandboxServer, seed: int, rows: int) -> Workload:
    """Halo tax code changes (two thirds) and new clients, shuffled together."""
    updates = rows * 2 // 3
    parts = [
        Updates(sandbox, seed=seed, rows=updates),
        Creates(sandbox, seed=seed, rows=rows - updates),
    ]
    return Mixed(parts, seed=seed)


def m3ter_sheet(sandbox: SandboxServer, seed: int, rows: int) -> Workload:
    """m3ter measurements."""
    return Measurements(sandbox, seed=seed, rows=rows)


SHEETS: dict[str, Callable[[SandboxServer, int, int], Workload]] = {
    "halopsa": halo_sheet,
    "m3ter": m3ter_sheet,
}


def work_in(
    folder: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> Path:
    """Make `folder` the working directory, with a rowpush.toml for `sandbox` whose
    connections all have `settings`."""
    write_config(folder, sandbox, **settings)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    return folder


@pytest.fixture
def folder(tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose rowpush.toml gives every connection a 1 s timeout."""
    return work_in(tmp_path, sandbox, monkeypatch, timeout=TIMEOUT)


def apply(rowpush: Any, folder: Path, work: Workload, *options: str) -> Any:
    sheet = folder / "sheet.xlsx"
    work.write(sheet)
    return rowpush(
        "apply",
        str(sheet),
        "-t",
        work.target,
        "-c",
        work.connection,
        "--yes",
        "--results",
        str(folder / "results.xlsx"),
        *options,
    )


def injected(sandbox: SandboxServer) -> Counter[str]:
    """Faults the sandbox injected, by kind; a drop also says what it cut."""
    kinds: Counter[str] = Counter()
    for entry in sandbox.state.requests:
        for note in entry.notes:
            if note.startswith("injected drop"):
                kinds[
                    "drop of a token" if "/token" in entry.path else f"drop of a {entry.method}"
                ] += 1
            elif note.startswith("injected"):
                kinds[note.split()[1]] += 1  # fault, throttle, timeout
    return kinds


def assert_every_row_landed_once(work: Workload, folder: Path, rows: int) -> None:
    assert work.lost() == []
    twice, _ = work.duplicated()
    assert twice == []
    results = results_rows(folder / "results.xlsx")
    assert len(results) == rows
    outcomes = {n: (row["_status"], row["_message"]) for n, row in results.items()}
    assert {status for status, _ in outcomes.values()} <= {"created", "updated"}, outcomes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sheet", "rows"),
    [
        pytest.param("halopsa", 24, marks=pytest.mark.sandbox_options(seed=68, **FAULTS)),
        pytest.param("m3ter", 30, marks=pytest.mark.sandbox_options(seed=23, **FAULTS)),
    ],
)
def test_every_valid_row_lands_once_through_injected_faults(
    sheet: str, rows: int, sandbox: SandboxServer, folder: Path, rowpush: Any
) -> None:
    work = SHEETS[sheet](sandbox, sandbox.options.seed, rows)
    result = apply(rowpush, folder, work, "--batch-size", "4", "--concurrency", "1")
    assert result.code == 0, result.err
    assert_every_row_landed_once(work, folder, rows)
    met = injected(sandbox)
    assert {"fault", "throttle", "timeout", "drop of a POST"} <= set(met), met


@pytest.mark.sandbox_options(seed=4, drop_rate=0.25, halo_clients=100)
def test_a_connection_cut_mid_read_is_retried(
    sandbox: SandboxServer, folder: Path, rowpush: Any
) -> None:
    work = halo_sheet(sandbox, 4, 24)
    result = apply(rowpush, folder, work, "--batch-size", "4", "--concurrency", "1")
    cut = injected(sandbox)
    assert cut["drop of a GET"] + cut["drop of a token"], cut
    assert result.code == 0, result.err
    assert_every_row_landed_once(work, folder, 24)


# -- tokens that expire mid-run -------------------------------------------------------------

BATCHES = 12
RATE = 4
TTL = 2


def record_key(record: dict[str, Any]) -> str | None:
    """An update by its id, a new client by its name, a measurement by its uid."""
    key = record.get("id") or record.get("name") or record.get("uid")
    return None if key is None else str(key)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sheet", "rows"),
    [("halopsa", 24), ("m3ter", 24)],
)
@pytest.mark.sandbox_options(token_ttl=TTL, halo_clients=100)
def test_tokens_expiring_mid_run_are_refreshed_without_losing_or_repeating_a_batch(
    sheet: str,
    rows: int,
    sandbox: SandboxServer,
    tmp_path: Path,
    rowpush: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Twelve batches go out at once with the token fetched as sending starts, then wait
    # for the connection's 4 requests a second: the last ones start 2.25 s or more after
    # it, when its 2 s are over, so the API refuses them (Halo 401, m3ter 403) however
    # fast the machine. Each is sent again with a new token, once.
    folder = work_in(tmp_path, sandbox, monkeypatch, rate=f"{RATE}/s")
    work = SHEETS[sheet](sandbox, 7, rows)
    size = str(rows // BATCHES)
    result = apply(rowpush, folder, work, "--batch-size", size, "--concurrency", str(BATCHES))
    assert result.code == 0, result.err
    assert_every_row_landed_once(work, folder, rows)

    writes = halo_posts(sandbox) if sheet == "halopsa" else ingest_posts(sandbox)
    refused = [
        (n, records) for n, (entry, records) in enumerate(writes) if entry.status in (401, 403)
    ]
    landed = [records for entry, records in writes if entry.status in (200, 201)]
    assert refused, [entry.status for entry, _ in writes]
    assert len(landed) == BATCHES  # no batch went twice
    report = landing_report(writes, record_key)
    for n, records in refused:  # each refused batch landed later, whole, once
        where = {report.landed[key] for key in map(record_key, records) if key}
        assert len(where) == 1
        assert where.pop() > n
    assert not report.sent_after
    tokens = [e for e in sandbox.state.requests if e.path.endswith("/token") and e.status == 200]
    assert len(tokens) > 2  # the plan's, the send's, and at least one refresh


@pytest.mark.slow
@pytest.mark.sandbox_options(seed=3, fail_rate=0.3, halo_clients=100)
def test_callbacks_hear_each_row_once_with_its_final_outcome(
    sandbox: SandboxServer, folder: Path
) -> None:
    """A create answered 5xx comes back `unknown` inside the engine and is settled (looked
    up, sent again); a face hears only the settled outcome, once per row."""
    import asyncio
    from collections.abc import Sequence

    from rowpush.config import load_config
    from rowpush.engine.callbacks import Callbacks
    from rowpush.engine.verbs import apply_file, prepare
    from rowpush.model import Outcome

    heard: list[Outcome] = []

    class Recorder(Callbacks):
        def outcomes(self, outcomes: Sequence[Outcome]) -> None:
            heard.extend(outcomes)

    work = Creates(sandbox, seed=3, rows=8)
    sheet = folder / "sheet.xlsx"
    work.write(sheet)
    report = asyncio.run(
        apply_file(
            prepare(sheet, target=work.target),
            load_config().connection(work.connection),
            results=folder / "results.xlsx",
            callbacks=Recorder(),
            batch_size=1,
            concurrency=1,
        )
    )
    assert report.ok, report.counts
    faulted = [e for e in sandbox.state.requests if e.method == "POST" and e.status >= 500]
    assert faulted  # some creates were answered 5xx, so some rows were settled
    assert sorted(o.row for o in heard) == list(range(2, 10))
    assert {o.status.value for o in heard} == {"created"}
