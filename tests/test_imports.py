"""No import cycles in ``sim``, counting imports inside functions too.

The import graph is built from the source with ``ast``: every ``import sim.x`` and
``from sim.x import y`` anywhere in a module (at the top, inside a function, inside a
``try``) is an edge from that module to the module it names (``from sim.a import b``
names ``sim.a.b`` when that is a module, else ``sim.a``). Imports under
``if TYPE_CHECKING:`` never run, so they are not edges; nor is the implicit import of
a parent package that Python makes before a submodule (``sim.report`` before
``sim.report.figures``), which every package has and which cannot form a cycle of
its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_files(root: Path, package: str = "sim") -> dict[str, Path]:
    """Every module of ``package`` under ``root``, by dotted name (packages by their
    own name, from their ``__init__.py``)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks (their imports never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` denotes: itself, or its nearest enclosing module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path], package: str) -> set[str]:
    """Modules of ``package`` that ``module`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_nodes(tree)
    here = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(_known(a.name, modules) for a in node.names if _in(a.name, package))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package ``level - 1`` levels up
                pkg = here
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}" if base else pkg
            if not _in(base, package):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else _known(base, modules))
    found.discard(None)
    found.discard(module)
    return {m for m in found if m is not None}


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def import_graph(root: Path = ROOT, package: str = "sim") -> dict[str, set[str]]:
    """The import graph of ``package``: module -> modules it imports."""
    modules = module_files(root, package)
    return {m: imports_of(m, p, modules, package) for m, p in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None (depth-first search
    with colours, iterative so that deep graphs need no recursion)."""
    colour = dict.fromkeys(graph, 0)  # 0 unseen, 1 on the current path, 2 done
    for start in sorted(graph):
        if colour[start]:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        colour[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
            elif colour.get(nxt, 2) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif colour.get(nxt) == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_sim_has_no_import_cycle():
    """The package's modules import each other without a cycle."""
    graph = import_graph()
    assert "sim.model" in graph and "sim.policies.runtime" in graph["sim.policies"]
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    """A made-up package whose only cycle goes through a function's import (and a
    relative import) fails the check; the same package without it passes."""
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg.b import f\n",
        "pkg/b.py": "def f():\n    from .c import g\n    return g()\n",
        "pkg/c.py": "def g():\n    import pkg.a\n    return pkg.a\n",
    }
    _write(tmp_path, files)
    graph = import_graph(tmp_path, "pkg")
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    _write(tmp_path, {"pkg/c.py": "def g():\n    return 1\n"})
    assert find_cycle(import_graph(tmp_path, "pkg")) is None


def test_type_checking_imports_and_parent_packages_are_not_edges(tmp_path):
    """Imports that never run (``if TYPE_CHECKING:``) and the implicit import of a
    parent package make no cycle; a real import of the package does."""
    files = {
        "pkg/__init__.py": "from pkg.sub.x import X\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/x.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.y import Y\nX = 1\n"
        ),
        "pkg/y.py": "from pkg.sub.x import X\nY = X\n",
    }
    _write(tmp_path, files)
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.sub.x"] == set() and find_cycle(graph) is None
    _write(tmp_path, {"pkg/sub/x.py": "from pkg import y\nX = 1\n"})
    assert find_cycle(import_graph(tmp_path, "pkg")) == ["pkg.sub.x", "pkg.y", "pkg.sub.x"]
