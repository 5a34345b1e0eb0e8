"""The vendor's own Postman collection, imported, drives the sandbox exactly as the
built-in orange.users does: same requests, same end state, results, retry and resume."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.config import load_config
from rowpush.engine.callbacks import Callbacks
from rowpush.engine.verbs import apply_file, prepare
from rowpush.model import Outcome
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
COLLECTION = VENDOR / "orange-ccs.postman_collection.json"
ENVIRONMENT = VENDOR / "orange-ccs.postman_environment.json"
TARGET = "orange-ccs.create-user"
USERS = [
    {
        "civility": civility,
        "lastName": last,
        "firstName": first,
        "email": f"{first.lower()}.{last.lower()}@acme.example",
        "login": f"{first[0].lower()}{last.lower()}-pm",
        "fixPhone": "",
        "mobilePhone": f"+33 6 12 34 56 7{n}",
    }
    for n, (civility, first, last) in enumerate(
        [
            ("MRS", "Marie", "Durand"),
            ("MR", "Paul", "Martin"),
            ("MS", "Lea", "Bernard"),
            ("MR", "Hugo", "Petit"),
            ("MRS", "Chloe", "Robert"),
        ]
    )
]


def _orange(config: str, key: str) -> str:
    section = config.split("[connections.orange]")[1]
    return re.search(rf'^{key} = "(.*)"$', section, re.M).group(1)  # type: ignore[union-attr]


@pytest.fixture
def imported(workdir: Path, rowpush: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The collection imported, its connection pointed at the sandbox (secrets from the
    environment, as the import wrote them)."""
    result = rowpush("import", "postman", str(COLLECTION), "--environment", str(ENVIRONMENT))
    assert result.code == 0, result.err
    assert "orange-ccs.create-user" in result.out
    config = workdir / "rowpush.toml"
    text = config.read_text(encoding="utf-8")
    monkeypatch.setenv("ORANGE_CCS_CLIENT_SECRET", _orange(text, "client_secret"))
    monkeypatch.setenv("ORANGE_CCS_API_KEY", _orange(text, "api_key"))
    monkeypatch.setenv("ORANGE_CCS_CLIENT_ID", _orange(text, "client_id"))
    section = text.split("[connections.orange-ccs]")[1]
    edited = (
        section.replace("https://api.orange.com/cloud/b2b/v1", _orange(text, "base_url"))
        .replace("https://api.orange.com/oauth/v3", _orange(text, "oauth_url"))
        .replace('Contract-Id = ""', f'Contract-Id = "{_orange(text, "contract_id")}"')
    )
    config.write_text(text.replace(section, edited + 'rate = "1000/s"\n'), encoding="utf-8")
    return workdir


