"""docs/vendor-contracts.md: every vendor fact rowpush relies on names its source, how sure
we are (documented / observed / assumed), and tests that exist and pin it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "docs" / "vendor-contracts.md"
APIS = ["HaloPSA", "m3ter", "Orange Cloud Customer Space", "Usage Engine", "Hyalto"]


def _section(api: str) -> str:
    text = NOTES.read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(api)}.*?(?=^## |\Z)", text, re.S | re.M)
    assert found, f"docs/vendor-contracts.md has no section for {api}"
    return found.group(0)


def _rows(section: str) -> list[list[str]]:
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]


def _named_tests(cell: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(test file, test name) for each `path::test` in a cell; `…::test` reuses the last
    file, and a section may name files by a short alias ("`wire` is `targets/x.py`")."""
    found: list[tuple[str, str]] = []
    last = ""
    for ref in re.findall(r"`([^`]+::[^`]+)`", cell):
        path, _, test = ref.partition("::")
        path = aliases.get(path, path)
        last = last if path in ("…", "") else path
        found.append((last, re.split(r"[\[ (]", test)[0]))
    return found


@pytest.mark.parametrize("api", APIS)
def test_every_fact_names_a_source_a_status_and_a_test_that_exists(api: str) -> None:
    section = _section(api)
    aliases = dict(re.findall(r"`(\w+)`\s+is\s+`([\w/]+\.py)`", section))
    rows = _rows(section)
    assert len(rows) >= 5, f"{api}: too few facts listed"
    for row in rows:
        assert len(row) == 4, row
        fact, source, status, tests = row
        assert fact, row
        assert source, row
        assert re.search(r"documented|observed|assumed", status), row
        named = _named_tests(tests, aliases)
        assert named, f"{api}: no test pins {fact[:60]!r}"
        for file, test in named:
            path = ROOT / "tests" / file
            assert path.is_file(), f"{api}: {file} does not exist"
            assert f"def {test}(" in path.read_text(encoding="utf-8"), f"{api}: {file}::{test}"
