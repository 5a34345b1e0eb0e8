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


PACKAGE = "rowpush.sheets"


def _module_name(path: Path) -> str:
    return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"


def sheets_imports(source: str, modules: set[str]) -> set[str]:
    """The modules of `modules` (rowpush.sheets and its submodules) that `source` imports.

    Every import counts, at module level or inside a function. `from rowpush.sheets
    import x` is an import of submodule x when there is one, else of the package.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x` or `from .x import y`
                base = ".".join(filter(None, [PACKAGE, base]))
            if base == PACKAGE:
                for alias in node.names:
                    sub = f"{PACKAGE}.{alias.name}"
                    found.add(sub if sub in modules else PACKAGE)
            elif base in modules:
                found.add(base)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for after in sorted(graph.get(node, ())):
            if cycle := visit(after):
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        if cycle := visit(node):
            return cycle
    return None


def test_the_cycle_check_sees_imports_inside_functions() -> None:
    modules = {PACKAGE, f"{PACKAGE}.a", f"{PACKAGE}.b"}
    a = "from rowpush.sheets.b import B\n"
    b = "def f() -> None:\n    from rowpush.sheets import a\n"
    graph = {f"{PACKAGE}.a": sheets_imports(a, modules), f"{PACKAGE}.b": sheets_imports(b, modules)}
    assert find_cycle(graph) == [f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.a"]
    # a name re-exported by the package is an import of the package itself
    assert sheets_imports("from rowpush.sheets import open_sheet\n", modules) == {PACKAGE}


def test_sheets_modules_import_each_other_without_a_cycle() -> None:
    package = Path(rowpush.sheets.__file__).parent
    paths = sorted(package.glob("*.py"))
    modules = {_module_name(p) for p in paths}
    graph = {_module_name(p): sheets_imports(p.read_text(encoding="utf-8"), modules) for p in paths}
    assert len(graph) >= 10  # every module was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in rowpush.sheets: " + " -> ".join(cycle or ())


def _imported_roots(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
    """The top-level package of each module that these import statements import."""
    roots: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_imports_inside_functions_only_defer_a_heavy_library() -> None:
    """Such an import loads a heavy library (openpyxl), and a comment says so."""
    package = Path(rowpush.sheets.__file__).parent
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in package.glob("*.py")}
    # the format modules, which import a heavy library when they are imported
    heavy = {p.stem for p, tree in trees.items() if _imported_roots(tree.body) & set(HEAVY)}
    assert "xlsx_writer" in heavy
    assert not {"csv_reader", "xlsx_reader"} & heavy  # both read with the standard library
    for path, tree in trees.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                where = f"{path.name}:{node.lineno}"
                if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
                    names = {a.name for a in node.names}
                    assert names <= heavy, f"{where} imports {names} inside a function"
                else:
                    roots = _imported_roots([node])
                    assert roots <= set(HEAVY), f"{where} imports {roots} inside a function"
                above = lines[node.lineno - 2].strip()
                assert above.startswith("# Deferred:"), f"{where}: no comment saying why"
