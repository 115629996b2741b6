"""The package layout the README promises: the lesson library stands alone, and imports never go in a circle.

Read from the source with :mod:`ast` (every import, including those inside functions), so a lazy import
cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import paths

#: Packages by audience: what builds the bundle and what instructors run. Lessons must not need them.
TOOLS = ("helpers.bundle", "helpers.instructor")


def import_graph(root: Path = paths.PACKAGE) -> dict[str, set[str]]:
    """Module name -> the modules of the ``helpers`` tree it imports (``from pkg import mod`` names the module)."""
    files = {}
    for file in root.rglob("*.py"):
        parts = list(file.relative_to(root.parent).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    graph = {}
    for name, file in files.items():
        targets = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in files}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in files:
                targets |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module for a in node.names
                }
        graph[name] = targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle a depth-first walk meets, each as the modules along it (first repeated last)."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_the_graph_sees_lazy_imports() -> None:
    graph = import_graph()
    assert "helpers.synthetic_food" in graph["helpers.observe"]  # imported inside a function
    assert "helpers.bundle.site" in graph["helpers.bundle.run"]


def test_lesson_library_imports_no_build_or_instructor_tool() -> None:
    lesson_modules = {name: targets for name, targets in import_graph().items() if not name.startswith(TOOLS)}
    leaks = {name: sorted(t for t in targets if t.startswith(TOOLS)) for name, targets in lesson_modules.items()}
    assert not {name: found for name, found in leaks.items() if found}


def test_no_import_circle() -> None:
    assert cycles(import_graph()) == []


def test_cycles_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
