"""Chaos trials: `rowpush apply` killed with SIGKILL at a random moment, then run again.

A trial writes a small sheet of one kind, starts `rowpush apply SHEET -t T -c CONN --yes`
as a subprocess against an in-process sandbox, kills it (SIGKILL: no cleanup at all) once
a seeded number of its rows have landed in the sandbox, sometimes kills the re-run too,
and runs the same command again until it exits by itself (or a killed run turns out to
have finished: its journal dropped, its results written; a person would find them and not
run it again). Then it reads the sandbox's state and request log and the final results
workbook, and lists what went wrong.

Kinds of rows:
- `update`: halopsa.clients tax code changes (keyed by the Halo id);
- `create`: halopsa.clients with a blank id and a unique name (a create whose answer
  was lost is looked up by name before it is sent again);
- `append`: m3ter.measurements (append-only, idempotent by uid).

Shared by tests/e2e/test_e2e_chaos.py (a fixed set of seeded trials) and bench/chaos.py
(as many as asked); tests/e2e/test_e2e_faults.py uses its workloads and request-log
readings. It lives beside the end-to-end tests because it is their oracle; the bench
puts this folder on sys.path, as pytest does.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from rowpush.engine.settle import LANDED
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import LoggedRequest
from rowpush.sandbox.server import SandboxServer, render_config, toml_string

__all__ = [
    "KINDS",
    "SANDBOX_OPTIONS",
    "Creates",
    "Measurements",
    "Mixed",
    "Trial",
    "TrialResult",
    "Updates",
    "Workload",
    "halo_posts",
    "ingest_posts",
    "landing_report",
    "results_rows",
    "run_fresh_trial",
    "run_trial",
    "run_trials",
    "write_config",
]

KINDS = ("update", "create", "append")
SANDBOX_OPTIONS: dict[str, Any] = {"latency_ms": 40, "halo_clients": 200}
"""Sandbox settings for chaos trials: latency so that kills land mid-run."""
FINAL_STATUSES = frozenset({"created", "updated", "unchanged"})
DEADLINE = 60.0
"""Seconds a single apply may take before the trial gives up on it (a hang, not a figure)."""
POLL = 0.003


def write_config(folder: Path, sandbox: SandboxServer, **settings: str | float) -> Path:
    """rowpush.toml for the sandbox, every connection fast (it is local), plus `settings`
    (e.g. `timeout=1`) on every connection."""
    extra = {"rate": "1000/s", **settings}
    lines = []
    for line in render_config(sandbox.url, sandbox.options).splitlines():
        lines.append(line)
        if line.startswith("api = "):
            lines += [
                f"{k} = {toml_string(v) if isinstance(v, str) else v}" for k, v in extra.items()
            ]
    path = folder / "rowpush.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)  # it holds (the sandbox's) secrets: rowpush warns otherwise
    return path


# -- the trial ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One seeded trial: what to apply, and when to kill."""

    kind: str
    seed: int
    rows: int
    batch_size: int
    concurrency: int
    kills: tuple[int, ...]
    """Rows landed in the sandbox before each kill, counted once the run has made a
    request (0: it dies while it authenticates, plans or sends its first batches)."""
    pauses: tuple[float, ...]
    """Seconds between reaching each kill's count and the kill."""
    resume: bool
    """Run again with --resume (else the very same command, which finds the run itself)."""

    def __str__(self) -> str:
        return f"{self.kind}-{self.seed}"

    @classmethod
    def draw(cls, kind: str, seed: int) -> Trial:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        rng = random.Random(f"{kind}:{seed}")
        rows = rng.randint(20, 40)
        edge = rng.random()
        # the edges (nothing landed yet, everything landed) get a fair share
        first = 0 if edge < 0.15 else rows if edge < 0.30 else rng.randint(1, rows - 1)
        kills = [first]
        if first < rows and rng.random() < 0.35:
            kills.append(rng.randint(first, rows))
        latency = SANDBOX_OPTIONS["latency_ms"] / 1000
        pauses = [rng.uniform(0, 0.6 if k == 0 else 1.5 * latency) for k in kills]
        return cls(
            kind=kind,
            seed=seed,
            rows=rows,
            batch_size=rng.randint(1, 5),
            concurrency=rng.randint(1, 3),
            kills=tuple(kills),
            pauses=tuple(pauses),
            resume=rng.random() < 0.35,
        )


@dataclass
class Run:
    """One `rowpush apply` process of a trial."""

    args: list[str]
    code: int | None
    out: str
    err: str
    killed_at: int | None
    """Rows landed when it was killed; None when it exited by itself."""
    continued: bool
    """An unfinished run (one that had sent something) was there when it started."""
    talked: bool
    """It made requests (so it got past choosing where its results go)."""


