"""The command line follows the conventions people expect: usage names its values, shell
completion, --quiet, --json where a script reads the answer, a coloured plan only on a
terminal, and "an orange connection"."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer.main

from rowpush.cli import app, main
from rowpush.config import Connection, parse_config
from rowpush.console import print_change, use_colour
from rowpush.errors import ConfigError, a_or_an
from rowpush.model import Action, Change, RowError
from rowpush.sandbox.server import render_config
from rowpush.targets.orange import OrangeUsers

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.mark.parametrize("name", [*COMMANDS, "results rebuild"])
def test_usage_names_each_value_instead_of_its_type(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([*name.split(), "--help"], capsys)
    assert code == 0
    for typer_style in ("<str>", "<int", "<float", "<path>", "{", "}"):
        assert typer_style not in out, f"rowpush {name} --help shows {typer_style}"


def test_usage_shows_the_argument_as_a_metavar(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["plan", "--help"], capsys)
    assert "Usage: rowpush plan [OPTIONS] FILE" in out
    assert "-c, --connection NAME" in out
    _, out, _ = run(["apply", "--help"], capsys)
    assert "--concurrency N" in out


def test_results_help_is_not_cut_short(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["results", "--help"], capsys)
    assert "rebuild  Write a run's results workbook from its journal." in out
    assert "(e.g." not in out


def test_retry_help_names_the_file_retry_writes(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["retry", "--help"], capsys)
    text = " ".join(out.split()).replace("- ", "-")  # help wraps after a hyphen
    assert "RESULTS-retry-TIME.xlsx" in text
    assert "FILE-results-TIME.xlsx" not in text


def test_shell_completion_completes_commands(tmp_path: Path) -> None:
    exe = shutil.which("rowpush", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "_ROWPUSH_COMPLETE": "complete_bash", "COMP_WORDS": "rowpush pl"}
    env["COMP_CWORD"] = "1"
    done = subprocess.run([exe], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.split() == ["plan"]


def test_quiet_silences_warnings_but_not_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "c.csv"
    sheet.write_text("id,name,colour\n12,Acme,blue\n", encoding="utf-8")
    code, out, err = run(["validate", str(sheet), "-t", "halopsa.clients"], capsys)
    assert code == 0
    assert "warning:" in err
    code, out, err = run(["--quiet", "validate", str(sheet), "-t", "halopsa.clients"], capsys)
    assert (code, err) == (0, "")
    assert "1 row(s) valid" in out
    run(["targets"], capsys)  # the flag lasts one invocation


def test_validate_json_reports_each_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "c.csv"
    sheet.write_text("id,name,item_tax_code\n12,Acme,abc\n13,Bolt,2\n", encoding="utf-8")
    code, out, _ = run(["validate", str(sheet), "-t", "halopsa.clients", "--json"], capsys)
    assert code == 2
    report = json.loads(out)
    assert (report["rows"], report["bad_rows"], report["valid"]) == (2, 1, False)
    [error] = report["errors"]
    assert (error["row"], error["column"], error["header"]) == (2, "C", "item_tax_code")
    assert error["value"] == "abc"


def test_targets_json_lists_every_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["targets", "--json"], capsys)
    assert code == 0
    targets = {t["name"]: t for t in json.loads(out)}
    assert targets["halopsa.clients"]["api"] == "halopsa"
    assert targets["halopsa.clients"]["key"] == "id"
    assert targets["m3ter.measurements"]["key"] is None


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_plan_is_coloured_by_status_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_change(Change(2, Action.CREATE, None, {"name": (None, "A")}, label="A"), colour=True)
    print_change(Change(3, Action.UPDATE, 7, {"name": ("A", "B")}), colour=True)
    error = RowError("row 4: bad", row=4)
    print_change(Change(4, Action.INVALID, errors=[error]), colour=True)
    out = capsys.readouterr().out
    assert "\033[32m+ row 2      create" in out
    assert "\033[33m~ row 3      update" in out
    assert "\033[31m! row 4      invalid" in out
    print_change(Change(2, Action.CREATE, None, {"name": (None, "A")}), colour=False)
    assert "\033[" not in capsys.readouterr().out


def test_colour_is_off_with_no_color_or_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_colour(_Tty())
    assert not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(_Tty())


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("orange", "an orange"),
        ("halopsa", "a halopsa"),
        ("m3ter", "a m3ter"),
        ("usage-engine", "a usage-engine"),
        ("hyalto", "a hyalto"),
    ],
)
def test_articles_follow_the_sound(word: str, said: str) -> None:
    assert a_or_an(word) == said


def test_a_connection_of_another_api_says_an_orange_connection() -> None:
    config = parse_config(tomllib.loads(render_config("http://127.0.0.1:9")), source="s.toml")
    halo: Connection = config.connection("halopsa")
    with pytest.raises(ConfigError, match="this needs an orange connection"):
        OrangeUsers(halo)
