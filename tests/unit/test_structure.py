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