@dataclass
class TrialResult:
    trial: Trial
    runs: list[Run] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    """Valid rows that never landed (by natural key)."""
    duplicated: list[str] = field(default_factory=list)
    """Rows applied more than once, or sent again after they had landed."""
    resent: int = 0
    """Idempotent sends after a row had landed (measurements: the uid makes them no-ops)."""
    statuses: dict[str, int] = field(default_factory=dict)
    """The final results workbook's rows by `_status`."""
    settled: int = 0
    """Rows whose answer was lost and that were found landed in the live records."""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        """Everything needed to understand a failed trial."""
        lines = [f"trial {self.trial}: {self.trial!r}", *self.problems]
        for n, run in enumerate(self.runs, 1):
            how = "exited" if run.killed_at is None else f"killed at {run.killed_at} landed"
            lines.append(f"-- run {n} ({how}, code {run.code}): {' '.join(run.args[3:])}")
            lines += [f"   out: {line}" for line in run.out.splitlines()]
            lines += [f"   err: {line}" for line in run.err.splitlines()]
        return "\n".join(lines)


def run_trials(trials: Sequence[Trial], root: Path, *, jobs: int = 2) -> Iterator[TrialResult]:
    """Run `trials`, `jobs` at a time, each in a sandbox and a folder (under `root`) of its
    own; yields each result as it comes. Most of a trial is a subprocess starting up, so
    two at a time take half as long on two cores."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_fresh_trial, trial, root / str(trial)) for trial in trials]
        for future in as_completed(futures):
            yield future.result()


def run_fresh_trial(trial: Trial, folder: Path) -> TrialResult:
    """`run_trial` in `folder` (made here) against a sandbox of its own; a trial that
    cannot be judged (say, an unreadable results workbook) says so as its problem."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with SandboxServer(SandboxOptions(**SANDBOX_OPTIONS)) as sandbox:
            write_config(folder, sandbox)
            return run_trial(sandbox, folder, trial)
    except Exception:
        return TrialResult(trial, problems=[f"the trial broke:\n{traceback.format_exc()}"])


