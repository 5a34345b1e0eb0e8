"""The files around an apply run: its journal, where its results go, what it left unfinished.

A run's journal sits beside its results workbook (RESULTS.xlsx.journal) until every
row has its outcome; an unfinished one can be found, described, continued, or have
its results rebuilt from it alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rowpush.engine.journal import Journal
from rowpush.engine.outputs import check_output
from rowpush.engine.prepare import Prepared, prepare
from rowpush.engine.results_writer import RunInfo, file_sha256, input_kinds, write_results
from rowpush.engine.run_stats import stats_of
from rowpush.errors import BadInput
from rowpush.model import now

__all__ = [
    "Unfinished",
    "default_results_path",
    "default_retry_path",
    "find_unfinished",
    "journal_path",
    "read_unfinished",
    "rebuild_results",
    "remove_journal",
    "run_info",
]


def journal_path(results: Path) -> Path:
    return results.with_name(results.name + ".journal")


def default_results_path(input_path: Path, folder: Path | None = None) -> Path:
    """In `folder` (the working directory): INPUT-results-YYYYmmdd-HHMMSS.xlsx."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or Path.cwd()) / f"{input_path.stem}-results-{stamp}.xlsx"


def default_retry_path(results: Path) -> Path:
    """Beside the results retried: RESULTS-retry-YYYYmmdd-HHMMSS.xlsx."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return results.with_name(f"{results.stem}-retry-{stamp}.xlsx")


@dataclass(frozen=True)
class Unfinished:
    """An apply that stopped before every row had its outcome."""

    journal: Path
    results: Path
    input_file: str
    started: str
    done: int
    left: int
    target: str = ""
    connection: str = ""
    input_path: str = ""
    """The input sheet's full path, as the run recorded it."""


def read_unfinished(path: Path) -> Unfinished | None:
    """What an existing journal holds; None when its run never sent anything."""
    with Journal(path) as journal:
        meta = journal.meta()
        if meta.get("sent") != "1":
            return None
        left = journal.unfinished()
        total = sum(journal.counts().values())
    return Unfinished(
        journal=path,
        results=Path(meta.get("results") or str(path)[: -len(".journal")]),
        input_file=Path(meta.get("input_file", "?")).name,
        started=meta.get("started", "?"),
        done=total - left,
        left=left,
        target=meta.get("target", ""),
        connection=meta.get("connection", ""),
        input_path=meta.get("input_file", ""),
    )


def find_unfinished(input_file: Path, folder: Path) -> list[Unfinished]:
    """Unfinished runs of `input_file` whose journals are in `folder`.

    A run stopped after its last outcome but before it wrote its results and dropped
    its journal counts too (0 rows left): continuing it writes the results, where
    starting anew would create its new records a second time.
    """
    wanted = str(input_file.resolve())
    found = []
    for path in sorted(folder.glob("*.journal")):
        try:
            run = read_unfinished(path)
        except Exception:  # not a journal of ours: not our business
            continue
        if run is not None and run.input_path == wanted:
            found.append(run)
    return found


def rebuild_results(
    journal: Path, out: Path | None = None, *, force: bool = False
) -> tuple[Path, dict[str, int]]:
    """Write the results workbook of a run from its journal alone (after a crash).

    The run's own results workbook is rewritten; another existing `out` needs `force`."""
    if not journal.is_file():
        raise BadInput(
            f"{journal}: no such journal.",
            hint="Journals sit beside the results: RESULTS.xlsx.journal.",
        )
    with Journal(journal) as book:
        meta = book.meta()
        if "input_file" not in meta:
            raise BadInput(f"{journal}: this journal does not say which sheet it applied.")
        source = Path(meta["input_file"])
        if not source.is_file():
            raise BadInput(
                f"{journal.name}: its input sheet {source} is gone.",
                hint="The results workbook repeats every input row, so it needs the sheet.",
            )
        if file_sha256(source) != meta.get("input_sha256"):
            raise BadInput(
                f"{journal.name}: {source.name} changed since the run; its rows no longer match.",
                hint="Put back the sheet as it was when the run started.",
            )
        prep = prepare(source, target=meta.get("target"), sheet=meta.get("sheet") or None)
        own = Path(meta.get("results") or str(journal).removesuffix(".journal"))
        target = Path(out or own)
        if out is not None and out.resolve() != own.resolve():
            check_output(out, force=force)
        else:
            check_output(target, force=True, flag="--output")
        info = run_info(
            meta,
            prep,
            target=meta.get("target", prep.target.name),
            connection=meta.get("connection", ""),
            base_url=meta.get("base_url", ""),
        )
        kinds = input_kinds(prep.target, prep.hmap)
        counts = write_results(target, prep.sheet, book, info, kinds=kinds)
    return target, counts


def run_info(
    meta: Mapping[str, str], prep: Prepared, *, target: str, connection: str, base_url: str
) -> RunInfo:
    """What the results' Summary says of a run, from its journal's meta and its sheet."""
    return RunInfo(
        target=target,
        connection=connection,
        base_url=base_url,
        input_file=prep.path,
        input_sha256=meta.get("input_sha256") or file_sha256(prep.path),
        sheet=prep.sheet.name,
        started=datetime.fromisoformat(meta["started"]) if "started" in meta else now(),
        finished=now(),
        retry_of=meta.get("retry_of") or None,
        plan=meta.get("plan") or None,
        stats=stats_of(meta),
    )


def remove_journal(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()