def _sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _results(path: Path) -> list[dict[str, Any]]:
    rows = list(load_workbook(path)["Results"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _users(server: SandboxServer, contract: str) -> list[dict[str, Any]]:
    return [dict(u) for u in server.state.orange.users[contract]]


@pytest.fixture
def builtin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(SandboxOptions()) as server:
        yield server


def test_the_imported_create_user_leaves_the_sandbox_as_orange_users_does(
    imported: Path,
    sandbox: SandboxServer,
    builtin_server: SandboxServer,
    rowpush: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sheet = _sheet(imported / "users.csv", USERS)
    contract = _orange((imported / "rowpush.toml").read_text(encoding="utf-8"), "contract_id")
    before = len(sandbox.state.requests.entries())
    result = rowpush(
        "apply", str(sheet), "-t", TARGET, "-c", "orange-ccs", "--yes", "--results", "r.xlsx"
    )
    assert result.code == 0, result.err
    assert [r["_status"] for r in _results(imported / "r.xlsx")] == ["created"] * 5
    writes = [
        r
        for r in sandbox.state.requests.entries()[before:]
        if r.method == "POST" and r.path.endswith("/user")
    ]
    assert len(writes) == 5
    assert all(f"/contracts/{contract}/user" in w.path for w in writes)
    assert not any("x-eccs-contract-id" in w.headers for w in writes)
    assert all(w.headers["x-api-key"] and w.headers["accept"] == "application/json" for w in writes)

    # the same sheet through the built-in target, on a second sandbox of the same seed
    other = imported / "builtin"
    other.mkdir()
    (other / "rowpush.toml").write_text(
        render_config(builtin_server.url, builtin_server.options).replace(
            'api = "orange"', 'api = "orange"\nrate = "1000/s"'
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(other)
    done = rowpush(
        "apply", str(sheet), "-t", "orange.users", "-c", "orange", "--yes", "--results", "b.xlsx"
    )
    assert done.code == 0, done.err
    # the same users, field for field (ids are given in arrival order, which concurrency sets)
    assert _by_login(sandbox, contract) == _by_login(builtin_server, contract)
    ids = {u["login"]: u["id"] for u in _users(sandbox, contract)}
    assert [r["_remote_id"] for r in _results(imported / "r.xlsx")] == [
        ids[u["login"]] for u in USERS
    ]


def _by_login(server: SandboxServer, contract: str) -> list[dict[str, Any]]:
    users = [{k: v for k, v in u.items() if k != "id"} for u in _users(server, contract)]
    return sorted(users, key=lambda u: str(u["login"]))


class _StopAfterFirst(Callbacks):
    def __init__(self) -> None:
        self.stop = asyncio.Event()

    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        self.stop.set()


def test_an_unfinished_apply_through_the_import_continues_without_resending(
    imported: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = _sheet(imported / "users.csv", USERS)
    contract = _orange((imported / "rowpush.toml").read_text(encoding="utf-8"), "contract_id")
    callbacks = _StopAfterFirst()
    first = asyncio.run(
        apply_file(
            prepare(sheet, target=TARGET),
            load_config().connection("orange-ccs"),
            results=imported / "r.xlsx",
            callbacks=callbacks,
            batch_size=1,
            concurrency=1,
            stop=callbacks.stop,
        )
    )
    assert first.counts["created"] >= 1
    assert (imported / "r.xlsx.journal").exists()
    again = rowpush("apply", str(sheet), "-t", TARGET, "-c", "orange-ccs", "--yes")
    assert again.code == 0, again.err
    assert "Continuing it" in again.err
    logins = [u["login"] for u in _users(sandbox, contract)]
    assert all(logins.count(u["login"]) == 1 for u in USERS)  # none created twice
    assert [r["_status"] for r in _results(imported / "r.xlsx")] == ["created"] * 5


def test_retry_through_the_import_sends_only_the_failed_row(
    imported: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    contract = _orange((imported / "rowpush.toml").read_text(encoding="utf-8"), "contract_id")
    taken = {"id": "USR-TAKEN", **USERS[4], "status": "ACTIVE"}
    sandbox.state.orange.users[contract].append(taken)  # someone has the fifth login
    rows = USERS
    sheet = _sheet(imported / "users.csv", rows)
    first = rowpush(
        "apply", str(sheet), "-t", TARGET, "-c", "orange-ccs", "--yes", "--results", "r.xlsx"
    )
    assert first.code == 1
    statuses = [r["_status"] for r in _results(imported / "r.xlsx")]
    assert statuses == ["created"] * 4 + ["failed"]
    assert "already used" in _results(imported / "r.xlsx")[4]["_message"]
    sandbox.state.orange.users[contract].remove(taken)  # someone frees the login
    retry = rowpush("retry", "r.xlsx", "-c", "orange-ccs", "--yes", "--results", "r2.xlsx")
    assert retry.code == 0, retry.err
    assert [(r["_row"], r["_status"]) for r in _results(imported / "r2.xlsx")] == [(6, "created")]
    logins = [u["login"] for u in _users(sandbox, contract)]
    assert all(logins.count(u["login"]) == 1 for u in rows)
