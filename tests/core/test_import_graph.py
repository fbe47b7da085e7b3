"""The house's import rules, read from the source (lazy imports inside functions included).

- ``core`` and ``rigs`` never import ``addon`` or ``app`` (absolute or relative);
  ``rigs`` never imports ``core``.
- No module imports another that imports it back: the graph of ``app``, ``core``, ``rigs``
  and ``addon`` has no cycle.
"""
from __future__ import annotations

import ast
import pathlib

import talkrig

ROOT = pathlib.Path(talkrig.__file__).resolve().parent
PACKAGES = ("app", "core", "rigs", "addon")
FORBIDDEN = {"core": ("addon", "app"), "rigs": ("addon", "app", "core")}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: pathlib.Path, modules=()) -> list:
    """(line, imported module as a dotted name inside the package) for every import.

    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module (in
    ``modules``), else as importing ``pkg`` (a name defined there)."""
    me = module_name(path)
    package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("talkrig."):
                target = node.module[len("talkrig."):]
            else:
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
            names = subs + ([target] if len(subs) < len(node.names) else [])
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name[len("talkrig."):]) for a in node.names
                    if a.name.startswith("talkrig.")]
    return out


def source_modules() -> dict:
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            mods[module_name(path)] = path
    return mods


def graph() -> dict:
    mods = source_modules()
    edges = {m: set() for m in mods}
    for m, path in mods.items():
        for _, target in imports_of(path, mods):
            if target in mods and target != m:
                edges[m].add(target)
    return edges


def find_cycle(edges: dict):
    """One cycle as a list of modules, or None (iterative DFS with colours)."""
    colour = dict.fromkeys(edges, 0)
    for start in edges:
        if colour[start]:
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                return path[path.index(child):] + [child]
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(edges[child]))))
                path.append(child)
    return None


def test_layers_import_only_downwards():
    offenders = []
    for m, path in source_modules().items():
        layer = m.split(".")[0]
        for line, target in imports_of(path, source_modules()):
            if target.split(".")[0] in FORBIDDEN.get(layer, ()):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_checker_sees_relative_imports_and_cycles():
    """The rules above would catch the faults they are for (relative import, a cycle)."""
    edges = graph()
    assert "core.pipeline" in edges["app.cli"]                # `from ..core.pipeline import bake`
    assert "core.settings" in edges["core.pipeline"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
