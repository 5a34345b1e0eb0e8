"""apply in a real terminal (a pty): it asks before sending, and sends nothing on "no"."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rowpush.sandbox.server import SandboxServer

pytestmark = pytest.mark.slow  # real `rowpush` processes on a pseudo-terminal


def _run_in_pty(args: list[str], cwd: Path, answer: str, timeout: float = 30.0) -> tuple[int, str]:
    """Run a command on a pseudo-terminal; answer its question; return exit code and screen."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(slave)
    screen = b""
    answered = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if not answered and b"[y/N]" in screen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=5)
    os.close(master)
    return proc.returncode, screen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "sent"), [("y", True), ("n", False)])
def test_apply_asks_on_a_terminal(
    workdir: Path, sandbox: SandboxServer, answer: str, sent: bool
) -> None:
    first = sorted(sandbox.state.halopsa.clients)[0]
    before = sandbox.state.halopsa.clients[first]["item_tax_code"]
    new = (before or 0) % 4 + 1
    (workdir / "c.csv").write_text(f"id,item_tax_code\n{first},{new}\n", encoding="utf-8")
    code, screen = _run_in_pty(
        [
            sys.executable,
            "-m",
            "rowpush",
            "apply",
            "c.csv",
            "-t",
            "halopsa.clients",
            "-c",
            "halopsa",
            "--results",
            "r.xlsx",
        ],
        workdir,
        answer,
    )
    assert "Apply 1 update(s) and 0 create(s) to halopsa.clients on 'halopsa'" in screen
    assert code == 0, screen
    after = sandbox.state.halopsa.clients[first]["item_tax_code"]
    if sent:
        assert after == new
        assert "Applied: 0 created, 1 updated" in screen
    else:
        assert after == before
        assert "Apply cancelled; nothing was sent." in screen
        assert not (workdir / "r.xlsx").exists()
    assert not (workdir / "r.xlsx.journal").exists()
