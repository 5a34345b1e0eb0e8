"""The run lock: one apply at a time per sheet and per results workbook (its journal).

Two applies of one sheet started together would both plan before either creates, and
create every new record twice; two runs writing one journal would corrupt each other's
record of what went. So an apply holds an OS lock (flock) on a small file named for the
sheet and one named for its results, for as long as it runs: a second apply refuses at
once, naming the first one's process. The OS drops the lock when a process ends, even
on `kill -9`, so a crashed run never leaves a stale lock behind.

The lock files live in the temporary folder (per user), not beside the sheet, whose
folder may be read-only or shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from rowpush.errors import BadInput

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

__all__ = ["RunLock", "RunLocked", "check_free", "lock_folder"]


class RunLocked(BadInput):
    """Another process is applying the same sheet or writing the same results."""


def lock_folder() -> Path:
    """Where the lock files are: a folder of this user's in the temporary folder."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"rowpush-{uid}"


@dataclass
class _Held:
    handle: IO[str]
    count: int = 1


_HELD: dict[Path, _Held] = {}
"""Locks this process holds, by lock file: taken again by the same process, a lock is
shared (the terminal app may start a second run while the first one is still open)."""


@dataclass
class RunLock:
    """Locks held for one run; `release` them when the run closes."""

    files: list[Path] = field(default_factory=list)

    @classmethod
    def acquire(cls, paths: Iterable[Path], *, command: str) -> RunLock:
        """Lock every path (a sheet, a results workbook) or raise RunLocked naming the
        process that holds one; `command` is how the holder describes itself."""
        lock = cls()
        try:
            for path in paths:
                lock.files.append(_take(path, command))
        except BaseException:
            lock.release()
            raise
        return lock

    def release(self) -> None:
        """Let go of every lock (safe to call twice)."""
        while self.files:
            _drop(self.files.pop())


def check_free(paths: Iterable[Path]) -> None:
    """Raise RunLocked if another process holds a lock on any of `paths` (nothing taken)."""
    RunLock.acquire(paths, command="").release()


def _lock_file(path: Path) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    return lock_folder() / f"{digest}.lock"


def _take(path: Path, command: str) -> Path:
    file = _lock_file(path)
    held = _HELD.get(file)
    if held is not None:
        held.count += 1
        return file
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = file.open("a+", encoding="utf-8")
    if not _try_lock(handle):
        handle.seek(0)
        holder = handle.read()
        handle.close()
        raise _refusal(path, holder)
    if command:  # a probe takes the lock for an instant and leaves no trace
        handle.seek(0)
        handle.truncate()
        started = datetime.now().strftime("%H:%M:%S")
        handle.write(json.dumps({"pid": os.getpid(), "command": command, "started": started}))
        handle.flush()
    _HELD[file] = _Held(handle)
    return file


def _drop(file: Path) -> None:
    held = _HELD.get(file)
    if held is None:
        return
    held.count -= 1
    if held.count:
        return
    del _HELD[file]
    with contextlib.suppress(OSError):
        held.handle.seek(0)
        held.handle.truncate()
    _unlock(held.handle)
    held.handle.close()


def _try_lock(handle: IO[str]) -> bool:
    try:
        if sys.platform == "win32":
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _refusal(path: Path, holder: str) -> RunLocked:
    try:
        info = json.loads(holder)
        pid, command, started = info["pid"], info["command"], info["started"]
    except (ValueError, KeyError, TypeError):
        return RunLocked(
            f"Another rowpush process is applying {path.name} right now.",
            hint="Wait for it to finish, then run this again.",
        )
    return RunLocked(
        f"Another rowpush is applying {path.name} right now: process {pid} "
        f"(`rowpush {command}`, started {started}). Two applies of one sheet at once "
        "would create its new records twice.",
        hint=f"Wait for it to finish, or stop it (kill {pid}); then run this again: "
        "rows it already sent are not sent twice.",
    )
