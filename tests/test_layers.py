"""The import graph between sweeper's parts: no cycle, and the bottom stays at the bottom.

A part is a subpackage (sweeper.sweep, sweeper.train, ...) or a top-level module (sweeper.spec,
sweeper.urls, ...). Imports inside functions count too: a lazy import is still a dependency.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sweeper"


def part_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and (PACKAGE / parts[1]).is_dir():
        return f"sweeper.{parts[1]}"
    return ".".join(parts[:2])


def imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        if node.module == "sweeper":
            return [f"sweeper.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        source = part_of(module.removesuffix(".__init__"))
        if source == "sweeper":
            continue  # the package's lazy re-exports (sweeper.Study) are for study files
        for node in ast.walk(ast.parse(path.read_text())):
            for name in imported(node):
                if name.startswith("sweeper.") and part_of(name) != source:
                    edges[source].add(part_of(name))
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_no_cycle_between_parts():
    assert cycle(graph()) is None, " -> ".join(cycle(graph()))


def test_the_cycle_check_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_bottom_imports_nothing_above_it():
    edges = graph()
    # Errors, names, storage URLs and outcomes are what everything else uses: they use only errors.
    for bottom in (
        "sweeper.errors",
        "sweeper.names",
        "sweeper.urls",
        "sweeper.strategies",
        "sweeper.outcomes",
    ):
        assert edges.get(bottom, set()) <= {"sweeper.errors"}, (bottom, edges.get(bottom))
    # A study file is checked from names and the trainer's config alone: not the orchestrator,
    # the store or the read side.
    assert not edges["sweeper.spec"] & {
        "sweeper.sweep",
        "sweeper.store",
        "sweeper.report",
        "sweeper.dashboard",
    }
    # The trainer stands alone (its one import is the errors module).
    assert edges.get("sweeper.train", set()) <= {"sweeper.errors"}
