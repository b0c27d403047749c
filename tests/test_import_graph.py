"""The modules of `screening` import one another without a cycle, deferred or not.

The graph is read from the source with `ast`: every `import` anywhere in a module (at the top,
inside a function, under `TYPE_CHECKING`) is an edge, and so is every module named as text to
be imported later (the CLI's lazily loaded command groups, the export registry's renderers).
A cycle hidden by moving an import into a function is still a cycle here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from screening.cli import LAZY_COMMANDS
from screening.formats import EXPORT_FORMATS
from tests.conftest import REPOSITORY

PACKAGE = REPOSITORY / "screening"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPOSITORY).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _known(name: str) -> str | None:
    """The module `name` is, or the module it is an attribute of."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from screening.cli import shared` imports the module screening.cli.shared
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            target = _known(imported)
            if target is not None and target != name:
                graph[name].add(target)
    for where in LAZY_COMMANDS.values():
        graph["screening.cli.shell"].add(where.partition(":")[0])
    for export in EXPORT_FORMATS:
        graph["screening.formats"].add(export.renderer.partition(":")[0])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


class TestImportGraph:
    """No module of the core reaches itself through its imports."""

    def test_the_screening_package_has_no_import_cycle_deferred_or_not(self) -> None:
        assert cycles(import_graph()) == []

    def test_the_graph_sees_imports_inside_functions_and_named_as_text(self) -> None:
        """The check can fail: a deferred import and a lazily named module are edges."""
        graph = import_graph()
        assert "screening.pdf.signing" in graph["screening.cli.checklist_commands"]
        assert "screening.batch.cli" in graph["screening.cli.shell"]
        assert "screening.pdf.record" in graph["screening.formats"]

    def test_a_cycle_through_a_deferred_import_is_found(self) -> None:
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        assert cycles(graph) == [["a", "b", "c"]]

    def test_the_command_groups_take_their_helpers_from_the_shared_module(self) -> None:
        graph = import_graph()
        for group in ("screening.batch.cli", "screening.fhir.commands", "screening.cds.commands"):
            assert "screening.cli.shared" in graph[group]
            assert "screening.cli.shell" not in graph[group]
