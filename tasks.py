#!/usr/bin/env python3
"""Developer tasks that work on a fresh machine with only python3.

    python3 tasks.py demo     # make .venv if needed, then run `rowpush demo`
    python3 tasks.py test     # the full test suite (what CI runs), on every core
    python3 tasks.py test-fast  # the suite without the tests marked slow
    python3 tasks.py check    # every check: format, lint, types, layer test, tests
    python3 tasks.py env      # just create/refresh .venv
    python3 tasks.py templates  # regenerate templates/ from the targets' Row models
    python3 tasks.py readme     # regenerate the README's settings reference from the models

The virtual environment lives in .venv and is refreshed whenever pyproject.toml
changes. Extra arguments after the task go to the tool (e.g. `test -k sheets`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".rowpush-installed"


def _run(*args: str | Path) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def ensure_env() -> None:
    """Create .venv and install rowpush with its dev tools, when pyproject changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and (BIN / "rowpush").exists():
        return
    if not (BIN / "python").exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # e.g. Debian without python3-venv
            sys.exit(f"Cannot create {VENV}: {exc}\nInstall the venv module (python3-venv).")
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    if _run(*pip, "install", "--upgrade", "pip") != 0:
        sys.exit("pip could not upgrade itself; see above.")
    if _run(*pip, "install", "-e", f"{ROOT}[dev]") != 0:
        sys.exit("Installing rowpush and its dependencies failed; see above.")
    STAMP.write_text(wanted)


# Tests run on every core (pytest-xdist): most of the suite's time is waits on the
# sandbox, subprocesses and real clocks, which overlap. `loadgroup` keeps the tests of
# an `xdist_group` on one worker (the chaos trials run all at once in one fixture).
PARALLEL = ("-n", "auto", "--dist", "loadgroup")


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task in ("help", "-h", "--help"):
        print(__doc__)
        return 0
    ensure_env()
    py = BIN / "python"
    if task == "env":
        return 0
    if task == "demo":
        return _run(BIN / "rowpush", "demo", *rest)
    if task == "test":
        return _run(py, "-m", "pytest", *PARALLEL, *rest)
    if task == "test-fast":
        return _run(py, "-m", "pytest", *PARALLEL, "-m", "not slow", *rest)
    if task == "lint":
        return (
            _run(py, "-m", "ruff", "format", "--check", "src", "tests", "bench", "tasks.py")
            or _run(py, "-m", "ruff", "check", "src", "tests", "bench", "tasks.py")
            or _run(py, "-m", "mypy", "--strict", "src")
        )
    if task == "check":
        return main(["lint"]) or _run(py, "-m", "pytest", *PARALLEL, *rest)
    if task in ("templates", "readme"):
        return _run(py, "-m", "rowpush.generated", task)
    if task == "fmt":
        return _run(py, "-m", "ruff", "format", "src", "tests", "bench", "tasks.py") or _run(
            py, "-m", "ruff", "check", "--fix", "src", "tests", "bench", "tasks.py"
        )
    print(f"Unknown task {task!r}.\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