def run_trial(sandbox: SandboxServer, folder: Path, trial: Trial) -> TrialResult:
    """Apply, kill, apply again until done; then judge. `folder` holds a rowpush.toml for
    `sandbox` (see `write_config`) and nothing else of interest."""
    started = time.perf_counter()
    workload = WORKLOADS[trial.kind](sandbox, seed=trial.seed, rows=trial.rows)
    sheet = folder / f"chaos-{trial}.xlsx"
    workload.write(sheet)
    command = [
        sys.executable,
        "-m",
        "rowpush",
        "apply",
        str(sheet),
        "-t",
        workload.target,
        "-c",
        workload.connection,
        "--yes",
        "--batch-size",
        str(trial.batch_size),
        "--concurrency",
        str(trial.concurrency),
    ]
    env = {k: v for k, v in os.environ.items() if k != "ROWPUSH_CONFIG"}
    result = TrialResult(trial)
    kills = list(zip(trial.kills, trial.pauses, strict=True))
    while len(result.runs) < len(trial.kills) + 2:
        continued = any(sent_journals(folder))
        args = command + (["--resume"] if continued and trial.resume else [])
        proc = subprocess.Popen(
            args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        seen = len(sandbox.state.requests)
        killed_at = None
        if kills:
            count, pause = kills.pop(0)
            killed_at = _kill_when(proc, sandbox, workload, count, pause)
            if killed_at is not None and killed_at < count:
                result.problems.append(
                    f"run {len(result.runs) + 1} got {killed_at} of {count} rows landed "
                    f"in {DEADLINE:g} s (hung?)"
                )
        try:
            out, err = proc.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            result.problems.append(f"run {len(result.runs) + 1} hung for {DEADLINE:g} s")
        talked = len(sandbox.state.requests) > seen
        run = Run(args, proc.returncode, out, err, killed_at, continued, talked)
        result.runs.append(run)
        if proc.returncode != -signal.SIGKILL:
            break
        if run.killed_at is None:
            result.problems.append(f"run {len(result.runs)} was killed, but not by the trial")
        if results_workbook(folder) and not any(sent_journals(folder)):
            break  # it died after its last outcome and journal: done, its workbook says
    _judge(result, workload, folder)
    result.seconds = time.perf_counter() - started
    return result


def _kill_when(
    proc: subprocess.Popen[str],
    sandbox: SandboxServer,
    workload: Workload,
    count: int,
    pause: float,
) -> int | None:
    """SIGKILL `proc` `pause` s after it made a request and `count` rows have landed; the
    rows landed then, or None if it exited first. (Requests of a run killed before land
    while the next one starts: a count reached before it talks would kill it unborn.)"""
    log = sandbox.state.requests
    seen = len(log)
    deadline = time.monotonic() + DEADLINE
    while proc.poll() is None and time.monotonic() < deadline:
        if len(log) > seen and workload.landed() >= count:
            time.sleep(pause)
            break
        time.sleep(POLL)
    if proc.poll() is not None:
        return None
    proc.send_signal(signal.SIGKILL)  # after DEADLINE too: the caller reports a hung run
    proc.wait()
    return workload.landed()


def _judge(result: TrialResult, workload: Workload, folder: Path) -> None:
    last = result.runs[-1]
    problems = result.problems
    for n, run in enumerate(result.runs, 1):
        if "Traceback" in run.err:
            problems.append(f"run {n} crashed: {run.err.strip().splitlines()[-1]}")
        if run.continued and run.talked and "Found an unfinished run" not in run.err:
            problems.append(f"run {n} did not continue the unfinished run it was given")
    if last.killed_at is None and last.code != 0:
        problems.append(f"the last run exited {last.code}, not 0")
    left = [p.name for p in sent_journals(folder)]
    if left:
        problems.append(f"journals of runs that sent rows are left behind: {left}")
    result.lost = workload.lost()
    result.duplicated, result.resent = workload.duplicated()
    if result.lost:
        problems.append(f"{len(result.lost)} row(s) never landed: {result.lost}")
    if result.duplicated:
        problems.append(f"{len(result.duplicated)} row(s) applied twice: {result.duplicated}")
    found = re.search(r"^Results: (.+)$", last.out, re.MULTILINE)
    book = Path(found.group(1)) if found else results_workbook(folder)
    if book is None:
        problems.append("no run wrote a results workbook")
        return
    rows = results_rows(book)
    statuses = {n: str(row["_status"]) for n, row in rows.items()}
    result.statuses = dict(Counter(statuses.values()))
    result.settled = sum(str(row["_message"] or "").startswith(LANDED) for row in rows.values())
    if len(statuses) != result.trial.rows:
        problems.append(f"the results workbook has {len(statuses)} rows, not {result.trial.rows}")
    bad = {row: s for row, s in statuses.items() if s not in FINAL_STATUSES}
    if bad:
        problems.append(f"rows without a final status in the results workbook: {bad}")


def results_rows(path: Path) -> dict[int, dict[str, Any]]:
    """Source row → its row of a results workbook (header → value), read back."""
    book = load_workbook(path, read_only=True)
    try:
        table = book["Results"].iter_rows(values_only=True)
        head = [str(h) for h in next(table)]
        # read-only rows stop at their last non-blank cell
        rows = (dict(zip(head, [*values, *[None] * len(head)], strict=False)) for values in table)
        return {int(row["_row"]): row for row in rows if row["_row"] is not None}
    finally:
        book.close()


def results_workbook(folder: Path) -> Path | None:
    """The newest results workbook in `folder` (not a half-written temporary one)."""
    found = [p for p in folder.glob("*-results-*.xlsx") if not p.name.startswith(".")]
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None


def sent_journals(folder: Path) -> Iterable[Path]:
    """Journals in `folder` of runs that sent something (a run killed while planning
    sent nothing: its journal is ignored, as rowpush does)."""
    for path in sorted(folder.glob("*.journal")):
        db = sqlite3.connect(path)
        try:
            found = db.execute("SELECT value FROM meta WHERE key = 'sent'").fetchone()
        except sqlite3.DatabaseError:
            found = None
        finally:
            db.close()
        if found == ("1",):
            yield path


# -- what each kind writes, counts and checks ----------------------------------------------


class Workload(ABC):
    """Rows of one kind: the sheet, how many have landed, and what went wrong."""

    target: str
    connection: str
    headers: tuple[str, ...]

    def __init__(self, sandbox: SandboxServer, *, seed: int, rows: int) -> None:
        self.sandbox = sandbox
        self.rng = random.Random(f"{type(self).__name__}:{seed}")

    @abstractmethod
    def rows(self) -> list[dict[str, object]]:
        """The sheet's rows (header → value), in order."""

    def write(self, path: Path) -> None:
        rows = ([row.get(h) for h in self.headers] for row in self.rows())
        write_sheet(path, self.headers, rows)

    @abstractmethod
    def landed(self) -> int:
        """How many of the rows the sandbox's state shows (cheap: polled during a run)."""

    @abstractmethod
    def lost(self) -> list[str]:
        """Rows whose change is not in the sandbox's state (by natural key)."""

    @abstractmethod
    def duplicated(self) -> tuple[list[str], int]:
        """Rows applied twice, or sent again after they had landed where that is not safe;
        and how many idempotent sends came after a row had landed."""


class Updates(Workload):
    """Halo clients moved to another item tax code. Sent again after it landed counts as
    twice, except the transport's retry of a request whose answer was cut (the same
    values at once: the idempotent retry the design allows)."""

    target = "halopsa.clients"
    connection = "halopsa"
    headers = ("id", "item_tax_code")

    def __init__(self, sandbox: SandboxServer, *, seed: int, rows: int) -> None:
        super().__init__(sandbox, seed=seed, rows=rows)
        clients = sandbox.state.halopsa.clients
        ids = sorted(self.rng.sample(sorted(clients), rows))
        self.wanted = {i: (clients[i]["item_tax_code"] or 0) % 4 + 1 for i in ids}

    def rows(self) -> list[dict[str, object]]:
        return [{"id": i, "item_tax_code": code} for i, code in self.wanted.items()]

    def landed(self) -> int:
        clients = self.sandbox.state.halopsa.clients
        return sum(clients[i]["item_tax_code"] == code for i, code in self.wanted.items())

    def lost(self) -> list[str]:
        clients = self.sandbox.state.halopsa.clients
        return [str(i) for i, code in self.wanted.items() if clients[i]["item_tax_code"] != code]

    def duplicated(self) -> tuple[list[str], int]:
        report = landing_report(
            halo_posts(self.sandbox),
            lambda record: str(record["id"]) if record.get("id") in self.wanted else None,
        )
        again = [key for key in report.sent_after if not report.retried_in_transit(key)]
        return sorted(again, key=int), 0


class Creates(Workload):
    """New Halo clients (blank id) with unique names: one record per name, and no create
    sent again once it had landed."""

    target = "halopsa.clients"
    connection = "halopsa"
    headers = ("id", "name", "item_tax_code")

    def __init__(self, sandbox: SandboxServer, *, seed: int, rows: int) -> None:
        super().__init__(sandbox, seed=seed, rows=rows)
        self.names = [f"Chaos {seed}-{n:02d} Ltd" for n in range(1, rows + 1)]
        self.codes = [self.rng.randint(1, 4) for _ in self.names]
        self.wanted = set(self.names)

    def rows(self) -> list[dict[str, object]]:
        return [
            {"name": name, "item_tax_code": code}
            for name, code in zip(self.names, self.codes, strict=True)
        ]

    def _records(self) -> Counter[str]:
        clients = list(self.sandbox.state.halopsa.clients.values())
        return Counter(c["name"] for c in clients if c.get("name") in self.wanted)

    def landed(self) -> int:
        return len(self._records())

    def lost(self) -> list[str]:
        records = self._records()
        return [name for name in self.names if not records[name]]

    def duplicated(self) -> tuple[list[str], int]:
        twice = {name for name, n in self._records().items() if n > 1}
        report = landing_report(
            halo_posts(self.sandbox),
            lambda record: record.get("name") if "id" not in record else None,
        )
        twice |= {name for name in report.sent_after if name in self.wanted}
        return sorted(twice), 0


class Measurements(Workload):
    """m3ter measurements, one per user id: stored once each (by uid, m3ter ignores a
    measurement it has seen, so sending one again is safe and only counted)."""

    target = "m3ter.measurements"
    connection = "m3ter"
    headers = ("meter", "account", "ts", "who.user_id", "measure.requests")

    def __init__(self, sandbox: SandboxServer, *, seed: int, rows: int) -> None:
        super().__init__(sandbox, seed=seed, rows=rows)
        self.users = [f"chaos-{seed}-{n:02d}" for n in range(1, rows + 1)]
        self.wanted = set(self.users)

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "meter": "api_calls",
                "account": "ACME-001",
                "ts": f"2026-01-{1 + n % 28:02d} {n % 24:02d}:00:00",
                "who.user_id": user,
                "measure.requests": self.rng.randint(1, 5000),
            }
            for n, user in enumerate(self.users)
        ]

    def _stored(self) -> Counter[str]:
        stored = list(self.sandbox.state.m3ter.measurements)
        users = ((m.get("who") or {}).get("user_id") for m in stored)
        return Counter(u for u in users if u in self.wanted)

    def landed(self) -> int:
        return len(self._stored())

    def lost(self) -> list[str]:
        stored = self._stored()
        return [user for user in self.users if not stored[user]]

    def duplicated(self) -> tuple[list[str], int]:
        twice = sorted(user for user, n in self._stored().items() if n > 1)
        report = landing_report(
            ingest_posts(self.sandbox), lambda m: (m.get("who") or {}).get("user_id")
        )
        return twice, sum(report.sent_after.values())


