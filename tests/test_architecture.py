"""The package's import structure: no import circles, and imports only point down the layers.

The source of the rules is DESIGN.md ("Three layers, and imports only point down"): ``base``
imports nothing of the package; ``inputs`` imports only ``base`` and ``inputs``;
``estimation`` only ``base`` and ``estimation``; ``publication`` never ``run``; nothing
imports ``run.cli``. Every module is parsed with :mod:`ast` (nothing is imported), relative
imports are resolved, and imports inside functions count as much as those at module level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "shuangjian_eval"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# layer -> the layers it may import (the top-level ``shuangjian_eval`` module imports its
# layers lazily, through importlib, so an import of it, e.g. of ``__version__``, is no edge)
ALLOWED = {
    "base": {"base"},
    "inputs": {"base", "inputs"},
    "estimation": {"base", "estimation"},
    "publication": {"base", "inputs", "estimation", "publication"},
    "run": {"base", "inputs", "estimation", "publication", "run"},
}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """Modules of the package that ``path`` imports, anywhere in its code."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            # ``from . import x`` imports the submodule x when there is one
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in modules else stem
                       for a in node.names]  # fmt: skip
        else:
            continue
        for target in targets:
            # an import of a.b.c names the deepest module of the package it reaches
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports, for every ``.py`` file under ``root``."""
    paths = sorted(root.rglob("*.py"))
    modules = {_module_name(p, root) for p in paths}
    return {_module_name(p, root): _imports(p, modules, root) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (its modules, the first repeated at the end), or None.

    A package's ``__init__`` is skipped as an edge target when the importer lives inside that
    package: importing ``a.b.c`` runs ``a/b/__init__`` first anyway, so such an edge is not
    a circle of the importer's making."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported`` for every import against the layer rules."""
    bad = []
    for module, targets in sorted(graph.items()):
        layer = _layer(module)
        for target in sorted(targets):
            if target == f"{PACKAGE}.run.cli":
                bad.append(f"{module} -> {target} (nothing imports the command line)")
            elif layer in ALLOWED and target != PACKAGE and _layer(target) not in ALLOWED[layer]:
                bad.append(f"{module} -> {target} ({layer} may import {sorted(ALLOWED[layer])})")
    return bad


GRAPH = import_graph()


def test_the_graph_sees_the_layers_and_relative_imports():
    # known edges of the package, one of each import form: a relative ``from ..x import``,
    # a ``from . import`` of a submodule, an import inside a function
    assert f"{PACKAGE}.estimation.results" in GRAPH[f"{PACKAGE}.estimation.effects._fe"]
    assert {f"{PACKAGE}.base", f"{PACKAGE}.inputs", f"{PACKAGE}.estimation"} <= {
        f"{PACKAGE}.{_layer(m)}" for m in GRAPH if _layer(m)
    }
    assert f"{PACKAGE}.run.execution" in GRAPH[f"{PACKAGE}.run.pipeline"]


def test_find_cycle_and_layer_rules_can_fail():
    # made-up graphs: a circle through three modules, and an upward import
    p = PACKAGE
    circle = {f"{p}.a": {f"{p}.b"}, f"{p}.b": {f"{p}.c"}, f"{p}.c": {f"{p}.a"}}
    assert find_cycle(circle) == [f"{p}.a", f"{p}.b", f"{p}.c", f"{p}.a"]
    assert find_cycle({f"{p}.a": {f"{p}.b"}, f"{p}.b": set()}) is None
    upward = {f"{p}.inputs.x": {f"{p}.publication.y"}, f"{p}.base.o": {f"{p}.inputs.x"}}
    assert len(layer_violations(upward)) == 2


def test_function_level_imports_count(tmp_path):
    pkg = tmp_path / PACKAGE
    (pkg / "inputs").mkdir(parents=True)
    (pkg / "run").mkdir()
    for f in ("__init__.py", "inputs/__init__.py", "run/__init__.py", "run/pipeline.py"):
        (pkg / f).write_text("")
    (pkg / "inputs" / "x.py").write_text("def f():\n    from ..run import pipeline\n")
    graph = import_graph(pkg)
    assert graph[f"{PACKAGE}.inputs.x"] == {f"{PACKAGE}.run.pipeline"}
    assert layer_violations(graph)


def test_no_import_circles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down(layer):
    bad = [v for v in layer_violations(GRAPH) if _layer(v.split(" ")[0]) == layer]
    assert not bad, "\n".join(bad)


def test_base_imports_nothing_of_the_package():
    assert any(_layer(m) == "base" for m in GRAPH), "the base level exists"
    for module, targets in GRAPH.items():
        if _layer(module) == "base":
            assert {_layer(t) for t in targets} <= {"base"}, module
