"""The dependency direction of DESIGN.md never bends: imports point down only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rowpush"

# Which rowpush modules each layer may import (besides itself).
BOTTOM = {"rowpush", "rowpush.model", "rowpush.errors"}
ALLOWED: dict[str, set[str]] = {
    "model": {"rowpush"},
    "errors": {"rowpush"},
    "config": BOTTOM,
    "sheets": BOTTOM,
    "http": BOTTOM,
    "targets": BOTTOM | {"rowpush.config", "rowpush.http", "rowpush.sheets"},
    "engine": BOTTOM | {"rowpush.config", "rowpush.http", "rowpush.sheets", "rowpush.targets"},
    # the vendors' side: written from ../shared/apis/, never from our client code
    "sandbox": set(),
}


def _layer(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "rowpush" or name.startswith("rowpush.")}


def _allowed(layer: str, module: str) -> bool:
    own = f"rowpush.{layer}"
    if module == own or module.startswith(own + "."):
        return True
    return any(module == a or module.startswith(a + ".") for a in ALLOWED[layer] - {"rowpush"}) or (
        module == "rowpush" and "rowpush" in ALLOWED[layer]
    )


MODULES = [p for p in SRC.rglob("*.py") if _layer(p) in ALLOWED]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_point_down_only(path: Path) -> None:
    layer = _layer(path)
    wrong = sorted(m for m in _imports(path) if not _allowed(layer, m))
    assert not wrong, f"{path.relative_to(SRC)} ({layer}/) must not import {wrong}"


def test_layer_rules_cover_every_package() -> None:
    faces = {"cli", "demo", "tui", "__init__", "__main__"}
    layers = {_layer(p) for p in SRC.rglob("*.py")}
    assert layers - faces <= set(ALLOWED), f"no layer rule for {layers - faces - set(ALLOWED)}"


def test_cli_import_stays_light() -> None:
    """`rowpush --help` must start fast: the CLI module loads no UI or data library."""
    code = (
        "import sys, rowpush.cli\n"
        "heavy = [m for m in ('textual', 'pandas', 'openpyxl', 'python_calamine', 'httpx',"
        " 'starlette', 'uvicorn') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import rowpush.cli loaded {out}"
