"""The engine's shape (issue 11): no import circle between its modules, and no module much over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "backoffice_site"
PACKAGE = "backoffice_site"
MAX_LINES = 410  # "no module over ~400 lines": one screenful of slack, not a new limit


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules this file imports at module level (imports inside functions run later, when
    every module is loaded, and cannot make a circle at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are not run
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = here.split(".")[: -node.level] if path.name != "__init__.py" else here.split(".")
                base = ".".join([*pkg, base] if base else pkg)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        out.update(n for n in names if n in modules and n != here)
    return out


def test_no_import_circle_between_the_engine_modules() -> None:
    files = sorted(SRC.rglob("*.py"))
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _imports(p, modules) for p in files}
    # a package imports its parent package's __init__ implicitly; that edge is not a circle of ours
    for name, deps in graph.items():
        deps.discard(PACKAGE)
        deps.discard(name.rpartition(".")[0])
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return [*path[path.index(d):], d]
            if d not in state and (found := visit(d)) is not None:
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            circle = visit(m)
            assert circle is None, " → ".join(circle)
    assert len(graph) > 40 and sum(map(len, graph.values())) > 100  # the walk saw the real imports


def test_no_module_much_over_400_lines() -> None:
    sizes = {p.relative_to(SRC).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in SRC.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
    assert max(sizes.values()) > 300  # the sizes are real
