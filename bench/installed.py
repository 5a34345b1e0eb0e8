"""rowpush run as an installed copy runs: its modules already compiled to bytecode.

`pip install` compiles every module of a package it installs; a checkout run with
PYTHONDONTWRITEBYTECODE set (as some shells and CI images set it) would compile
rowpush's ~190 modules again on every run, about 0.3 s that no installed copy pays.
The benches that time the CLI start it through `cli_env`.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import rowpush


def cli_env(config: Path) -> dict[str, str]:
    """The environment to run the rowpush CLI in with `config`, its bytecode written."""
    compileall.compile_dir(Path(rowpush.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ROWPUSH_CONFIG"] = str(config)
    return env
