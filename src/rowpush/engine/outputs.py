"""Outputs: whether rowpush may write a user-facing file, checked before any work starts.

Every file a person will open (a template, an export, a results workbook) goes through
`check_output` first, so that a locked or protected file, a missing folder or someone's
edited workbook stops the command at once with a message — never after minutes of
reading live records, and never by replacing the file.

The rule: rowpush never replaces an existing file unless told `--force`, not even
one it wrote itself. A template or an export is made to be edited, and rowpush
cannot tell an edited copy from an untouched one; a results workbook is the record of
a run. The one exception is the results workbook of the run being continued (its
journal names it): continuing a run rewrites its own results.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from rowpush.errors import BadInput

__all__ = ["SANDBOX_CONFIG_MARK", "check_config_out", "check_folder", "check_output"]

SUFFIXES = (".xlsx", ".csv")


def check_output(
    path: Path, *, force: bool = False, flag: str = "-o", suffixes: tuple[str, ...] = SUFFIXES
) -> None:
    """Refuse an output rowpush cannot or must not write; `flag` names the option that
    chose it, for the hint."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise BadInput(
            f"{path}: the output must end in {' or '.join(suffixes)}.",
            hint=f"Give {flag} a name ending in {suffixes[0]}.",
        )
    if not path.parent.exists():
        raise BadInput(
            f"{path}: the folder {path.parent} does not exist.",
            hint=f"Create it first (mkdir -p {path.parent}), or give {flag} another path.",
        )
    if path.is_dir():
        raise BadInput(f"{path} is a folder.", hint=f"Give {flag} a file name.")
    check_folder(path.parent, flag=flag)
    if path.exists():
        if not force:
            raise BadInput(
                f"{path} already exists; rowpush does not replace a file without being told.",
                hint=f"Add --force to replace it, or give {flag} another file name.",
            )
        _check_replaceable(path, flag)


def check_folder(folder: Path, *, flag: str) -> None:
    """Refuse a folder where no file can be created (read-only, protected, full)."""
    probe = folder / f".rowpush-probe-{secrets.token_hex(4)}"
    try:
        probe.touch(exist_ok=False)
    except OSError as exc:
        raise BadInput(
            f"Cannot write in the folder {folder}: {exc.strerror or exc}.",
            hint=f"Give {flag} a path in a folder you can write to.",
        ) from None
    with contextlib.suppress(OSError):
        probe.unlink()


def _check_replaceable(path: Path, flag: str) -> None:
    """An existing file that cannot be replaced: open in Excel on Windows (a sharing
    lock), read-only, or immutable (chattr +i)."""
    problem = ""
    if not os.access(path, os.W_OK):
        problem = "it is read-only or protected"
    else:
        try:
            with path.open("r+b"):  # opened, not changed: Windows refuses a file Excel holds
                pass
        except OSError as exc:
            problem = f"it cannot be opened for writing ({exc.strerror or exc})"
    if problem:
        raise BadInput(
            f"Cannot replace {path}: {problem} — is it open in Excel or another program?",
            hint=f"Close it (or make it writable), or give {flag} another file name.",
        )


SANDBOX_CONFIG_MARK = "# rowpush sandbox at "
"""How a config written by `rowpush sandbox` begins (sandbox/server.py render_config)."""


def check_config_out(path: Path, *, force: bool = False) -> None:
    """`sandbox --config-out`: refuse to replace a config the sandbox did not write (a
    real rowpush.toml, with real connections) unless `force`; its own earlier one is
    replaced, as each sandbox start has a new port."""
    check_output(path, force=True, flag="--config-out", suffixes=())
    if force or not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as f:
        first = f.readline()
    if not first.startswith(SANDBOX_CONFIG_MARK):
        raise BadInput(
            f"{path} already exists and was not written by `rowpush sandbox`: it may hold "
            "your real connections.",
            hint="Give --config-out another file (e.g. sandbox.toml, then "
            "ROWPUSH_CONFIG=sandbox.toml), or add --force to replace it.",
        )
