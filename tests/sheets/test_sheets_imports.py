"""The sheets layer stays light to import and keeps to its layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rowpush.sheets

HEAVY = ("pandas", "openpyxl", "python_calamine")
ALLOWED_ROWPUSH = {"rowpush.model", "rowpush.errors"}


def test_importing_rowpush_sheets_loads_no_heavy_library() -> None:
    code = f"import sys, rowpush.sheets\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_sheets_imports_only_model_errors_and_itself() -> None:
    package = Path(rowpush.sheets.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("rowpush") and not name.startswith("rowpush.sheets"):
                    assert name in ALLOWED_ROWPUSH, f"{module.name} imports {name}"
                root = name.split(".")[0]
                assert (
                    root in {"rowpush", "__future__", *HEAVY} or root in sys.stdlib_module_names
                ), f"{module.name} imports {name}"
