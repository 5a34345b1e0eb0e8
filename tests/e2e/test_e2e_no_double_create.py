"""Applying the same sheet twice never creates its new records twice."""

from __future__ import annotations

from pathlib import Path

from rowpush.sandbox.server import SandboxServer


def test_a_sheet_applied_again_refuses_its_blank_id_rows_that_now_exist(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sheet = workdir / "new.csv"
    sheet.write_text("id,name\n,Quillfeather Labs\n,Marrow & Pike Ltd\n", encoding="utf-8")
    apply = ("apply", str(sheet), "-t", "halopsa.clients", "-c", "halopsa", "--yes")
    first = rowpush(*apply, "--results", "r1.xlsx")
    assert first.code == 0, first.err
    created = {
        c["id"]: c["name"]
        for c in sandbox.state.halopsa.clients.values()
        if c["name"] in ("Quillfeather Labs", "Marrow & Pike Ltd")
    }
    assert len(created) == 2

    again = rowpush(*apply, "--results", "r2.xlsx")
    assert again.code == 2
    quill = next(i for i, n in created.items() if n == "Quillfeather Labs")
    assert f"Quillfeather Labs  name already exists (id {quill})" in again.err
    names = [c["name"] for c in sandbox.state.halopsa.clients.values()]
    assert names.count("Quillfeather Labs") == 1
    assert names.count("Marrow & Pike Ltd") == 1


def test_a_site_name_another_client_has_is_still_a_new_site(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    sites = sandbox.state.halopsa.sites.values()
    taken = next(s for s in sites if s["client_id"] is not None)
    named = {s["client_id"] for s in sites if s["name"] == taken["name"]}
    other = next(c for c in sandbox.state.halopsa.clients if c not in named)
    sheet = workdir / "sites.csv"
    sheet.write_text(
        f"id,name,client_id\n,{taken['name']},{other}\n,{taken['name']},{taken['client_id']}\n",
        encoding="utf-8",
    )
    planned = rowpush("plan", str(sheet), "-t", "halopsa.sites", "-c", "halopsa", "--json")
    assert planned.code == 2  # the second row names the site its client already has
    import json

    rows = {r["row"]: r for r in json.loads(planned.out)["rows"]}
    assert rows[2]["status"] == "create"
    assert rows[3]["status"] == "invalid"
    error = rows[3]["errors"][0]
    assert "already exists" in error["message"]
    assert error["column"] == "B"
    assert error["expected"].endswith("in column A (id) to update that record, or another name")


def test_new_sites_applied_twice_are_created_once_when_halo_answers_ids_as_doubles(
    workdir: Path, sandbox: SandboxServer, rowpush
) -> None:  # type: ignore[no-untyped-def]
    """The sandbox answers Site.client_id as 12.0, as Halo's schema and real answers do."""
    client = next(iter(sandbox.state.halopsa.clients))
    sheet = workdir / "sites.csv"
    sheet.write_text(
        f"id,name,client_id\n,Harbour Depot,{client}\n,Canal Yard,{client}\n", encoding="utf-8"
    )
    apply = ("apply", str(sheet), "-t", "halopsa.sites", "-c", "halopsa", "--yes")
    first = rowpush(*apply, "--results", "r1.xlsx")
    assert first.code == 0, first.err
    again = rowpush(*apply, "--results", "r2.xlsx")
    assert again.code == 2  # both rows now name sites their client has: refused
    assert "name already exists" in again.err
    assert f"{client}.0" not in again.err  # ids shown whole
    names = [s["name"] for s in sandbox.state.halopsa.sites.values() if s["client_id"] == client]
    assert names.count("Harbour Depot") == 1
    assert names.count("Canal Yard") == 1
