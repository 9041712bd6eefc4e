"""The import rules of ARCHITECTURE.md, checked on the source (every import, also the
ones inside functions):

* the library (``facecli/``) never imports the command line (``facecli.commands``);
* the kernels (``kernels/``) import nothing of the library but its errors;
* the library reaches the kernels only through their dispatch module (``facecli.kernels``);
* there are no import cycles, between modules or between the library's folders;
* the library never prints (stdout carries the commands' data).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"facecli": ROOT / "facecli", "facecli.commands": ROOT / "commands", "facecli.kernels": ROOT / "kernels"}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg, root in PACKAGES.items():
        for f in root.rglob("*.py"):
            parts = [p for p in f.relative_to(root).with_suffix("").parts if p != "__init__"]
            mods[".".join([pkg, *parts])] = f
    return mods


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return [n for n in names if n == "facecli" or n.startswith("facecli.")]


MODULES = _modules()
EDGES = {m: {i for i in _imports(p) if i in MODULES} for m, p in MODULES.items()}


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _folder(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_the_library_never_imports_the_command_line():
    bad = [
        (m, i)
        for m, deps in EDGES.items()
        if not _is(m, "facecli.commands")
        for i in deps
        if _is(i, "facecli.commands")
    ]
    assert bad == []


def test_kernels_import_only_the_errors_of_the_library():
    bad = [
        (m, i)
        for m, deps in EDGES.items()
        if _is(m, "facecli.kernels")
        for i in deps
        if not _is(i, "facecli.kernels") and i != "facecli.errors"
    ]
    assert bad == []


def test_the_library_reaches_kernels_through_the_dispatch_only():
    bad = [
        (m, i)
        for m, deps in EDGES.items()
        if not _is(m, "facecli.kernels")
        for i in deps
        if _is(i, "facecli.kernels") and i != "facecli.kernels"
    ]
    assert bad == []


def test_no_import_cycles():
    assert _cycles(EDGES) == []
    folders: dict[str, set[str]] = defaultdict(set)
    for m, deps in EDGES.items():
        for i in deps:
            if _folder(m) != _folder(i):
                folders[_folder(m)].add(_folder(i))
    assert _cycles(folders) == []


def test_the_library_never_prints():
    bad = []
    for m, path in MODULES.items():
        if _is(m, "facecli.commands"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bad == []


def test_the_rules_see_the_code():
    """The checks above read every module (a guard against a test that cannot fail)."""
    assert len(MODULES) > 100 and "facecli.microexpr.motion" in MODULES and "facecli.kernels" in MODULES
    assert "facecli.microexpr.motion" in EDGES["facecli.microexpr.residual"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
