"""validate, plan and apply without --tui never load Textual (it is only the TUI's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_sheets import APPLY_CSV, shifted_tax_codes

from rowpush.sandbox.server import SandboxServer

pytestmark = pytest.mark.slow  # a fresh `rowpush` process for each verb

# Runs the console script's main() and reports, even when it exits, whether textual loaded.
PROBE = """
import json, sys
from rowpush.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "textual")
print(json.dumps({"code": code, "textual": loaded}))
"""


@pytest.mark.parametrize(
    "verb",
    [
        ("validate", "-t", "halopsa.clients"),
        ("plan", "-t", "halopsa.clients", "-c", "halopsa"),
        ("plan", "-t", "halopsa.clients", "-c", "halopsa", "--json"),
        APPLY_CSV,
    ],
    ids=lambda v: " ".join(v[:1] + tuple(a for a in v if a == "--json")),
)
def test_verbs_without_tui_never_import_textual(
    workdir: Path, sandbox: SandboxServer, verb: tuple[str, ...]
) -> None:
    sheet = workdir / "c.csv"
    shifted_tax_codes(sandbox, sheet, 3)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *verb, str(sheet)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    assert report["textual"] == []
