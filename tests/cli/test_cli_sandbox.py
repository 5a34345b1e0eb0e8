"""`rowpush sandbox` as a user runs it: prints a ready rowpush.toml, serves, stops on Ctrl+C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx


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
