"""HaloPSA's rolling window over real HTTP: the sandbox enforces a small window and
answers its 429s as real Halo does (plain text, no Retry-After); every row still lands."""

from __future__ import annotations

import asyncio
import re
import time
import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import APPLY_CSV, applied_ids, shifted_tax_codes

from rowpush.config import Connection, parse_config
from rowpush.engine.connect import connect
from rowpush.http.rate import Rate
from rowpush.http.transport import RetryEvent
from rowpush.sandbox.options import RateWindow
from rowpush.sandbox.server import SandboxServer, render_config
from rowpush.targets.halopsa import HaloClients, HaloPSA

pytestmark = pytest.mark.slow  # each test waits for a real rolling window to free up

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
    # not a terminal: each window pause is a line of its own, with its end and its API
    assert re.search(r"paused until \d\d:\d\d:\d\d \(HaloPSA rolling window\)", result.err)


@pytest.mark.sandbox_options(rate_window=WINDOW, halo_clients=30)
def test_an_apply_counts_its_plan_and_its_sends_in_one_window(
    window_dir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    # the plan's reads (a token, GETs by id) and the sends that follow go through one
    # limiter: together they never exceed the window, so the server refuses none
    configure(sandbox, window_dir, f"{WINDOW.limit}/{WINDOW.seconds:g}s")
    ids = shifted_tax_codes(sandbox, window_dir / "apply.csv", 6)
    result = rowpush(*APPLY_CSV, "--batch-size", "1", str(window_dir / "apply.csv"))
    assert result.code == 0, result.err
    assert applied_ids(sandbox) == ids
    assert statuses(sandbox)[429] == 0
    assert len(arrivals(sandbox)) > WINDOW.limit  # plan and sends together outgrow a window


@pytest.mark.sandbox_options(rate_window=RateWindow(3, 4.0), halo_clients=4)
def test_an_export_held_by_the_window_says_until_when(
    window_dir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    # a token, a list page and a GET per client: 6 requests through 3 per 4 s; rowpush
    # holds the 4th for the window and says so (stderr is not a terminal here)
    configure(sandbox, window_dir, "3/4s")
    result = rowpush("export", "halopsa.clients", "-c", "halopsa", "-o", "clients.xlsx")
    assert result.code == 0, result.err
    assert statuses(sandbox)[429] == 0
    notices = re.findall(
        r"^waiting until \d\d:\d\d:\d\d \(HaloPSA rolling window is full\)$", result.err, re.M
    )
    assert len(notices) == 1


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


@pytest.mark.sandbox_options(rate_window=WINDOW, halo_clients=5)
def test_a_window_pause_is_announced_with_its_end_and_the_api(sandbox: SandboxServer) -> None:
    config = parse_config(tomllib.loads(render_config(sandbox.url)), source="test")
    base = config.connection("halopsa")
    conn = Connection(base.name, base.api, {**base.settings, "rate": "20/2s"}, "test")
    events: list[RetryEvent] = []
    announced: list[float] = []

    def on_event(event: RetryEvent) -> None:
        events.append(event)
        announced.append(time.time())

    async def run() -> list[int]:
        async with connect(HaloClients(conn), conn, on_event=on_event) as client:
            answers = [
                client.get(f"/api/Client/{i}") for i in sorted(sandbox.state.halopsa.clients)
            ]
            return [r.status_code for r in await asyncio.gather(*answers)]

    assert asyncio.run(run()) == [200] * 5  # a token and 5 GETs through 5 per 2 s
    assert events
    for event, at in zip(events, announced, strict=True):
        assert (event.kind, event.status) == ("throttled", 429)
        assert event.reason == "HaloPSA rolling window"
        assert event.until is not None
        ends = datetime.fromtimestamp(at + event.wait, UTC)
        assert abs((event.until - ends).total_seconds()) < 0.1
        assert 0 < event.wait <= WINDOW.seconds
