"""The house's one-way structure, read from the imports of its modules (lazy imports inside functions included).

Doors (api/, open311/) parse, call services/ and render: they open no connection and know no SQL, so rights
decided in the services one day cannot be walked around. The rules of workorders/ are plain Python. services/ holds
the product's behaviour, not the one-shot data commands of etl/; events/ carries what the services wrote, it does
not call them. bench/ and scripts/ drive the product through harness/, as the tests do, never through tests/; and
the product imports neither.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# package → the top-level packages its modules must never import
FORBIDDEN = {
    "api": ("geo", "sqlalchemy", "psycopg2", "redis", "events"),
    "open311": ("geo", "sqlalchemy", "psycopg2", "redis", "events", "api"),
    "workorders": ("geo", "services", "api", "open311", "callbacks", "screens", "events", "etl", "flask", "dash",
                   "sqlalchemy"),
    "services": ("etl",),
    "events": ("services",),
    "bench": ("tests",),
    "scripts": ("tests",),
    "harness": ("tests",),
    "mobile": ("geo", "sqlalchemy", "psycopg2", "redis", "events"),    # the grid worker's phone: a door
}
# What only tests, benchmarks and scripts may use.
TOOLING = ("tests", "harness", "pytest", "selenium")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def crossings(paths, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for path in sorted(paths)
            for line, module in imported_modules(path)
            if module.split(".")[0] in forbidden]


def product_files() -> list[Path]:
    """Every module of the product: the top-level files and packages, less the tooling around it (and the
    virtualenv, var/ and frontend/'s node_modules, never walked)."""
    outside = set(TOOLING) | {"bench", "scripts", "var", "frontend"}
    tops = [top for top in ROOT.iterdir() if top.name not in outside and not top.name.startswith(".")]
    return sorted([top for top in tops if top.suffix == ".py"] +
                  [path for top in tops if top.is_dir() for path in top.rglob("*.py")])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_what_its_rules_forbid(package):
    assert crossings((ROOT / package).rglob("*.py"), FORBIDDEN[package]) == []


def test_the_product_needs_nothing_of_the_tests_and_their_tools():
    """requirements.txt (all the Dockerfile installs) holds no test package, so nothing the product runs may
    import one, nor tests/ or harness/."""
    files = product_files()
    assert ROOT / "app.py" in files and ROOT / "services" / "tickets.py" in files
    assert crossings(files, TOOLING) == []


def test_the_walk_sees_lazy_imports(tmp_path):
    module = tmp_path / "door.py"
    module.write_text("import json\n\ndef view():\n    from geo.db import get_engine\n    import geo.tickets\n")
    assert imported_modules(module) == [(1, "json"), (4, "geo.db"), (5, "geo.tickets")]


def _module_imports(path: Path, package: str) -> set[str]:
    """The sibling modules of ``package`` a module imports, ``from services import x`` and lazy imports included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == package:
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package + "."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith(package + ".")}
    return names


def import_circles(package: str) -> list[list[str]]:
    """Circles of imports between the modules of one package: a circle hides as a lazy import and breaks when a
    module is imported first from elsewhere (services.supervision ↔ services.tickets was one)."""
    modules = {path.stem: path for path in (ROOT / package).glob("*.py")}
    graph = {name: _module_imports(path, package) & set(modules) - {name} for name, path in modules.items()}
    found = []

    def walk(start: str, node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                found.append(trail)
            elif nxt > start and nxt not in trail:
                walk(start, nxt, [*trail, nxt])

    for name in sorted(graph):
        walk(name, name, [name])
    return found


@pytest.mark.parametrize("package", ["services", "geo", "workorders"])
def test_no_import_circle_inside_a_package(package):
    assert import_circles(package) == []


def test_the_circle_walk_finds_a_lazy_circle(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def late():\n    from pkg.a import thing\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert import_circles("pkg") == [["a", "b"]]
