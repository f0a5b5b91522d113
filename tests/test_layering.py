"""The layering contract (DESIGN §3, issue 14): read from the source, every import counted, function-local ones too.

`core` imports downwards only, with no cycle, and never Streamlit, `ui` or the bench; pages hold
no SQL and no SQLAlchemy; no module grows past what a person can hold in their head.
"""

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
PAGES = ROOT / "app_pages"
MAX_MODULE_LINES = 500
# A statement, not prose: SQL keywords in capitals, in the order a statement has them.
SQL_STATEMENT = re.compile(r"\bSELECT\b.*?\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b", re.S)


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it was written, and whether it sits inside a function."""

    importer: str
    target: str
    line: int
    local: bool

    def __str__(self) -> str:
        where = "inside a function" if self.local else "at module level"
        return f"{self.importer} imports {self.target} (line {self.line}, {where})"


def module_name(path: Path, root: Path = ROOT) -> str:
    """`core/queues/sla.py` → `core.queues.sla`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(*folders: Path) -> list[Path]:
    """Every .py file under the folders, in a stable order."""
    return sorted(path for folder in folders for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def _function_lines(tree: ast.AST) -> set[int]:
    """Line numbers of import statements that sit inside a function body."""
    lines = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            lines |= {node.lineno for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)}
    return lines


def imports_of(path: Path, known: frozenset[str], root: Path = ROOT) -> list[Import]:
    """Every import in a file, function-local ones included, with `from package import module` resolved."""
    module = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    local_lines = _function_lines(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                source = _resolve_relative(module, path.name == "__init__.py", node.level, node.module)
            # `from core.queues import sla` imports the module core.queues.sla, not only the package.
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        else:
            continue
        found += [Import(module, target, node.lineno, node.lineno in local_lines) for target in dict.fromkeys(targets)]
    return found


@cache
def core_modules() -> frozenset[str]:
    """Every module and package under core/."""
    return frozenset(module_name(path) for path in python_files(CORE))


@cache
def core_imports() -> tuple[Import, ...]:
    """Every import written anywhere under core/."""
    return tuple(i for path in python_files(CORE) for i in imports_of(path, core_modules()))


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges.get(node, ()):
                cycles.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(cycles)


def core_graph() -> dict[str, set[str]]:
    """core module → the core modules it imports (anywhere in the file)."""
    graph: dict[str, set[str]] = {module: set() for module in core_modules()}
    for item in core_imports():
        if item.target in core_modules() and item.target != item.importer:
            graph[item.importer].add(item.target)
    return graph


def _top(target: str) -> str:
    return target.split(".", 1)[0]


# --- the checker itself -----------------------------------------------------------------------------


def test_a_loop_of_three_modules_is_one_cycle_and_a_chain_is_none():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_function_local_imports_and_from_package_import_module_are_both_edges(tmp_path):
    package = tmp_path / "core" / "queues"
    package.mkdir(parents=True)
    (package / "rollup.py").write_text("from . import calendar\n\n\ndef build():\n    from core.queues import sla\n")
    found = imports_of(package / "rollup.py", frozenset({"core.queues", "core.queues.sla", "core.queues.calendar"}),
                       root=tmp_path)
    assert [(i.importer, i.target, i.local) for i in found] == [
        ("core.queues.rollup", "core.queues.calendar", False), ("core.queues.rollup", "core.queues.sla", True)]


def test_the_graph_sees_core():
    graph = core_graph()
    assert len(graph) > 30 and "core.db" in graph["core.cli.data"]


def test_sql_in_a_string_is_told_apart_from_prose():
    assert SQL_STATEMENT.search("SELECT member_id FROM member")
    assert SQL_STATEMENT.search("DELETE FROM queueitem WHERE item_id = :id")
    assert not SQL_STATEMENT.search("Select a project from the list, then update the settings.")


# --- core --------------------------------------------------------------------------------------------


def test_core_has_no_import_cycle():
    cycles = import_cycles(core_graph())
    detail = [" ↔ ".join(cycle) + ": " + "; ".join(str(i) for i in core_imports()
                                                  if i.importer in cycle and i.target in cycle)
              for cycle in cycles]
    assert not cycles, "core modules import each other:\n" + "\n".join(detail)


def test_core_never_imports_core_inside_a_function():
    # A function-local import is for a heavy optional dependency (with a comment); one core module
    # is never that, so a local import of core is a cycle being dodged.
    found = [str(i) for i in core_imports() if i.local and _top(i.target) == "core"]
    assert not found, f"{len(found)} function-local imports of core modules:\n" + "\n".join(found)


def test_core_never_imports_streamlit_or_ui():
    found = [str(i) for i in core_imports() if _top(i.target) in {"streamlit", "ui"}]
    assert not found, "core must run without Streamlit (DESIGN §3):\n" + "\n".join(found)


def test_the_bench_lives_outside_core():
    inside = [str(path.relative_to(ROOT)) for path in [CORE / "bench.py", CORE / "bench"] if path.exists()]
    found = [str(i) for i in core_imports() if _top(i.target) == "bench"]
    assert not inside and not found, f"the bench belongs in bench/, not core: {inside + found}"


# --- pages -------------------------------------------------------------------------------------------


def page_sql_and_sqlalchemy(path: Path) -> list[str]:
    """What in a page file talks to the database directly: sqlalchemy imports and SQL statements in strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [str(i) for i in imports_of(path, frozenset()) if _top(i.target) == "sqlalchemy"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.search(node.value):
            found.append(f"{module_name(path)} line {node.lineno}: SQL {node.value.strip()[:60]!r}")
    return found


@pytest.mark.parametrize("path", python_files(PAGES), ids=lambda path: path.stem)
def test_a_page_holds_no_sql_and_no_sqlalchemy(path):
    found = page_sql_and_sqlalchemy(path)
    assert not found, "pages read through core, never the database (DESIGN §3):\n" + "\n".join(found)


# --- sizes -------------------------------------------------------------------------------------------


def test_no_module_is_longer_than_a_person_can_hold_in_their_head():
    folders = [CORE, ROOT / "ui", PAGES, ROOT / "bench"]
    long = {str(path.relative_to(ROOT)): lines for path in python_files(*folders)
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
