"""The façade the CLI and the TUI share: the resume policy (which results an apply writes,
and whether it continues an unfinished run), the plan as it streams, and the plan report
that `plan --json` prints, written row by row."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rowpush.config import Connection
from rowpush.engine import verbs
from rowpush.engine.journal import Journal
from rowpush.engine.plan_report import PlanJsonWriter, PlanSummary
from rowpush.engine.run_files import journal_path
from rowpush.errors import BadInput
from rowpush.model import Action, Change, RowError

TARGET = "halopsa.clients"


def _conn(name: str = "halo") -> Connection:
    return Connection(
        name,
        "halopsa",
        {"base_url": "https://halo.test", "client_id": "id", "client_secret": "s"},
    )


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    path.write_text("id,name\n,Northwind Traders\n,Contoso\n", encoding="utf-8")
    return path


def _unfinished_run(sheet: Path, results: Path, *, connection: str = "halo") -> None:
    """A journal as a run killed after its first send leaves it: one row still to go."""
    with Journal(journal_path(results)) as journal:
        journal.set_meta(
            input_file=str(sheet.resolve()),
            target=TARGET,
            connection=connection,
            results=str(results),
            started="2026-01-02T03:04:05+00:00",
            planned="1",
            sent="1",
        )
        journal.add_changes([Change(2, Action.CREATE, payload={"name": "Northwind Traders"})])


def test_a_new_apply_writes_fresh_results_beside_nothing_unfinished(
    sheet: Path, tmp_path: Path
) -> None:
    prep = verbs.prepare(sheet, target=TARGET)
    choice = verbs.choose_results(prep, _conn(), None, folder=tmp_path)
    assert (choice.resume, choice.continued) == (False, None)
    assert choice.path.parent == tmp_path
    assert choice.path.name.startswith("clients-results-")
    assert choice.path.suffix == ".xlsx"


def test_an_apply_continues_the_unfinished_run_of_the_same_sheet_and_connection(
    sheet: Path, tmp_path: Path
) -> None:
    results = tmp_path / "earlier.xlsx"
    _unfinished_run(sheet, results)
    prep = verbs.prepare(sheet, target=TARGET)
    choice = verbs.choose_results(prep, _conn(), None, folder=tmp_path)
    assert (choice.path, choice.resume) == (results, True)
    assert choice.continued is not None
    assert (choice.continued.left, choice.continued.started) == (1, "2026-01-02T03:04:05+00:00")


def test_a_run_on_another_connection_is_not_continued(sheet: Path, tmp_path: Path) -> None:
    _unfinished_run(sheet, tmp_path / "earlier.xlsx", connection="halo-prod")
    prep = verbs.prepare(sheet, target=TARGET)
    assert verbs.choose_results(prep, _conn(), None, folder=tmp_path).resume is False
    with pytest.raises(BadInput, match=r"There is no unfinished run of clients\.csv on 'halo'"):
        verbs.choose_results(prep, _conn(), None, resume=True, folder=tmp_path)


def test_given_results_with_a_journal_beside_them_continue_that_run(
    sheet: Path, tmp_path: Path
) -> None:
    results = tmp_path / "mine.xlsx"
    prep = verbs.prepare(sheet, target=TARGET)
    assert verbs.choose_results(prep, _conn(), results).resume is False
    _unfinished_run(sheet, results)
    assert verbs.choose_results(prep, _conn(), results).resume is True


def test_a_plan_streams_its_changes_and_counts_them(sheet: Path) -> None:
    def halo(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json={"record_count": 0, "clients": []})

    plan = verbs.plan_file(
        verbs.prepare(sheet, target=TARGET), _conn(), transport=httpx.MockTransport(halo)
    )

    async def rows() -> list[tuple[int, int]]:
        return [(c.row, plan.summary.total) async for c in plan.changes()]

    assert asyncio.run(rows()) == [(2, 1), (3, 2)]  # counted as each row streams out
    assert plan.summary.counts == {"create": 2, "update": 0, "unchanged": 0, "invalid": 0}
    assert (plan.target.name, plan.base_url) == (TARGET, "https://halo.test")


def test_the_plan_report_writes_each_row_before_the_next_is_planned() -> None:
    out = io.StringIO()
    report = PlanJsonWriter(out, TARGET)
    summary = PlanSummary()

    def planned() -> Iterator[Change]:
        yield Change(2, Action.UPDATE, key=12, fields={"Name": ("Old", "New")}, label="Acme")
        assert '"row": 2' in out.getvalue()  # already out: nothing waits for the end
        error = RowError(row=3, message="bad", column="B", header="Name")
        yield Change(3, Action.INVALID, errors=[error])
        yield Change(4, Action.UPDATE, key=12, lead=2)

    for change in planned():
        summary.add(change)
        report.row(change)
    report.close(summary)

    doc = json.loads(out.getvalue())
    assert list(doc) == ["target", "rows", "summary"]
    assert doc["target"] == TARGET
    assert doc["summary"] == {"create": 0, "update": 2, "unchanged": 0, "invalid": 1}
    first, second, third = doc["rows"]
    assert list(first) == ["row", "key", "status", "changes", "errors", "label"]
    assert first == {
        "row": 2,
        "key": 12,
        "status": "update",
        "changes": {"Name": ["Old", "New"]},
        "errors": [],
        "label": "Acme",
    }
    assert (second["status"], second["errors"][0]["column"]) == ("invalid", "B")
    assert third["same_record_as_row"] == 2


def test_an_empty_plan_report_is_still_one_json_object() -> None:
    out = io.StringIO()
    PlanJsonWriter(out, TARGET).close(PlanSummary())
    assert json.loads(out.getvalue()) == {
        "target": TARGET,
        "rows": [],
        "summary": {"create": 0, "update": 0, "unchanged": 0, "invalid": 0},
    }
