"""templates/ is generated from the Row models; samples/ show the edge cases they are named for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rowpush.cli import main
from rowpush.targets.registry import all_targets

ROOT = Path(__file__).resolve().parents[1]


def _signature(path: Path) -> dict[str, Any]:
    """What a person sees in a template, without the zip's timestamps."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    return {
        "sheets": [(s.title, s.sheet_state) for s in wb.worksheets],
        "headers": [c.value for c in ws[1]],
        "bold": [bool(c.font.b) for c in ws[1]],
        "notes": [c.comment.text if c.comment else None for c in ws[1]],
        "freeze": ws.freeze_panes,
        "dropdowns": sorted((str(v.sqref), v.formula1) for v in ws.data_validations.dataValidation),
        "meta": [tuple(r) for r in wb["_rowpush"].iter_rows(values_only=True)],
    }


@pytest.mark.parametrize("name", list(all_targets()))
def test_committed_template_is_up_to_date(name: str, tmp_path: Path) -> None:
    committed = ROOT / "templates" / f"{name}.xlsx"
    assert committed.exists(), f"templates/{name}.xlsx is missing: run  python3 tasks.py templates"
    fresh = tmp_path / f"{name}.xlsx"
    with pytest.raises(SystemExit) as done:
        main(["template", name, "-o", str(fresh)])
    assert done.value.code == 0
    assert _signature(committed) == _signature(fresh), (
        f"templates/{name}.xlsx is out of date: run  python3 tasks.py templates"
    )


def test_template_shows_notes_dropdowns_and_records_its_target() -> None:
    sig = _signature(ROOT / "templates" / "halopsa.clients.xlsx")
    assert sig["headers"][:3] == ["id", "name", "toplevel_id"]
    assert all(sig["bold"])
    assert sig["freeze"] == "A2"
    notes = dict(zip(sig["headers"], sig["notes"], strict=True))
    assert "Leave blank to create a new client" in notes["id"]
    assert "Tax code id for items" in notes["item_tax_code"]
    assert any('"TRUE,FALSE"' in formula for _, formula in sig["dropdowns"])
    assert ("target", "halopsa.clients") in sig["meta"]
    assert ("_rowpush", "hidden") in sig["sheets"]


@pytest.mark.parametrize(
    ("sample", "code", "says"),
    [
        ("halopsa_clients_reduced_rate.csv", 0, "21 row(s) valid"),
        ("halopsa_clients_semicolon_cp1252.csv", 0, "2 row(s) valid"),
        ("halopsa_clients_unknown_column.csv", 0, "column C ('colour') is not a column"),
        ("halopsa_clients_duplicate_keys.csv", 2, "id 12 appears again (first on row 2)"),
        ("halopsa_clients_bad_values.csv", 2, "4 error(s) in 4 of 4 row(s)"),
        ("halopsa_clients_missing_id_column.csv", 2, "Did you mean 'client_id'?"),
    ],
)
def test_samples_validate_as_their_names_say(
    sample: str, code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["validate", str(ROOT / "samples" / sample), "-t", "halopsa.clients"])
    captured = capsys.readouterr()
    assert done.value.code == code
    assert says in captured.out + captured.err
