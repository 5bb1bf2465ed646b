"""The shape of the house: core imports no plugin, and no module imports itself round a circle.

* **Boundary** — ``graphs-core`` (``core/src/graphs``) imports only the standard library, its own
  modules and its declared third-party dependencies; never a plugin or service distribution.
* **Circles** — over every first-party package, module-level imports (those that run at import
  time; ``if TYPE_CHECKING:`` blocks excluded) form no cycle. Imports inside functions are how
  a module defers a heavy dependency; they cannot form an import-time cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core" / "src" / "graphs"
CORE_DEPS = {"numpy", "pluggy", "pydantic", "typer", "yaml", "rich", "click"}
OPTIONAL = {"graphs/testing.py": {"pytest"},   # the opt-in pytest plugin (extra graphs-core[testing])
            "graphs/frames.py": {"pandas"}}    # DataFrames of results (extra graphs-core[pandas])


def first_party_packages() -> dict[str, Path]:
    """Top-level package name -> its folder, for every distribution in the tree."""
    out = {}
    for src in ROOT.glob("**/src"):
        if ".venv" in src.parts or "site-packages" in src.parts:
            continue
        for pkg in src.iterdir():
            if (pkg / "__init__.py").is_file():
                out[pkg.name] = pkg
    return out


def imports(path: Path, module_level_only: bool) -> list[tuple[str, int]]:
    """(absolute module name, line) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if not module_level_only:
                    visit(child, False)
                continue
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.append((child.module, child.lineno))
                out.extend((f"{child.module}.{a.name}", child.lineno) for a in child.names)
            visit(child, top)

    visit(tree, True)
    return out


def module_name(path: Path, pkg_root: Path) -> str:
    rel = path.relative_to(pkg_root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def test_core_imports_no_plugin_distribution():
    packages = first_party_packages()
    assert "graphs" in packages and len(packages) > 50, sorted(packages)
    plugin_pkgs = set(packages) - {"graphs"}
    std = set(sys.stdlib_module_names)
    bad = []
    for f in sorted(CORE.rglob("*.py")):
        for mod, line in imports(f, module_level_only=False):
            top = mod.split(".")[0]
            if top in plugin_pkgs:
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod} (a plugin distribution)")
            elif top not in std and top != "graphs" and top not in CORE_DEPS and \
                    top not in OPTIONAL.get(f.relative_to(CORE.parent).as_posix(), ()):
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod}, not a declared dependency of graphs-core")
    assert not bad, "\n".join(bad)


def test_no_import_circles():
    packages = first_party_packages()
    modules: dict[str, Path] = {}
    for name, folder in packages.items():
        for f in folder.rglob("*.py"):
            modules[module_name(f, folder)] = f
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, f in modules.items():
        for imp, _ in imports(f, module_level_only=True):
            # the longest first-party module the import names (``from a.b import c`` may name module a.b.c)
            target = next((cand for cand in (imp, imp.rsplit(".", 1)[0]) if cand in modules), None)
            if target and target != m and not m.startswith(target + "."):   # a package's own __init__ is its parent
                graph[m].add(target)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in state:
                dfs(v)
        stack.pop()
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)
