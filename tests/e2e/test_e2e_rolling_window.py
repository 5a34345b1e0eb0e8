"""HaloPSA's rolling window over real HTTP: the sandbox enforces a small window and
answers its 429s as real Halo does (plain text, no Retry-After); every row still lands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import APPLY_CSV, applied_ids, shifted_tax_codes

from rowpush.http.rate import Rate
from rowpush.sandbox.options import RateWindow
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.targets.halopsa import HaloPSA

WINDOW = RateWindow(5, 2.0)
"""The sandbox's window: 5 requests in any 2 seconds, like Halo's 300 in 5 minutes."""
ROWS = 12


@pytest.fixture
def window_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    return tmp_path


def configure(sandbox: SandboxServer, workdir: Path, rate: str) -> None:
    text = render_config(sandbox.url, sandbox.options)
    text = text.replace('api = "halopsa"', f'api = "halopsa"\nrate = "{rate}"')
    (workdir / "rowpush.toml").write_text(text, encoding="utf-8")


def statuses(sandbox: SandboxServer) -> Counter[int | None]:
    return Counter(r.status for r in sandbox.state.requests if r.api == "halopsa")


def arrivals(sandbox: SandboxServer) -> list[float]:
    return sorted(r.at for r in sandbox.state.requests if r.api == "halopsa" and r.status != 429)


def test_halo_defaults_to_its_rolling_window() -> None:
    rate = Rate.parse(HaloPSA.default_rate)
    assert rate == Rate(300, 300.0)
    assert rate.is_window


@pytest.mark.sandbox_options(rate_window=WINDOW, halo_clients=30)
def test_a_wrong_window_guess_meets_429s_without_retry_after_and_every_row_lands(
    window_dir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    # rowpush thinks the window holds 20: the sandbox refuses past 5 and says
    # neither how long to wait nor when; rowpush waits for the window each time
    configure(sandbox, window_dir, "20/2s")
    ids = shifted_tax_codes(sandbox, window_dir / "apply.csv", ROWS)
    result = rowpush(*APPLY_CSV, "--batch-size", "1", str(window_dir / "apply.csv"))
    assert result.code == 0, result.err
    assert applied_ids(sandbox) == ids  # each row once
    assert statuses(sandbox)[429] > 0  # the test met the window, not a lucky pace
    assert not sandbox.options.retry_after  # ...answered without Retry-After


@pytest.mark.sandbox_options(rate_window=WINDOW, halo_clients=12)
def test_an_export_larger_than_the_window_never_breaks_it(
    window_dir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    # one connection: a token, a list page, then a GET per client (the list carries
    # only a summary), 14 requests through a window of 5 per 2 s
    configure(sandbox, window_dir, "5/2s")
    out = window_dir / "clients.xlsx"
    result = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", str(out))
    assert result.code == 0, result.err
    assert "Exported 12 halopsa.clients records" in result.out
    assert statuses(sandbox)[429] == 0  # the limiter held the window the server counts
    times = arrivals(sandbox)
    assert len(times) > 2 * WINDOW.limit  # the job was larger than two windows
    assert times[WINDOW.limit - 1] - times[0] < 1.0  # the first window's worth at once
