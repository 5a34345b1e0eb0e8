"""End-to-end fixtures: the sandbox over real HTTP on 127.0.0.1, and the CLI entry point.

`sandbox` is the session's server, reset (tests/conftest.py), unless the test asks for
other options with `@pytest.mark.sandbox_options(...)`: then a server of its own.
`workdir` lifts every connection's rate: the sandbox is local, and a test that waits on
a vendor's default rate (2 requests/s for some) measures the wait, not rowpush.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rowpush.cli import main
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config


@dataclass
class Result:
    code: int
    out: str
    err: str


LIFTED = "1000/s"
"""Every connection's rate in `workdir`: no limit to speak of against a local sandbox."""


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    marker = request.node.get_closest_marker("sandbox_options")
    if marker is None or not marker.kwargs:
        yield request.getfixturevalue("shared_sandbox")
        return
    with SandboxServer(SandboxOptions(**marker.kwargs)) as server:
        yield server


def lifted_config(sandbox: SandboxServer, rate: str = LIFTED) -> str:
    """The sandbox's rowpush.toml with `rate` on every connection."""
    text = render_config(sandbox.url, sandbox.options)
    return re.sub(r'^(api = "[^"]+")$', rf'\1\nrate = "{rate}"', text, flags=re.MULTILINE)


@pytest.fixture
def workdir(tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a rowpush.toml for the sandbox, rates lifted (it is local)."""
    (tmp_path / "rowpush.toml").write_text(lifted_config(sandbox), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def rowpush(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the `rowpush` console script in-process; returns exit code, stdout, stderr."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 0, captured.out, captured.err)

    return run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox_options(**kw): SandboxOptions for the sandbox")
