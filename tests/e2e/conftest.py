"""End-to-end fixtures: the sandbox over real HTTP on 127.0.0.1, and the CLI entry point."""

from __future__ import annotations

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


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    marker = request.node.get_closest_marker("sandbox_options")
    options = SandboxOptions(**(marker.kwargs if marker else {}))
    with SandboxServer(options) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a rowpush.toml for the sandbox (fast rate: it is local)."""
    text = render_config(sandbox.url, sandbox.options)
    text = text.replace('api = "halopsa"', 'api = "halopsa"\nrate = "1000/s"')
    (tmp_path / "rowpush.toml").write_text(text, encoding="utf-8")
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
