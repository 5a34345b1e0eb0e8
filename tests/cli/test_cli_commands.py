"""Every command has help text and a README entry; the console script runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer.main

from rowpush.cli import app
from rowpush.http.transport import RetryEvent
from rowpush.progress import WindowNotices

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_a_readme_entry(name: str) -> None:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help, f"rowpush {name} has no help text"
    assert f"### {name}" in README, f"README has no '### {name}' section"
    assert f"rowpush {name}" in README


def test_the_console_script_lists_the_targets() -> None:
    exe = shutil.which("rowpush", path=str(Path(sys.executable).parent))
    assert exe, "the rowpush console script is not installed next to this python"
    out = subprocess.run([exe, "targets"], capture_output=True, text=True, check=True).stdout
    assert "halopsa.clients" in out
    assert "halopsa" in out.split("halopsa.clients", 1)[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from rowpush import __version__
    from rowpush.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"rowpush {__version__}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuchverb"], "No such command 'nosuchverb'"),
        (["plan"], "Missing argument 'FILE'"),
        (["apply", "x.csv", "-c", "h", "--concurrency", "0"], "Invalid value for '--concurrency'"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from rowpush.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert says in err
    assert "Traceback" not in err


def test_validate_shows_the_first_errors_and_counts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rowpush.cli import MAX_ERRORS_SHOWN, main

    sheet = tmp_path / "many.csv"
    rows = [f"{i},x" for i in range(1, MAX_ERRORS_SHOWN + 6)]
    sheet.write_text("id,item_tax_code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(sheet), "-t", "halopsa.clients"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{MAX_ERRORS_SHOWN + 5} error(s) in {MAX_ERRORS_SHOWN + 5} of" in err
    assert "… and 5 more; fix these first" in err
    assert err.count("expected a whole number") == MAX_ERRORS_SHOWN


def test_a_wait_for_a_full_window_is_told_once_per_wait(capsys: pytest.CaptureFixture[str]) -> None:
    notices = WindowNotices()
    ends = datetime(2026, 12, 6, 14, 5, 12, tzinfo=UTC).astimezone()
    for microsecond in (1, 2, 3):  # three requests in flight meet the same wait
        until = ends.replace(microsecond=microsecond)
        notices(
            RetryEvent(
                "throttled", 1, 300.0, 429, None, "GET", "/x", until, "HaloPSA rolling window"
            )
        )
    notices(RetryEvent("retry", 1, 1.0, 503, None, "GET", "/x"))  # a short wait: no line
    later = ends.replace(minute=10)
    notices(RetryEvent("held", 0, 60.0, None, None, "GET", "/x", later, "HaloPSA rolling window"))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"paused until {ends:%H:%M:%S} (HaloPSA rolling window)",
        f"waiting until {later:%H:%M:%S} (HaloPSA rolling window is full)",
    ]