class Mixed(Workload):
    """Several workloads of one target in one sheet, their rows shuffled together."""

    def __init__(self, parts: Sequence[Workload], *, seed: int) -> None:
        first = parts[0]
        if any((p.target, p.connection) != (first.target, first.connection) for p in parts):
            raise ValueError("the parts of a mixed sheet must share a target and connection")
        self.sandbox = first.sandbox
        self.rng = random.Random(f"Mixed:{seed}")
        self.parts = parts
        self.target, self.connection = first.target, first.connection
        self.headers = tuple(dict.fromkeys(h for p in parts for h in p.headers))
        self._rows = [row for p in parts for row in p.rows()]
        self.rng.shuffle(self._rows)

    def rows(self) -> list[dict[str, object]]:
        return self._rows

    def landed(self) -> int:
        return sum(p.landed() for p in self.parts)

    def lost(self) -> list[str]:
        return [key for p in self.parts for key in p.lost()]

    def duplicated(self) -> tuple[list[str], int]:
        found = [p.duplicated() for p in self.parts]
        return [key for keys, _ in found for key in keys], sum(n for _, n in found)


WORKLOADS: dict[str, type[Workload]] = {
    "update": Updates,
    "create": Creates,
    "append": Measurements,
}


def write_sheet(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """An input sheet as XLSX."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)


# -- reading the request log ---------------------------------------------------------------


@dataclass
class LandingReport:
    """Per natural key: the request that first applied it, and what was sent after."""

    landed: dict[str, int] = field(default_factory=dict)
    """Key → index (in the requests given) of the first 2xx request that carried it."""
    record: dict[str, Any] = field(default_factory=dict)
    """Key → the record as it landed."""
    after: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    """Key → (index, record) of every request that carried it after it had landed."""
    dropped: set[str] = field(default_factory=set)
    """Keys whose landing request had its connection cut mid-answer (an injected drop)."""

    @property
    def sent_after(self) -> Counter[str]:
        """Key → how many requests carried it again after it had landed."""
        return Counter({key: len(sent) for key, sent in self.after.items() if sent})

    def retried_in_transit(self, key: str) -> bool:
        """Whether every send of `key` after it landed was a retry of its landing request,
        its answer cut: the very next requests, with the same values. (With one request
        in flight at a time, nothing else goes out between a request and its retry.)"""
        if key not in self.dropped:
            return False
        first = self.landed[key]
        return all(
            index == first + n and record == self.record[key]
            for n, (index, record) in enumerate(self.after.get(key, []), 1)
        )


def landing_report(
    requests: Sequence[tuple[LoggedRequest, Sequence[dict[str, Any]]]],
    key_of: Callable[[dict[str, Any]], str | None],
) -> LandingReport:
    """Walk the write requests in the order the sandbox received them (each with the
    records it carried) and tell, per key, where it landed and what came after."""
    report = LandingReport()
    for index, (entry, records) in enumerate(requests):
        for record in records:
            key = key_of(record)
            if key is None:
                continue
            if key in report.landed:
                report.after[key].append((index, record))
            elif entry.status is not None and 200 <= entry.status < 300:
                report.landed[key] = index
                report.record[key] = record
                report.after[key] = []
                if any(note.startswith("injected drop") for note in entry.notes):
                    report.dropped.add(key)
    return report


def halo_posts(sandbox: SandboxServer) -> list[tuple[LoggedRequest, list[dict[str, Any]]]]:
    """Every POST to Halo's /api/Client as received, with the records it carried."""
    return [
        (entry, [r for r in entry.body if isinstance(r, dict)])
        for entry in sandbox.state.requests.entries("halopsa")
        if entry.method == "POST"
        and entry.path.lower().endswith("/api/client")
        and isinstance(entry.body, list)
    ]


def ingest_posts(sandbox: SandboxServer) -> list[tuple[LoggedRequest, list[dict[str, Any]]]]:
    """Every POST of measurements to m3ter's ingest API as received, with the measurements."""
    return [
        (entry, [m for m in entry.body.get("measurements") or [] if isinstance(m, dict)])
        for entry in sandbox.state.requests.entries("m3ter")
        if entry.method == "POST"
        and entry.path.endswith("/measurements")
        and isinstance(entry.body, dict)
    ]
