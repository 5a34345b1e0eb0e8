"""`rowpush sandbox` as a user runs it: prints a ready rowpush.toml, serves, stops on Ctrl+C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

import rowpush.sandbox.server
from rowpush.cli import main
from rowpush.sandbox.options import SandboxOptions


@pytest.mark.slow
def test_sandbox_serves_until_interrupted_and_writes_its_config(tmp_path: Path) -> None:
    config = tmp_path / "rowpush.toml"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rowpush",
            "sandbox",
            "--port",
            "0",
            "--config-out",
            str(config),
            "--rate-limit",
            "halo-700",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not config.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert config.exists(), "the sandbox did not write its rowpush.toml"
        time.sleep(0.3)
        conn = tomllib.loads(config.read_text(encoding="utf-8"))["connections"]["halopsa"]
        assert conn["api"] == "halopsa"
        base = conn["base_url"]
        info = httpx.get(f"{base}/api/authinfo", timeout=5)
        assert info.status_code == 200
        token = httpx.post(
            f"{base}/auth/token",
            data={"grant_type": "client_credentials", "scope": "all"},
            auth=(conn["client_id"], conn["client_secret"]),
            timeout=5,
        )
        assert token.status_code == 200
        assert token.json()["token_type"] == "Bearer"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "[connections.halopsa]" in out
    assert "Traceback" not in err


def test_sandbox_refuses_a_bad_rate_limit(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rowpush", "sandbox", "--rate-limit", "fast"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--rate-limit 'fast' is not understood" in done.stderr
    assert "halo-700" in done.stderr


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[SandboxOptions]:
    """The options each `rowpush sandbox` run in the test would have served with."""
    found: list[SandboxOptions] = []

    def serve(host: str, port: int, options: SandboxOptions, **_: object) -> None:
        found.append(options)

    monkeypatch.setattr(rowpush.sandbox.server, "serve", serve)
    return found


def test_sandbox_fault_flags_reach_the_sandbox_options(served: list[SandboxOptions]) -> None:
    flags = ["--fail-rate", "0.2", "--429-rate", "0.1", "--timeout-rate", "0.05"]
    flags += ["--drop-rate", "0.02", "--hang-seconds", "2", "--token-ttl", "30"]
    for argv in (["sandbox"], ["sandbox", *flags]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    default, chosen = served
    assert (default.throttle_rate, default.timeout_rate, default.drop_rate) == (0.0, 0.0, 0.0)
    assert (default.hang_seconds, default.token_ttl) == (30.0, None)
    rates = (chosen.fail_rate, chosen.throttle_rate, chosen.timeout_rate, chosen.drop_rate)
    assert rates == (0.2, 0.1, 0.05, 0.02)
    assert (chosen.hang_seconds, chosen.token_ttl) == (2.0, 30)


def test_sandbox_refuses_fault_rates_adding_up_past_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--fail-rate", "0.8", "--drop-rate", "0.5"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "add up to 1.3; they must add up to 1 at most" in err
    assert "--drop-rate" in err


def test_sandbox_rate_limit_vendor_turns_on_each_apis_own_limit(
    served: list[SandboxOptions],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--rate-limit", "vendor"])
    assert done.value.code == 0
    (options,) = served
    assert options.vendor_limits
    assert options.rate_window is None
    assert options.rate_limit is None
    assert (options.halo_rate_window.limit, options.halo_rate_window.seconds) == (300, 300.0)


def test_the_retry_after_flag_reaches_the_sandbox_options(served: list[SandboxOptions]) -> None:
    for argv in (["sandbox"], ["sandbox", "--retry-after"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    assert [options.retry_after for options in served] == [False, True]
