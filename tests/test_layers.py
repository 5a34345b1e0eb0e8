"""The dependency direction of DESIGN.md never bends: imports point down only, and the
modules of one package never import each other in a circle.

Every import counts: at the top of a module, under TYPE_CHECKING, or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rowpush"

# Which rowpush modules each layer may import (besides itself).
BOTTOM = {"rowpush", "rowpush.model", "rowpush.errors"}
BELOW_ENGINE = BOTTOM | {"rowpush.config", "rowpush.http", "rowpush.sheets", "rowpush.targets"}
ENGINE_AND_BELOW = BELOW_ENGINE | {"rowpush.engine"}
ALLOWED: dict[str, set[str]] = {
    "model": {"rowpush"},
    "errors": {"rowpush"},
    "config": BOTTOM,
    "sheets": BOTTOM,
    "http": BOTTOM,
    "targets": BOTTOM | {"rowpush.config", "rowpush.http", "rowpush.sheets"},
    "engine": BELOW_ENGINE,
    # the vendors' side: written from ../shared/apis/, never from our client code
    "sandbox": set(),
    # the faces: each stands on the engine; only the CLI (and its entry point) sees the others
    "tui": ENGINE_AND_BELOW,
    "progress": ENGINE_AND_BELOW,
    "console": ENGINE_AND_BELOW | {"rowpush.progress"},
    "demo": ENGINE_AND_BELOW | {"rowpush.sandbox"},
    # makes declarative target files from a Postman collection or an OpenAPI document
    "importers": BOTTOM | {"rowpush.targets"},
    "import_cli": ENGINE_AND_BELOW
    | {"rowpush.importers", "rowpush.console", "rowpush.cli_options"},
    "cli": ENGINE_AND_BELOW
    | {
        "rowpush.import_cli",
        "rowpush.tui",
        "rowpush.progress",
        "rowpush.console",
        "rowpush.demo",
        "rowpush.sandbox",
        "rowpush.cli_options",
        "rowpush.cli_audit",
        "rowpush.cli_plans",
        "rowpush.cli_sandbox",
    },
    # `rowpush sandbox`: serves the emulated APIs
    "cli_sandbox": ENGINE_AND_BELOW | {"rowpush.cli_options", "rowpush.console", "rowpush.sandbox"},
    # the command line's shared options: typer only
    "cli_options": set(),
    # verify and revert: commands of the CLI's app, kept apart so cli.py stays small
    "cli_audit": ENGINE_AND_BELOW
    | {"rowpush.cli", "rowpush.cli_options", "rowpush.progress", "rowpush.console"},
    # saved plans: `plan --out` and what `apply` reads, kept apart so cli.py stays small
    "cli_plans": ENGINE_AND_BELOW | {"rowpush.cli_options", "rowpush.progress", "rowpush.console"},
    # remakes the files made from the code (templates/, the README's settings reference)
    "generated": ENGINE_AND_BELOW,
    "__main__": {"rowpush.cli"},
    "__init__": set(),
}
FACES = {
    "import_cli",
    "cli",
    "cli_audit",
    "cli_options",
    "cli_plans",
    "cli_sandbox",
    "tui",
    "demo",
    "progress",
    "console",
    "generated",
    "__main__",
}
# Packages whose modules must not import each other in a circle.
PACKAGES = ["engine", "sheets", "targets", "http", "tui", "importers"]
# Libraries a module may import inside a function (with a comment saying so): heavy ones,
# to keep `rowpush --help` fast, and optional ones (keyring); nothing else is imported there.
HEAVY = {"textual", "pandas", "openpyxl", "python_calamine", "rich", "httpx", "keyring", "yaml"}
NO_INNER_IMPORTS = [
    "importers",
    "import_cli",
    "cli_options",
    "cli_sandbox",
    "engine",
    "targets",
    "config",
    "http",
    "tui",
    "cli",
    "cli_audit",
    "cli_plans",
    "demo",
    "progress",
    "console",
    "generated",
]


def _layer(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("rowpush", *parts))


ALL_MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _resolve(name: str) -> str:
    """The module an imported name lives in: `rowpush.engine.run.ApplyRun` → `…engine.run`."""
    while name not in ALL_MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imported(path: Path) -> Iterator[str]:
    name = _module_name(path)
    return _imported_by(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")


def _imported_by(text: str, here: str, is_package: bool) -> Iterator[str]:
    """Every module the source `text` of module `here` imports, wherever the import stands;
    `from pkg import module` counts as importing that module; relative imports resolved."""
    package = here if is_package else here.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in ALL_MODULES else base


def _imports(path: Path) -> set[str]:
    return {n for n in _imported(path) if n == "rowpush" or n.startswith("rowpush.")}


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
    layers = {_layer(p) for p in SRC.rglob("*.py")}
    assert layers <= set(ALLOWED), f"no layer rule for {layers - set(ALLOWED)}"


def test_nothing_below_the_faces_imports_a_face() -> None:
    faces = {f"rowpush.{f}" for f in FACES}
    wrong = {
        str(p.relative_to(SRC)): sorted(m for m in _imports(p) if _resolve(m) in faces)
        for p in MODULES
        if _layer(p) not in FACES
    }
    assert not {k: v for k, v in wrong.items() if v}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph` (module → modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _package_graph(package: str) -> dict[str, set[str]]:
    prefix = f"rowpush.{package}"
    graph: dict[str, set[str]] = {}
    for name, path in ALL_MODULES.items():
        if name == prefix or name.startswith(prefix + "."):
            inside = {_resolve(m) for m in _imports(path)}
            graph[name] = {
                m for m in inside if (m == prefix or m.startswith(prefix + ".")) and m != name
            }
    return graph


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_package(package: str) -> None:
    cycle = _cycle(_package_graph(package))
    assert cycle is None, f"{package}/ imports in a circle: {' → '.join(cycle or [])}"


def test_the_cycle_check_sees_an_import_inside_a_function() -> None:
    """The check itself: a cycle hidden behind an in-function `from pkg import module`."""
    sources = {
        "rowpush.engine.journal": "def f() -> None:\n    from rowpush.engine import verbs\n",
        "rowpush.engine.verbs": "from rowpush.engine.journal import Journal\n",
    }
    graph = {name: set(_imported_by(text, name, False)) for name, text in sources.items()}
    assert graph == {
        "rowpush.engine.journal": {"rowpush.engine.verbs"},
        "rowpush.engine.verbs": {"rowpush.engine.journal"},
    }
    assert _cycle(graph) == [
        "rowpush.engine.journal",
        "rowpush.engine.verbs",
        "rowpush.engine.journal",
    ]


def _inner_imports(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line, module, commented) for every import inside a function: `commented` when a
    comment stands on the line before the first import of its block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for block in ast.walk(func):
            body = getattr(block, "body", None)
            if not isinstance(body, list):
                continue
            commented = False
            for i, stmt in enumerate(body):
                if not isinstance(stmt, ast.Import | ast.ImportFrom):
                    continue
                if i == 0 or not isinstance(body[i - 1], ast.Import | ast.ImportFrom):
                    above = lines[stmt.lineno - 2].strip() if stmt.lineno > 1 else ""
                    commented = above.startswith("#") or "#" in lines[stmt.lineno - 1]
                names = (
                    [a.name for a in stmt.names]
                    if isinstance(stmt, ast.Import)
                    else [stmt.module or ""]
                )
                for name in names:
                    yield stmt.lineno, name, commented


FACE_AND_ENGINE = [p for p in SRC.rglob("*.py") if _layer(p) in NO_INNER_IMPORTS]


@pytest.mark.parametrize("path", FACE_AND_ENGINE, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_inside_functions_only_defer_a_heavy_library(path: Path) -> None:
    wrong = [
        f"line {line}: {name}" + ("" if commented else " (no comment saying why)")
        for line, name, commented in _inner_imports(path)
        if name.split(".")[0] not in HEAVY or not commented
    ]
    assert not wrong, f"{path.relative_to(SRC)} imports inside a function: {wrong}"


def test_cli_import_stays_light() -> None:
    """`rowpush --help` must start fast: the CLI module loads no UI or data library."""
    code = (
        "import sys, rowpush.cli\n"
        "heavy = [m for m in ('textual', 'pandas', 'openpyxl', 'python_calamine', 'httpx',"
        " 'starlette', 'uvicorn', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import rowpush.cli loaded {out}"
